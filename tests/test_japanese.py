"""Japanese through the same engine: the matcher knows no language, the catalogue does.

Sentences are written as technicians at Okayama or Iwate would say them at a bay or a kiosk
(issue 15), and the answers must be the same intents and slot values as the English ones, so
that the skills and the lab side do not change.
"""

from __future__ import annotations

import pytest

from tests.conftest import ROOT
from wanwan import load_engine
from wanwan.dialogue import means_stop
from wanwan.nlu.japanese import numbers_to_digits, segment, sound
from wanwan.nlu.text import Token
from wanwan.nlu.wake import split_wake


@pytest.fixture(scope="module")
def ja():
    return load_engine(ROOT / "intents" / "ja")


@pytest.fixture(scope="module")
def ja_site():
    """The Japanese catalogue with the example site's names (田中研, NMR600)."""
    from wanwan.config import load_config

    return load_engine(ROOT / "intents" / "ja", load_config(ROOT / "config"))


@pytest.mark.parametrize("text,intent,slots", [
    ("デュワー12の液面は？", "read_level", {"dewar": "12"}),
    ("7番から汲み出し開始", "start_transfer", {"source": "7"}),
    ("田中研に50リットル記録", "log_volume", {"lab": "tanaka", "amount": 50, "unit": "L"}),
    ("止めて", "stop", {}),
    ("デュワー７からＮＭＲに九十パーセントまで充填開始", "start_transfer",
     {"source": "7", "target": "nmr600", "target_level": 90}),
    ("佐藤研に十二点五リットル記録して", "log_volume", {"lab": "sato", "amount": 12.5, "unit": "L"}),
    ("じゅうにばんのデュワーはあと何日もつ", "days_until_empty", {"dewar": "12"}),
    ("回収室の酸素濃度を教えて", "read_oxygen", {"room": "recovery"}),
    ("今月の回収量は", "recovery_summary", {"period": "this_month"}),
    ("回収圧縮機を止めて", "compressor_control", {"action": "stop"}),
    ("50リットルは何立方メートル", "convert_units", {"amount": 50, "unit": "L", "to_unit": "m3"}),
    ("はい", "confirm", {}),
    ("キャンセル", "cancel", {}),
])
def test_what_technicians_say_in_japanese(ja, text, intent, slots):
    result = ja.parse(text)
    assert (result.intent, result.slots) == (intent, slots), result.reason


def test_the_same_command_means_the_same_in_both_languages(ja, engine):
    pairs = [("log fifty litres to tanaka lab from dewar twelve", "デュワー12から田中研に50リットル記録"),
             ("start the transfer from dewar seven into the nmr", "デュワー7からNMRに充填開始"),
             ("what's the level in dewar fifteen in litres", "デュワー15の液面をリットルで")]
    for english, japanese in pairs:
        a, b = engine.parse(english), ja.parse(japanese)
        assert (a.intent, a.slots) == (b.intent, b.slots), (english, japanese)
        assert a.actuating == b.actuating


def test_a_recognisers_wrong_kanji_costs_what_a_sound_alike_costs(ja):
    # Whisper writes 駅面 (station front) for 液面 (liquid level), キャリウム for ヘリウム
    assert sound("駅面") == sound("液面") == "ekimen"
    bent = ja.parse("デュワー十二の駅面は")
    assert (bent.intent, bent.slots) == ("read_level", {"dewar": "12"})
    assert 0.72 <= bent.confidence < 1.0
    stock = ja.parse("液体キャリウムはどれくらいある")
    assert (stock.intent, stock.slots) == ("stock_query", {"phase": "liquid"})


@pytest.mark.parametrize("text,intent,slots", [
    ("ガスバッグの表示どうなってる？", "gas_status", {}),
    ("15番の圧力計の値ちょうだい", "read_pressure", {"dewar": "15"}),
    # 〜てて is 〜ていて, no false start begun again: the gauge talked about, nothing asked
    ("12番の圧力計曇ってて見えない", None, {}),
    ("7番の液面計また壊れてる", None, {}),
])
def test_a_reading_asked_through_its_instrument_in_japanese(ja, text, intent, slots):
    result = ja.parse(text)
    assert (result.intent, result.slots) == (intent, slots), result.reason


@pytest.mark.parametrize("text,intent,slots", [
    ("7番からPPMSに入れるから、移送始めて", "start_transfer", {"source": "7", "target": "ppms1"}),
    ("7番からPPMSに入れないから、移送始めて", None, {}),
    ("明日7番からPPMSに入れるから、移送始めて", None, {}),
    # a thing named by its number in what is told is what the question asks about
    ("7番は出すんだけど、どのくらい入ってる？", None, {}),
])
def test_a_request_told_then_asked_for_in_japanese(ja, text, intent, slots):
    result = ja.parse(text)
    assert (result.intent, result.slots) == (intent, slots), result.reason


@pytest.mark.parametrize("text", ["汲み出しを開始しないで", "デュワー７から充填を開始しないで",
                                  "圧縮機を起動するな", "記録しなくていい", "移送は開始しません",
                                  "すみません、圧縮機は止めません", "移送を開始しない？"])
def test_a_negated_command_is_refused(ja, text):
    assert ja.parse(text).intent is None


def test_a_negation_of_two_words_denies_only_whole(ja):
    """〜ません is ませ + ん to the analyser; a lone ん is as often 「〜んです」 (explaining), and
    「はい、ぞんぞ」 (Whisper on a noisy 「はい、どうぞ」) is no negation."""
    language = ja.language
    assert ("ませ", "ん") in language.negation_phrases and "ん" not in language.negations
    assert language.negating([Token(w) for w in ["はい", "ぞ", "ん", "ぞ"]]) == []
    assert language.negating([Token(w) for w in ["開始", "し", "ませ", "ん"]]) == ["ませ", "ん"]


@pytest.mark.parametrize("text", ["入ってる", "入って", "はい、入ってます", "入っています"])
def test_it_is_in_is_not_a_confirmation(ja, text):
    """「それで合ってます」 (that's right) confirms; 「はい合ってる」 is said like 「入ってる」 (it
    is in, of a fill), which must never act on a read-back."""
    assert ja.parse(text).intent != "confirm"
    assert ja.parse("それで合ってます").intent == "confirm"


@pytest.mark.parametrize(("text", "intent", "slots"), [
    # 「すみません」 was read すみま + 1000, and the negation 〜ません with it: every excuse-me was
    # refused as a negation, a stop too (a stop refused as negated is not acted on)
    ("すみません、移送を止めて", "stop_transfer", {}),
    ("すみません、デュワー3の残量を教えていただけますか", "read_level", {"dewar": "3"}),
    ("デュワー7の液面を教えてくれませんか", "read_level", {"dewar": "7"}),  # a polite request
    ("1000リットルは何立方メートル？", "convert_units", {"amount": 1000, "unit": "L",
                                                        "to_unit": "m3"}),
    # a question asked with a negation asks; only a question may
    ("デュワー3の圧力、高くない？", "read_pressure", {"dewar": "3"}),
    ("汲み出し場の酸素、問題ない？", "read_oxygen", {"room": "transfer_bay"}),
    # what is set aside by a clause that ends so, before a question, denies only itself
    ("圧力じゃなくて、デュワー4の液面", "read_level", {"dewar": "4"}),
    ("液面はいいから、デュワー7の圧力は？", "read_pressure", {"dewar": "7"}),
])
def test_what_only_looks_negated_is_understood(ja, text, intent, slots):
    result = ja.parse(text)
    assert (result.intent, result.slots) == (intent, slots), result.reason


def test_workplace_talk_is_not_a_command(ja):
    talk = [case.text for case in ja.catalog.reject_tests]
    assert len(talk) >= 20
    for text in talk:
        assert ja.parse(text).intent is None, text


@pytest.mark.parametrize("written,digits", [
    ("五十リットル", "50リットル"), ("十二点五", "12.5"), ("三百二十", "320"),
    ("じゅうにてんご", "12.5"), ("にじゅうごパーセント", "25パーセント"), ("１２番", "12番"),
    ("二〇二六年", "2026年"),
    # kanji that are not numbers here, and kana that only look like them
    ("一番いい", "一番いい"), ("もう一度", "もう一度"), ("ごめん", "ごめん"), ("田中研に", "田中研に"),
    ("すみません", "すみません"), ("ぜんぶで", "ぜんぶで"), ("まんたん", "まんたん"),
    ("せんリットル", "1000リットル"), ("止めてんか", "止めてんか"),
    ("感じっすか", "感じっすか"), ("いっせん", "1000"),
    # a particle before a number in kana is not its first digit: に + 50, never 2, 5, 10
    ("田中研にごじゅうリットル", "田中研に50リットル"), ("デュワーにじゅう", "デュワー20"),
    ("しちじゅう", "70"), ("にせんにじゅうろく", "2026"),
    # a colleague called by a given name that ends in a number: 健二, not 健 and 2
    ("健二さんに頼まれた", "健二さんに頼まれた"), ("誠一郎くんが", "誠一郎くんが"),
    ("デュワー十二さん", "デュワー12さん"), ("十二さん", "12さん"),
])
def test_numbers_are_read_however_they_are_written(written, digits):
    assert numbers_to_digits(written) == digits


def test_loanwords_are_one_word_alone_and_in_a_sentence():
    assert segment("デュワー") == ["デュワー"]
    assert segment("デュワー12の液面は?") == ["デュワー", "12", "の", "液面", "は"]
    assert segment("12.5リットル") == ["12.5", "リットル"]


def test_a_word_the_catalogue_writes_is_not_run_into_its_neighbours(ja):
    """MeCab reads 「圧縮機動かして」 as 圧縮 / 機動 (mobility) / か / し / て; the templates write
    圧縮機 apart, and the text is cut there first, as a user dictionary would."""
    assert segment("圧縮機動かして")[:2] == ["圧縮", "機動"]  # the analyser alone
    result = ja.parse("圧縮機動かして")
    assert (result.intent, result.slots) == ("compressor_control", {"action": "start"})
    # a word in kana only is not cut out of others: 「入って」 (gone in) holds はい (yes)
    assert "はい" not in ja.language.written_words and ja.parse("入って").intent is None


def test_a_sites_names_in_both_languages_come_from_its_configuration(ja_site):
    site = ja_site
    for text, intent, slots in [
            ("伊藤研究室に二十リットル記録", "log_volume", {"lab": "ito", "amount": 20, "unit": "L"}),
            ("デュワー7からNMRマグネットに充填開始", "start_transfer", {"source": "7", "target": "nmr600"}),
            ("回収室の酸素濃度は", "read_oxygen", {"room": "recovery"})]:
        result = site.parse(text)
        assert (result.intent, result.slots) == (intent, slots), (text, result.reason)


# -- speech in and out -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def japanese_voice():
    from wanwan.tts import make_synthesizer

    return make_synthesizer("auto", language="ja")


def hear_spoken(pipeline, voice, text: str) -> list:
    """``text`` said by ``voice`` between half-second pauses, heard by ``pipeline``."""
    import numpy as np

    from wanwan.audio.io import resample

    pause = np.zeros(8000, np.int16)
    audio = resample(voice.synthesize(text), voice.sample_rate, 16000)
    return pipeline.hear_all(np.concatenate([pause, audio, pause]))


def understood(pipeline, voice, said: list[tuple[str, str, dict]]) -> int:
    """How many of the (sentence, intent, slots) were heard as exactly that one command."""
    return sum([(h.parse.intent, h.parse.slots) for h in hear_spoken(pipeline, voice, text)]
               == [(intent, slots)] for text, intent, slots in said)


@pytest.fixture(scope="module")
def ja_listener(ja):
    """Whisper base with the Japanese catalogue, every utterance addressed."""
    from wanwan import VoicePipeline, make_recognizer

    recognizer = make_recognizer("auto", ja, wake=None)
    return VoicePipeline(ja, recognizer, wake=None)


def test_japanese_is_spoken_by_open_jtalk_with_numbers_read_aloud(japanese_voice, tmp_path):
    assert japanese_voice.name == "openjtalk"
    samples = japanese_voice.synthesize("デュワー12は62パーセント、約12.5リットルです。酸素濃度が"
                                        "18パーセントを下回りました。")
    seconds = len(samples) / japanese_voice.sample_rate
    assert 4.0 < seconds < 15.0 and abs(int(samples.max())) > 1000
    wav = japanese_voice.to_file("止めて", tmp_path / "stop.wav")
    assert wav.stat().st_size > 10_000


def test_what_whisper_already_heard_as_a_command_is_not_made_another(ja_listener,
                                                                     japanese_voice):
    """Whisper wrote 「デュワー7はあと何日くらいもつ」 itself; the grammar pass found 「デュワー7は
    あと何に残ってる」 (a level question) 8 nats less likely, within the limits for speech meant
    for wanwan. Changing what a command asks takes the strict limits."""
    heard = hear_spoken(ja_listener, japanese_voice, "デュワー7はあと何日くらいもつ？")
    assert [(h.parse.intent, h.parse.slots) for h in heard] == [
        ("days_until_empty", {"dewar": "7"})], [h.transcript.notes for h in heard]


def test_a_japanese_value_the_tolerant_match_only_bent_is_not_one_whisper_wrote(ja_listener, ja):
    """Whisper wrote 「100リットルはかすで何立方メートル」 at 10 dB; a tolerant reading that bends
    「かす」 into the gas phase (as the catalogue of session 26 did) finds a value the free text
    does not write: the grammar's 「100リットルは何立方メートル」 (right) does not lose what was
    said. 「NMR4」 writes dewar 4."""
    from wanwan.asr.whisper import slots_dropped
    from wanwan.nlu.matcher import ParseResult

    recognizer = ja_listener.recognizer
    free = "100リットルはかすで何立方メートル"
    bent = ParseResult(free, "convert_units", {"amount": 100, "unit": "L", "phase": "gas",
                                                "to_unit": "m3"}, confidence=0.93)
    assert not recognizer._writes(free, "gas")
    assert slots_dropped(bent, ja.parse("100リットルは何立方メートル"),
                         lambda value: recognizer._writes(free, value)) == []
    assert recognizer._writes("NMR4が10パーセントになったら教えて", "4")
    assert recognizer._writes("ガスの在庫を教えて", "gas")


def test_spoken_japanese_is_heard_and_understood(ja_listener, japanese_voice):
    """Open JTalk speaks, Whisper base (multilingual, language ja, prompted with the Japanese
    catalogue, narrowed by the grammar pass) writes, the engine matches by reading. Whisper
    writes 組み出し for 汲み出し and 駅面 for 液面: the grammar pass and the readings bring most of
    them back. Most, not all: which ones depends on the decoder's arithmetic, so a share is
    asserted."""
    recognizer = ja_listener.recognizer
    assert recognizer.name == "whisper" and recognizer.language == "ja"
    said = [("7番から汲み出し開始", "start_transfer", {"source": "7"}),
            ("田中研に50リットル記録", "log_volume", {"lab": "tanaka", "amount": 50, "unit": "L"}),
            ("止めて", "stop", {}),
            ("今月の回収量は", "recovery_summary", {"period": "this_month"}),
            ("回収室の酸素濃度を教えて", "read_oxygen", {"room": "recovery"}),
            ("汲み出しを止めて", "stop_transfer", {}),
            ("はい", "confirm", {})]
    heard = understood(ja_listener, japanese_voice, said)
    assert heard >= 5, heard  # 7 of 7 when written


def test_each_language_keeps_the_site_names_it_can_say(engine):
    """The example site names its labs in both languages; the English catalogue (and so the
    English recogniser's grammar and prompt) keeps the names written in Latin letters."""
    english = {phrase for phrase in engine.lists["lab"].phrases}
    assert any("tanaka" in p for p in english) and not any("田中" in p for p in english)


@pytest.mark.parametrize(("name", "floor"), [
    ("ja-report.yaml", 0.90),  # the result: 98.1 % (51 of 52) after session 19's wording
    # (chosen on ja-tune3); 96.2 % after session 18's, 82.7 % before the first round of tuning
    ("ja-tune.yaml", 0.95),  # training score: 100 % (93.3 % before session 17, 68.9 % first)
    ("ja-tune2.yaml", 0.95),  # training score: 100 % (79.2 % when first run, session 18)
    ("ja-tune3.yaml", 0.95),  # training score: 100 % (71.9 % when first run, session 19)
    ("ja-tune4.yaml", 0.95),  # training score: 100 % (90.2 % when first run, session 26)
    ("ja-tune5.yaml", 0.95),  # training score: 100 % (78.3 % when first run, session 26)
    ("ja-tune6.yaml", 0.95),  # training score: 100 % (80.5 % when first run, session 27)
    ("ja-tune7.yaml", 0.95),  # training score: 100 % (75.6 % when first run, session 27)
    ("ja-tune8.yaml", 0.95),  # training score: 97.6 % (63.4 % when first run, session 27)
    ("ja-tune9.yaml", 0.95),  # training score: 100 % (58.8 % when first run, session 27)
    ("ja-tune10.yaml", 0.90),  # training score: 94.1 % (61.8 % when first run, session 27; two left)
    ("ja-tune11.yaml", 0.90),  # training score: 97.3 % (64.9 % when first run, session 27; one left)
    ("ja-tune12.yaml", 0.95),  # training score: 100 % (75.0 % of commands when first run, session 28)
    # self-corrections (いや, じゃなくて, ごめん): 95.5 % (81.8 % of commands when first run)
    ("ja-tune13.yaml", 0.90),
    # blunt imperatives (止めろ, 記録しろ) and 頼む: 96.6 % (72.4 % of commands when first run)
    ("ja-tune14.yaml", 0.95),
    # amounts asked every way (なんぼ, どんだけ, 何リッター), periods (今年度, 先週分): 92.0 %
    # with the site's names (88.0 % of commands when first run; 「いかほど」 is cut い + かほど
    # in a sentence, 「5立米は液でなんぼ？」 is as near a log as a conversion)
    ("ja-tune15.yaml", 0.90),
    # in a room where an alarm sounded: 94.7 % (68.4 % of commands when first run)
    ("ja-tune16.yaml", 0.90),
    # reasons said with requests, yes/no checks, requests on a condition: 95.0 % (55.0 % of
    # commands when first run, session 29; 「うるさくて聞こえなかった、もう一回」 left)
    ("ja-tune17.yaml", 0.90),
    # 12号, 4号機, デュワーの7; ログ, リピート, ステータス; 恐れ入りますが, 〜していただけると
    # 助かります: 100 % (50.0 % of commands when first run, session 29)
    ("ja-tune18.yaml", 0.95),
    # what is said back once wanwan has spoken: 100 % (77.8 % of commands when first run,
    # session 29; 「今なんて言った？」 was a transfer's status)
    ("ja-tune19.yaml", 0.95),
    # people at the kiosk who are not technicians: 87.5 % (43.8 % of commands when first run,
    # session 29; left: 「デュワー7、もらっても大丈夫な量ありますか」, 「間違えて記録しちゃった、消してください」)
    ("ja-tune20.yaml", 0.85),
    # 岡山弁と岩手の言葉: 100 % (68.2 % of commands when first run, session 30)
    ("ja-tune21.yaml", 0.95),
    # a manager's books, numbers in every writing: 100 % (78.9 % of commands when first run,
    # session 30)
    ("ja-tune22.yaml", 0.95),
    # every intent in other plain words (スタート, 中断, 撤回, 充填率, 台帳に登録): 100 % (58.6 % of
    # commands when first run, session 30)
    ("ja-tune23.yaml", 0.95),
    # as a recogniser writes Japanese (全角, ひらがな, 駅面, 県, 版, リッター): 100 % (86.4 % of
    # commands when first run, session 30; 「えーと、何だっけ。」, written as talk to oneself, is
    # still a repeat)
    ("ja-tune24.yaml", 0.95),
    # the request first and what it is about after (倒置), topics put first: 100 % (88.9 % of
    # commands when first run, session 30; 「止めて、圧縮機」 was a stop of speech, the compressor
    # read past)
    ("ja-tune25.yaml", 0.95),
    # questions asked the roundabout way (「…か知ってる？」, 「足りなくない？」, 「…の件、どう？」):
    # 100 % (60.0 % of commands when first run, session 30)
    ("ja-tune26.yaml", 0.95),
    # talk near the domain that asks nothing (21 sentences) among five requests: 100 %, none of
    # the 21 understood, when first run (session 30)
    ("ja-tune27.yaml", 0.95),
    # requests made for someone else (「上司が…を知りたいって」, 「…って言われた」): 100 % (27.3 %
    # of commands when first run, session 30)
    ("ja-tune28.yaml", 0.95),
    # talked to as a phone's assistant (「ねえワンワン」, 「OKワンワン」, 表示して, やっぱいいや): 100 %
    # (64.3 % of commands when first run, session 30; 「ワンワン、電気消して」 is still taken for
    # an alarm's acknowledgement, 0.72, as when first run)
    ("ja-tune29.yaml", 0.95),
    # one morning at the plant, no theme: 94.4 % (66.7 % of commands when first run, session
    # 30; 「あ、25だった、今のなしで」, labelled an undo, is a cancel's words, left)
    ("ja-tune30.yaml", 0.9),
    # a visitor's keigo (伺ってもよろしいですか, ご確認いただけますか, 拝見できますか, 恐縮ですが):
    # 100 % (64.3 % of commands when first run, session 30)
    ("ja-tune31.yaml", 0.95),
    # a new technician, unsure of the words (「始めてもいいですか」, 「記録することになってるんです
    # けど」): 73.3 % (40.0 % of commands when first run, session 31; left: 「ガスバッグってもう
    # いっぱいですか」, って for は and です か cost too much; 「たぶん大丈夫です、お願いします」,
    # 大丈夫です also declines; 「移送を止めるにはどうしたら、止めて」, a stop only by the
    # dialogue's rule; a question how to look at a level)
    ("ja-tune32.yaml", 0.7),
    # terse, in gloves (「12、液面」, 「50リットル、田中研」, 「いや、なし」): 100 % (66.7 % when first
    # run, session 31)
    ("ja-tune33.yaml", 0.95),
    # numbers as people say them: 100 % (100 % when first run, session 31)
    ("ja-tune34.yaml", 0.95),
    # a manager planning the week (「今年に入ってから」, 「ストレージはもう上限近い？」): 100 % (72.7 %
    # when first run, session 31)
    ("ja-tune35.yaml", 0.95),
    # after an alarm at the kiosk (「今の警報、何だった？」, 「うるさい、分かってるって」): 100 %
    # (45.5 % of commands when first run, session 31)
    ("ja-tune36.yaml", 0.95),
    # while a transfer runs (「使ってるデュワー」, 「充填終わるまであとどれくらい」): 90.0 % (40.0 %
    # when first run, session 31; left: 「マグネットいっぱいになったから充填止めて」, a clause naming
    # a thing of the lab before a request, which the dialogue still takes for a stop)
    ("ja-tune37.yaml", 0.85),
    # text as a recogniser writes it (「デュワー＃12」, 「50L」, 「止めて。移送止めて。」): 100 % (100 %
    # when first run, session 31; 「はい。」, written as a remark, is a yes)
    ("ja-tune38.yaml", 0.95),
    # asked from one place about another (「回収室にあるデュワー15」): 100 % (88.9 % when first run,
    # session 31)
    ("ja-tune39.yaml", 0.95),
    # wanwan shown to visitors (「見ててください」, 「…か聞いてみましょう」): 87.5 % (25.0 % of
    # commands when first run, session 31)
    ("ja-tune40.yaml", 0.85),
    # put right after a wrong answer (「そうじゃなくて」, 「圧力じゃなくて、…」): 90.0 % (33.3 % when
    # first run, session 31; 「もう一回言うね、伊藤研に20リットル記録」 was a log of gas, its 回
    # heard as ガス in a false topic; 「もういいや」, written as a remark, is a cancel; left:
    # 「違う、…を聞いたの」, 違う being an answer to a read-back)
    ("ja-tune41.yaml", 0.75),
    # fillers between the words of a request: 90.0 % (80.0 % when first run, session 31)
    ("ja-tune42.yaml", 0.85),
    # the lab's shorthand (コンプ, 何パー, ベイ, 戻ってきた): 100 % (60.0 % when first run,
    # session 31)
    ("ja-tune43.yaml", 0.95),
    # Japanese as foreign students speak it (words in a row, 「7番デュワー」): 100 % (91.7 % of
    # commands when first run, session 31)
    ("ja-tune44.yaml", 0.95),
    # questions about the books wanwan cannot answer: 100 %, none of the 8 taken (100 %, and 1 of
    # 8 taken when first run, session 31: 「昨日鈴木研に40リットル記録したよ」 was a log)
    ("ja-tune45.yaml", 0.95),
    # requests that leave out what they need: 100 % (81.8 % of commands when first run,
    # session 31)
    ("ja-tune46.yaml", 0.95),
    # a story told before the request or after it: 83.3 % (16.7 % when first run, session 31;
    # a clause is now as long as the words that say something in it, not its particles; left:
    # 「田中研から朝に二回も…電話があってさ、デュワー7の液面教えて」, whose 二 is a word of a
    # dewar's name, "one two")
    ("ja-tune47.yaml", 0.8),
    # two dewars in one question, answered for neither: 2 of 2 and none of 7 remarks taken
    # (the same when first run, session 31)
    ("ja-tune48.yaml", 0.95),
    # alerts asked every way: 100 % (83.3 % when first run, session 31; 2 of 4 remarks taken
    # then and now, level alerts on the oxygen and the bag, marked known as in en-tune66)
    ("ja-tune49.yaml", 0.95),
    # radio and procedure talk (「液面確認、7番、どうぞ」, 「全停止」, 「…充填を要請します」): 92.9 %
    # (64.3 % and 1 of 5 remarks taken when first run, session 32: 「感度どうですか」 was the
    # bag's status, now refused as a reading that read no word the sentence names; left:
    # 「否定、取り消し」)
    ("ja-tune50.yaml", 0.9),
    # a shift handover: 100 % (76.9 % when first run, session 32; 「忘れないうちに」 denies
    # nothing)
    ("ja-tune51.yaml", 0.95),
    # questions asked against a figure (「7番は半分より上？」) and how long things last or take:
    # 100 % (30.8 % when first run, session 32)
    ("ja-tune52.yaml", 0.95),
    # a duty said in the negative (「止めないといけない」, 「記録しなきゃ」): 90.0 % (40.0 % when
    # first run, session 32; left: 「最後の記録を消さないといけない」, a verb in a form no
    # template says, below the bar of what acts)
    ("ja-tune53.yaml", 0.85),
    # out of hours at the kiosk: 88.9 % (55.6 % when first run, session 32; left: 「あの機械は
    # 動いてていいの？」)
    ("ja-tune54.yaml", 0.85),
    # verbs in other forms (「止めろ」, 「動かそう」, 「止められる？」, 「消しちゃって」): 100 %
    # (81.8 % when first run, session 32)
    ("ja-tune55.yaml", 0.95),
    # clock times beside a request (「3時に移送を始めて」 is for then): 57.1 % (57.1 % when first
    # run, session 32; left: an entry with its pick-up time, 「もう6時だから圧縮機止めて」)
    ("ja-tune56.yaml", 0.55),
    # something going wrong at the bay, said in a hurry: 88.0 % (56.0 % when first run,
    # session 33; left: 「移送なんか変、今どうなってる？」, the stock after a quench,
    # 「どうすればいい？」)
    ("ja-tune57.yaml", 0.85),
    # a judgement asked for (「4番は残り少ない？」): 100 % (76.2 % when first run, session 33;
    # two judgements stated are taken, marked known)
    ("ja-tune58.yaml", 0.95),
    # the books in the words of money and stores (「請求して」, 「計上」, 「伝票」, 「残高」):
    # 100 % (50.0 % when first run, session 33, one label corrected: 出庫 is dispensed)
    ("ja-tune59.yaml", 0.95),
    # fills of the users' magnets as their owners name them (「PPMSを補充」, 「マグネット2を80
    # パーセントまで上げて」): 100 % (60.0 % when first run, session 34)
    ("ja-tune60.yaml", 0.95),
    # the recovery side in its own words (バルーン, ガスホルダー, 長尺ボンベ): 100 % (75.0 % when
    # first run, session 34)
    ("ja-tune61.yaml", 0.95),
    # the dialects of the Chugoku-Shikoku network (〜んさい, 〜ちょる, 〜ちょいて, 〜てや):
    # 94.7 % (55.0 % when first run, session 34; one label corrected: 〜まい is also "shall
    # not"; left: 「付けといてつかあさい」, which the analyser cuts inside its words)
    ("ja-tune62.yaml", 0.9),
    # one breath to a colleague and to wanwan (「健二さん、ホース持ってて、ワンワン、移送止めて」):
    # 85.0 % (55.0 % when first run, session 34; left: words to the colleague after the
    # request, 「ワンワン、確認、健二さんは圧力見てて」)
    ("ja-tune63.yaml", 0.8),
    # orders for things wanwan does not control (ベント、液化機、発注), beside the ones it does:
    # 100 % (40.0 % and 1 of 20 remarks taken, not acting, when first run, session 34;
    # 「移送室のドア閉めて」 is still the bay's oxygen read out, marked known)
    ("ja-tune64.yaml", 0.95),
    # no theme, an afternoon at the plant: 100 % (85.0 % when first run, session 34)
    ("ja-tune65.yaml", 0.95),
    # 「まだ」「もう」「今のところ」「全然」: 95.0 % (75.0 % and 2 of 10 remarks taken when first
    # run, session 34: 「50リットルはもう記録してある」 was a second log of fifty litres, now a
    # report; 「7番まだ廊下にある」 is still dewar 7's level, marked known)
    ("ja-tune66.yaml", 0.9),
    # a dewar described, not named (「はかりの上のデュワー」, 「ドアのそばのやつ」): 45.0 % (20.0 %
    # when first run, session 34): what describes it read past with it, the request taken
    # and 「どのデュワーですか？」 asked
    ("ja-tune67.yaml", 0.4),
    # the Japanese of other places (Kansai, Nagoya, Kyushu, Hokkaido): 100 % (50.0 % when first
    # run, session 35: 「止めてんか」 was 止め + the number 0, a lone てん read as a point)
    ("ja-tune68.yaml", 0.95),
    # readings asked through the instrument (液面計, 圧力計, 表示, 値): 80.0 % (70.0 % and 1 of 10
    # remarks taken when first run, session 35: 「12番の圧力計曇ってて見えない」, its てて read
    # as a false start). ゲージ and プローブ are not read as the pressure and the level: the
    # remarks about them (「12番のゲージ、いかれとる」) became questions
    ("ja-tune69.yaml", 0.8),
    # no theme, a winter Saturday in Iwate: 78.9 % (42.1 % when first run, session 35): when or
    # how it stands said first (「夜のうちに」, 「ドア閉めたままで」, 「このペースだと」); the
    # request told, then asked for bare (「7番からPPMSに入れるから、移送始めて」). Left: 「液体、
    # 月曜まで足りそう？」, 「帰る前に圧縮機止めといて」 (前に read past made 「帰る前にバッグ見と
    # いてね」 a question), 「そのへんで止めて」 is the stop of everything, not of the transfer
    ("ja-tune70.yaml", 0.75),
    # dewars going out on the van: 75.0 % when first run and now (session 35); 「今月どれだけ
    # 出荷した？」 is the recovery summary, marked known. A thing named by its number in a clause
    # is no longer read past before a question about it: 「7番は出すんだけど、どのくらい入っ
    # てる？」 was the whole stock
    ("ja-tune71.yaml", 0.7),
    # the casual Japanese of a late shift (〜っす, 〜ちゃって, もっかい, ソッコー): 100 % (60.0 %
    # and 1 of 10 remarks taken when first run, session 35: 「感じっすか」 was 感 + 10 + す + か, a
    # kana reading cut short read as a number). 「バッグ、ワンチャンもう満タンじゃね」 is
    # answered with the bag's status, marked known
    ("ja-tune72.yaml", 0.95),
    # a manager's office Japanese for the monthly report (「先ほどの記録は間違いなので取り消して
    # ください」, 「警報は承知しました」, 「いえ、今回は見送ります」): 100 % (57.9 % when first
    # run, session 36; one miss a label of ours, corrected: the liquid of the stock)
    ("ja-tune73.yaml", 0.95),
    # a postdoc collecting helium for the first time (「すみません、鈴木研の者ですが、20リットル記録
    # したいです」, 「ここ、息しても大丈夫ですか、酸素はどうですか」): 94.7 % (89.5 % when first
    # run, session 36). Left: 「あ、量を間違えて記録しちゃいました、取り消せますか」 (the あ before
    # it costs a little, and an undo must be read at 0.9 or surer)
    ("ja-tune74.yaml", 0.9),
    # words broken by the work (「7番の、ちょっと待って、7番の液面は？」, 「3番の、3番の圧力は？」):
    # 90.0 % when first run, session 36, and after. Left: 「記録、えーと、どこまで言ったっけ、
    # 伊藤研に30リットル記録」 (the request said again last, as Japanese puts it, is no false start
    # read past), 「で、ヘリウムは、ヘリウムはどれくらいある？」 (the first ヘリウム read as 液ヘリウム,
    # liquid; refusing a phrase with a word left out cost two other sentences)
    ("ja-tune75.yaml", 0.9),
    # the end of a day shift, handing over (「引き継ぎ用に、液体ヘリウムの在庫は全部でどれくらい？」,
    # 「鍵閉める前に回収室の酸素濃度」, 「夜は圧縮機止めといて」): 100 % (75.0 % when first run,
    # session 37; 「週末の間、デュワー15はもつかな」 was the pressure, a wrong answer)
    ("ja-tune76.yaml", 0.95),
    # requests passed on for someone else (「教授が…聞いてる」, 「事務が…知りたいそうです」,
    # 「健二さんに圧縮機を動かしてって頼まれた」: 健二 was 健 and 2): 100 % (55.0 % when first
    # run, session 37)
    ("ja-tune77.yaml", 0.95),
    # a safety induction at the kiosk (「何を聞けばいいの？」, 「ここにいて安全？酸素はどう？」,
    # 「さっき言ったことをもう一度」): 100 % (90.0 % when first run, session 37)
    ("ja-tune78.yaml", 0.95),
    # questions that say how the answer should come (「12番をパーセントで教えて」, 「デュワー3は
    # センチでいくつ？」, 「日数で言うと、デュワー7はあとどれくらいもつ？」): 100 % (75.0 % when
    # first run, session 37; 「ガス5立方メートルは液体で何リットルになる？」 took 液体 for the
    # amount's phase)
    ("ja-tune79.yaml", 0.95),
    # something going wrong at the bay (「緊急、充填止めて」, 「いやいや、キャンセル、何も始めないで」):
    # 95.0 % (85.0 % and 1 of 10 remarks taken when first run, session 37: 「危なかった」 taken
    # for the alarm acknowledged, marked known). Left: 「静かにして、考えられない」 (denied by
    # its ない)
    ("ja-tune80.yaml", 0.95),
    # a manager deciding (「田中研に50リットル出せるだけの液体ヘリウムある？」, 「比べたいから、
    # 先月の回収量は？」: the から that ends a reason is also the から of a period, and was read
    # as naming one): 95.0 % (70.0 % when first run, session 37). Left: 「で、今月は今のところ？」
    ("ja-tune81.yaml", 0.95),
    # a retired MRI magnet emptied (「圧縮機はMRIの蒸発に追いついてる？」, 「これだけ出してると
    # 回収室の酸素は大丈夫？」, 「ガスの警報が鳴った、確認しました」): 90.0 % (75.0 % when first
    # run, session 37). Left: 「今MRIからバッグに出してるけど、どれくらい膨らんでる？」 (the bag
    # named in the telling only), 「マグネットからのガス3立方メートルを記録して」 (a magnet as
    # where a logged amount came from changed two other sentences)
    ("ja-tune82.yaml", 0.9),
    # a checklist read out (「手順2、4番の圧力」, 「三つ目、回収室の酸素」, 「リストの5番、12番は
    # あと何日もつ？」): 95.0 % (40.0 % when first run, session 37). Left: 「最後の手順、もう一度
    # 4番の液面」 (もう一度 read past before a request made 「もう一度どうぞ」 a yes)
    ("ja-tune83.yaml", 0.95),
    # telegraphic (「12番、液面」, 「4番、圧力？」, 「30リットル、伊藤研」): 85.0 % when first run
    # (session 37), and after. Left: 「酸素、ベイ」, 「移送、7番、開始」, 「回収、今週」 (the parts
    # without the particles that join them, in an order the templates do not say)
    ("ja-tune84.yaml", 0.85),
    # the afternoon after a power cut (「停電のあと圧縮機はちゃんと動いてる？」, 「停電の間にガス
    # バッグどのくらい膨らんだ？」): 85.0 % (60.0 % when first run, session 38, with the second
    # opinion of wanwan/nlu/wordbag.py as without). Left: 「圧縮機をもう一回動かして」 (一 and 回
    # would tell a request that acts apart in the grammar pass), a reason inside the request
    ("ja-tune85.yaml", 0.85),
    # collection day at the loading dock (「佐藤研が45リットル持っていった、つけといて」): 75.0 %
    # when first run (session 38), and after (session 39: 「そう、記録して」 and 「いや、まだ記録
    # しないで」 are left, 記録 in a yes or a no would no longer tell a ledger entry apart in the
    # grammar pass); one remark taken, 「ここと、ここにサインお願いします」, marked
    ("ja-tune86.yaml", 0.75),
    # the year-end stocktake at the kiosk (「比較用に先月も」, 「記録用にデュワー3の圧力を
    # 教えて」): 85.0 % (55.0 % when first run, session 38)
    ("ja-tune87.yaml", 0.85),
    # the night shift alone (「7番の液面、パーセントで」, 「今夜はバッグ結構膨らんでる？」): 85.0 %
    # when first run (session 39, with and without the session's first changes), 90.0 % after
    ("ja-tune88.yaml", 0.9),
    # a visiting researcher in keigo (「今、移送は行われていますか」, 「いえ、それはしないで
    # ください」): 70.0 % when first run (session 39, with and without), 95.0 % after
    ("ja-tune89.yaml", 0.95),
    # after a quench of the NMR magnet (「バッグどのくらいの速さで膨らんでる？」, 「移送中止、
    # ラインが凍ってる」): 85.0 % when first run (session 39, with and without), 90.0 % after
    ("ja-tune90.yaml", 0.9),
    # the second report of session 39, written before anything was run on them (first runs:
    # 39 of 60 after the session's first tuning against 40 of 60 at its start). Monday planning
    # at the kiosk (「貯蔵のガスは？」, 「今週は今のところどれくらい回収できてる？」): 80.0 % when
    # first run, 90.0 % after; 「今週のシフトは何人？」 was taken on a second opinion when first
    # run (a remark the catalogue now rejects)
    ("ja-tune91.yaml", 0.9),
    # an undergraduate on a placement, hedging (「デュワー3の液面って聞いてもいいですか」,
    # 「すみません、今のは間違いです、キャンセルで」): 55.0 % when first run, 85.0 % after; one
    # remark taken until session 40 (「すみません、今日が初めてで」 as today's recovery)
    ("ja-tune92.yaml", 0.85),
    # the safety officer's round (「今、移送中のものはありますか」, 「点検の間、圧縮機を止めて
    # ください」): 60.0 % when first run, 85.0 % after. Left: 「回収室は？」 and 「NMR室はどう
    # ですか」, a room asked after the last one, are the recovery side's status to the catalogue
    ("ja-tune93.yaml", 0.85),
    # session 40's report, written before anything was run on them (first runs: 50 of 60 with
    # the session's second opinion, where the bag may agree less on a surer reading, 48 of 60
    # without). The stocktake before the winter closure (「デュワー12は年末年始もつかな」,
    # 「先月は？」): 75.0 % when first run, 95.0 % after; one remark known to be taken
    # (「大学は29日から閉まります」 as a level asked). Left: 「山本研に40リットル、今年最後の分を
    # 記録して」, a clause in the middle of an entry
    ("ja-tune94.yaml", 0.9),
    # a busy morning of fills, said as briefly as will do (「次はPPMS、デュワー4から」,
    # 「はい、記録して」): 90.0 % when first run, 100 % after
    ("ja-tune95.yaml", 0.95),
    # a new postdoc at the kiosk (「今、誰か移送してますか」, 「圧縮機は動いてますか」;
    # 「やっぱりいいです」 was a yes, a no thanks now): 85.0 % when first run, 100 % after
    ("ja-tune96.yaml", 0.95),
    # session 41's report, written before anything was run on them (first runs: 43 of 60,
    # three remarks taken, none acting). Maintenance day (「アラームは確認済みにして」): 85.0 %
    # when first run, 90.0 % after
    ("ja-tune97.yaml", 0.85),
    # a talkative technician (「要するに」, 「なんかさ」, 「はいはい、もうしゃべらなくていいよ」,
    # 「15パーセントくらいまで減ったら声かけて」): 65.0 % when first run, 90.0 % after
    ("ja-tune98.yaml", 0.85),
    # relayed from a phone call (「バッグがもうすぐいっぱいか聞かれてます」, 「いや、やっぱり
    # 要らないそうです」); two remarks known to be taken (「お名前をもう一度お願いできますか」 as a
    # repeat, 「ありがとう、じゃあねって言ってます」 as a pressure asked); 「すみません、どちら様
    # ですか」 was a stock question by sound (「もちそう」), no longer: 65.0 % when first run,
    # 85.0 % after
    ("ja-tune99.yaml", 0.8),
])
def test_held_out_japanese_typed_commands(ja_site, name, floor):
    """Sentences written before they were run, as technicians talk; never an actuating
    command where none was meant, at most one out-of-domain sentence in ten taken."""
    import yaml

    engine = ja_site
    cases = yaml.safe_load((ROOT / "tests" / "data" / "heldout" / name).read_text())["sentences"]
    read = {c["text"]: engine.parse(c["text"]) for c in cases}  # each sentence parsed once
    commands = [c for c in cases if c["intent"]]
    right = sum((r := read[c["text"]]).intent == c["intent"] and r.slots == c["slots"]
                for c in commands)
    assert right / len(commands) >= floor, f"{name}: {right} of {len(commands)}"
    # a remark marked "known" is one the engine is known to take: counted apart, and the
    # mark must go when it is no longer taken
    known = [c["text"] for c in cases if not c["intent"] and c.get("known")]
    assert all(read[text].intent is not None for text in known)
    others = [read[c["text"]] for c in cases if not c["intent"] and not c.get("known")]
    assert sum(r.intent is not None for r in others) <= max(1, len(others) // 10)
    wrong_acts = [c["text"] for c in cases
                  if (r := read[c["text"]]).actuating and r.intent != c["intent"]]
    assert not wrong_acts


@pytest.mark.parametrize(("heard", "rest"), [
    ("ワンワン、デュワー12の液面は？", "デュワー12の液面は？"),
    ("わんわん。止めて", "止めて"),
    ("ワン、ワン、田中研に50リットル記録", "田中研に50リットル記録"),
    ("wan wan、止めて", "止めて"),
    ("ワンワン", ""),
])
def test_the_wake_phrase_is_found_in_japanese_written_without_spaces(ja, heard, rest):
    """Japanese has no spaces to count words off by: the phrase is the start of the text that
    sounds like it, however written (a site may give it as "wan wan" or ワンワン)."""
    for wake in ("ワンワン", "wan wan"):
        assert split_wake(heard, wake, ja) == (True, rest)


@pytest.mark.parametrize("heard", ["ワンタン食べたい", "ワンワンワン、止めて", "1番、デュワー12",
                                   "デュワー12の液面は"])
def test_what_only_begins_like_the_wake_phrase_is_not_it(ja, heard):
    assert split_wake(heard, "ワンワン", ja) == (False, heard)


def test_the_grammar_pass_writes_japanese_the_way_whisper_does(ja_site):
    """The grammar pass narrows Japanese too: the catalogue's morphemes one after the other
    with no space, numbers in digits, 、 and 。, politeness and particles free anywhere."""
    from wanwan.asr.constrained import TokenGrammar
    from wanwan.asr.whisper import bundled_base

    model = bundled_base()
    if model is None:
        pytest.skip("Whisper base (the ja extra) is not installed")
    from tokenizers import Tokenizer

    site = ja_site
    tokenizer = Tokenizer.from_file(str(model / "tokenizer.json"))
    grammar = TokenGrammar(site, tokenizer, wake_forms=["ワンワン"])

    def follows(text: str, after_wake: bool = True) -> bool:
        heads = grammar.start(after_wake)
        for token in tokenizer.encode(text, add_special_tokens=False).ids:
            allowed = grammar.allowed(heads)
            if token not in allowed:
                return False
            heads = allowed[token]
        return grammar.final(heads)

    assert grammar.word_forms("#12") == ["12"]
    for sentence in ("デュワー12の液面は", "田中研に50リットル記録してください。", "止めて",
                     "デュワー7からNMR600に移送開始"):
        assert follows(sentence), sentence
    assert follows("ワンワン、止めて", after_wake=False)
    assert not follows("今日はいい天気ですね")
    assert not follows("デュワー12の液面は天気")
    # a slot's value run into the next morpheme by one token: 動かし|て written 動|か|して
    assert follows("圧縮機動かして")


def test_a_short_japanese_grammar_sentence_must_sound_like_what_was_heard(ja_site):
    """Japanese words are long: one or two are enough to judge by their sound. Whisper wrote
    「イェイェイ」 for 「いいえ」 and 「スタッフル」 for 「ストップ」; the grammar pass made both 「はい」,
    a yes to whatever was read back."""
    from wanwan.asr.whisper import GrammarSettings, share_heard

    site = ja_site
    settings = GrammarSettings.for_catalogue(site)
    assert settings.min_sound_alike == 0.5 and settings.max_margin_per_token == 1.0
    for said, heard in [("はい", "イェイェイ"), ("はい", "スタッフル"), ("移送開始", "映像をたくに"),
                        ("どうぞ", "HELLO"), ("回収", "回収がつく気を起動して")]:
        assert share_heard(site, said, heard, settings) == 0.0, (said, heard)
    for said, heard in [("実行", "じっこら"), ("キャンセル", "完成ル"), ("液面は", "エキメンは"),
                        ("汲み出し停止", "組み出し停止"), ("圧力は", "暑力は")]:
        assert share_heard(site, said, heard, settings) == 1.0, (said, heard)
    # one that acts (starts a transfer, says yes) must sound more alike than one that asks
    assert settings.min_sound_alike_acting > settings.min_sound_alike
    for said, heard in [("はいね", "いいね"), ("移送開始", "伊藤研、"), ("移送開始", "伊藤研の時代")]:
        assert share_heard(site, said, heard, settings, acts=True) == 0.0, (said, heard)
    for said, heard in [("実行", "じっこら"), ("移送開始", "伊藤開始"), ("確認", "格任")]:
        assert share_heard(site, said, heard, settings, acts=True) == 1.0, (said, heard)


def test_a_word_spelled_in_kana_is_the_word_itself(ja):
    """Whisper writes カクニン for 確認 (its sound, in katakana): the same word, not a homophone
    (駅面 for 液面 is another word that reads alike, and costs like a sound-alike)."""
    for heard in ("カクニン", "かくにん", "確認"):
        result = ja.parse(heard)
        assert (result.intent, result.confidence) == ("confirm", 1.0), heard
    assert ja.parse("デュワー十二の駅面は").confidence < 1.0


def test_the_wake_phrase_said_alone_is_heard(ja, japanese_voice):
    """Whisper base writes Open JTalk's 「ワンワン」 said alone, or before a pause, as 「1番」: the
    name is checked against the audio itself. Short words that are not it stay what they are."""
    from wanwan import VoicePipeline, make_recognizer

    recognizer = make_recognizer("auto", ja, wake="ワンワン")
    pipeline = VoicePipeline(ja, recognizer, wake="ワンワン")

    def hear(text: str):
        heard = hear_spoken(pipeline, japanese_voice, text)
        assert len(heard) == 1, text
        return heard[0]

    assert hear("ワンワン").bare_wake
    for other in ("はい", "止めて", "確認", "ありがとう", "はい、止めて", "えっと、デュワー7の液面は？"):
        heard = hear(other)
        assert not heard.woke, (other, heard.transcript.text)
    for dewar in ("12", "7"):  # the wake phrase before a pause
        heard = hear(f"ワンワン、デュワー{dewar}の液面は？")
        assert heard.woke and (heard.parse.intent, heard.parse.slots) == (
            "read_level", {"dewar": dewar}), heard.transcript.text


def test_kokoro_speaks_japanese_that_whisper_understands(ja_listener, tmp_path):
    """The second Japanese voice behind the same interface: Kokoro's model is joined from its
    packages into the models folder (checked by its SHA-256), a site's ``speech.voice`` picks
    one of its voices, and what it says is heard back by Whisper base."""
    from wanwan.asr import models
    from wanwan.audio.io import load_audio
    from wanwan.errors import UserError
    from wanwan.tts import Voice, make_synthesizer

    voice = make_synthesizer("kokoro", Voice("jm_kumo"), language="ja")
    assert (voice.name, voice.voice) == ("kokoro", "jm_kumo")
    assert next(m for m in models.installed() if m.name == "kokoro-ja").ok
    with pytest.raises(UserError, match="jf_alpha"):
        make_synthesizer("kokoro", Voice("en-gb"), language="ja")
    wav = voice.to_file("デュワー12は62パーセントです。止めました。", tmp_path / "reply.wav")
    assert 2.0 < load_audio(wav).duration < 10.0

    said = [("デュワー12の液面は？", "read_level", {"dewar": "12"}),
            ("田中研に50リットル記録", "log_volume", {"lab": "tanaka", "amount": 50, "unit": "L"}),
            ("回収圧縮機を止めて", "compressor_control", {"action": "stop"})]
    heard = understood(ja_listener, voice, said)
    assert heard >= 2, heard  # a share: which ones depends on the decoder's arithmetic


def test_a_copy_of_the_prompt_is_not_taken_for_what_was_said(ja_listener, japanese_voice):
    """Over speech it cannot read, Whisper writes a sentence of its prompt whole (chatter in
    noise became the prompt's transfer sentence: an actuating false accept). A reading that
    acts and repeats the prompt is checked against one without the prompt, and kept only
    where that reading still has its words."""
    import numpy as np

    from wanwan.asr.whisper import _Reading, _Starts
    from wanwan.audio.io import resample

    recognizer = ja_listener.recognizer
    encode = recognizer.tokenizer.encode
    prompt = recognizer.tokenizer.decode(recognizer.prompt_tokens[1:])
    acting = [s for s in prompt.split("。") if recognizer._copies_prompt(encode(s), s)]
    transfer = next(s for s in acting if "移送開始" in s)
    for other in ("回収室の酸素濃度を教えて", "デュワー7から汲み出し開始", "今日は寒いね"):
        assert not recognizer._copies_prompt(encode(other), other), other  # asks, or not copied

    def was_prompt(said: str) -> bool:
        """Whether the transfer sentence, were Whisper to write it for ``said``, would be
        found to be the prompt's words."""
        audio = resample(japanese_voice.synthesize(said), japanese_voice.sample_rate, 16000)
        encoded, _ = recognizer._encode(audio.astype(np.float32) / 32768)
        plain = recognizer._free(encoded, [], 1, 60)[0]
        copy = _Reading(transfer, 1.0, encode(transfer), {})
        return recognizer._was_prompt(_Starts(recognizer.decoder, encoded[0]), copy, plain)

    assert was_prompt("今日は寒いね")
    assert not was_prompt(transfer)
    heard = hear_spoken(ja_listener, japanese_voice, transfer)
    assert [h.parse.intent for h in heard] == ["start_transfer"], [
        h.transcript.text for h in heard]


def test_a_lab_the_prompt_names_does_not_take_the_place_of_the_one_said(ja_listener,
                                                                       japanese_voice):
    """The prompt's ledger sentence names 佐藤研 with 12.5 litres; Whisper wrote Open JTalk's
    clean 「鈴木研に十二点五リットル記録」 as the prompt's 佐藤研. Each other lab put in its
    place is read without the prompt, and the lab said is the likeliest by far."""
    import numpy as np

    from wanwan.asr.whisper import _Reading, _Starts
    from wanwan.audio.io import resample

    said = "鈴木研に十二点五リットル記録"
    heard = hear_spoken(ja_listener, japanese_voice, said)
    assert [(h.parse.intent, h.parse.slots) for h in heard] == [
        ("log_volume", {"lab": "suzuki", "amount": 12.5, "unit": "L"})], [
        h.transcript.text for h in heard]
    recognizer = ja_listener.recognizer
    audio = resample(japanese_voice.synthesize(said), japanese_voice.sample_rate, 16000)
    encoded, _ = recognizer._encode(audio.astype(np.float32) / 32768)
    starts = _Starts(recognizer.decoder, encoded[0])

    def mended(text: str) -> str:
        reading = _Reading(text, 1.0, recognizer.tokenizer.encode(text), {})
        return recognizer._hear_values(starts, reading).text

    assert mended("佐藤研に12.5リットル記録。") == "鈴木研に12.5リットル記録。"
    assert mended("鈴木研に12.5リットル記録。") == "鈴木研に12.5リットル記録。"
    assert mended("今日は寒いね。") == "今日は寒いね。"  # nothing understood, nothing to check


def test_a_unit_or_a_period_written_for_another_is_checked_against_the_audio(ja_listener,
                                                                            japanese_voice):
    """Not only the site's names: Whisper wrote Open JTalk's 「ガス3立方メートル回収を記録」 as
    「ガス3リットル…」 (gas logged in litres) and 「今月」 as 「本日」; the grammar pass wrote the
    prompt's 12.5 for 10. Every list's values, and the numbers Whisper wrote itself, are read
    again without the prompt; a swap that would change another slot is not tried."""
    import numpy as np

    from wanwan.asr.whisper import _Reading, _Starts
    from wanwan.audio.io import resample

    recognizer = ja_listener.recognizer

    def mended(said: str, written: str, free_text: str = "") -> str:
        audio = resample(japanese_voice.synthesize(said), japanese_voice.sample_rate, 16000)
        encoded, _ = recognizer._encode(audio.astype(np.float32) / 32768)
        reading = _Reading(written, 1.0, recognizer.tokenizer.encode(written),
                           {"free_text": free_text})
        return recognizer._hear_values(_Starts(recognizer.decoder, encoded[0]), reading).text

    assert mended("ガス3立方メートル回収を記録", "ガス3リットル回収を記録。") == \
        "ガス3立方メートル回収を記録。"
    assert mended("今月どのくらい回収できた？", "本日どのくらい回収できた。") == \
        "今月どのくらい回収できた。"
    assert mended("50リットルは何立方メートル", "50リットルは何立方メートル。") == \
        "50リットルは何立方メートル。"
    # a number: the grammar pass, after the prompt's 「佐藤研に12.5リットル」, wrote 12.5 where
    # Whisper's own reading had 10; the numbers Whisper wrote are tried in its place
    assert mended("鈴木研に10リットル", "鈴木研に12.5リットル記録。", "佐藤研に10リットル。") == \
        "鈴木研に10リットル記録。"
    assert mended("鈴木研に10リットル", "鈴木研に10リットル記録。", "佐藤研に12.5リットル。") == \
        "鈴木研に10リットル記録。"


def test_of_the_grammars_sentences_one_that_sounds_like_what_was_heard_may_win(ja_listener,
                                                                             monkeypatch):
    """Kokoro's 「ストップ」 was written 「スドープ」; the grammar pass found 「酸素濃度」 a little
    likelier than 「ストップ」 and kept it, though 「ストップ」 sounds far more like what Whisper
    wrote. The Japanese catalogue weighs sound (``sound_nats``); a sentence that sounds alike
    gains at most that many nats, so one much less likely still loses."""
    from dataclasses import replace

    from wanwan.asr.constrained import Hypothesis

    recognizer = ja_listener.recognizer
    assert recognizer.settings.sound_nats > 0
    tokenizer = recognizer.tokenizer

    def sentence(text: str, score: float) -> Hypothesis:
        return Hypothesis([*tokenizer.encode(text), tokenizer.eot], score, frozenset())

    notes: dict = {}
    found = [sentence("酸素濃度。", -5.0), sentence("ストップ。", -6.0)]
    chosen = recognizer._likeliest_by_sound(found, "スドープ。", notes)
    assert chosen is found[1] and notes["chosen_by_sound"].startswith("ストップ")
    far = [sentence("酸素濃度。", -5.0), sentence("ストップ。", -5.0 - 1.5 * recognizer.settings
                                                  .sound_nats)]
    assert recognizer._likeliest_by_sound(far, "スドープ。", {}) is far[0]
    # a sentence that acts, chosen for its sound, must sound as alike as a short one that acts
    unlike = [sentence("はい、", -13.04), sentence("デュワー20からNMRに移送開始。", -13.73)]
    assert recognizer._likeliest_by_sound(unlike, "今が20分後、NMRに1位が来ます。", {}) \
        is unlike[0]
    monkeypatch.setattr(recognizer, "settings", replace(recognizer.settings, sound_nats=0.0))
    assert recognizer._likeliest_by_sound(found, "スドープ。", {}) is found[0]


def test_a_habit_told_in_japanese_is_no_command(ja_site):
    """「田中研はだいたい週に50リットル使う」 was logged: a word of habit (週, 毎日, 普段) that the
    template does not say makes a sentence no command, as "usually" does in English."""
    assert ja_site.parse("田中研はだいたい週に50リットル使う").intent is None
    assert ja_site.parse("田中研が50リットル使った").intent == "log_volume"


def test_a_reason_said_before_a_japanese_question_is_read_past(ja_site):
    """The clause ends in its particle (から, ので, けえ) as an English one opens with its
    word: the same mechanism, told by the catalogue's language data."""
    result = ja_site.parse("報告書に使うけえ、先月の回収量を教えて")
    assert (result.intent, result.slots) == ("recovery_summary", {"period": "last_month"})
    # before a request that acts, a reason that says it is one is read past too (the
    # request is read back before it acts), a condition never: that is for later
    hurried = ja_site.parse("急ぐから、デュワー7からNMRに移送開始")
    assert hurried.intent == "start_transfer" and not hurried.exact
    assert ja_site.parse("空になったら、デュワー7からNMRに移送開始").intent is None
    # the particle misheard (「けえ」 as 「経営」), the comma Whisper put after it still marks it
    result = ja_site.parse("報告書に使う経営、先月の回収量を教えて")
    assert (result.intent, result.slots) == ("recovery_summary", {"period": "last_month"})
    # the particle that ends the clause names nothing, though から is also a word of the
    # period 「今年に入ってから」 (the question was refused as if the clause named a period)
    for said in ("報告書に使うから、先月の回収量は？", "比べたいから、先月の回収量は？"):
        result = ja_site.parse(said)
        assert (result.intent, result.slots) == ("recovery_summary", {"period": "last_month"})


def test_one_intents_many_templates_do_not_crowd_out_another(ja):
    """Thirty ways to log an amount all share a sentence's amount and unit: after two more
    were written, the tolerant matcher's shortlist (the templates it aligns) held none of the
    conversion's and 「50リットルって何立方メートル？」 was not understood. At most a few
    templates of one intent are shortlisted while other intents have any (uncapped, this
    sentence's shortlist holds 11 log templates today)."""
    from collections import Counter

    from wanwan.nlu.matcher import PER_INTENT, SHORTLIST

    text = "50リットルって何立方メートル？"
    result = ja.parse(text)
    assert (result.intent, result.slots) == ("convert_units",
                                             {"amount": 50, "unit": "L", "to_unit": "m3"})
    shortlist = Counter(ja.intent_names[i]
                        for i in ja._shortlist(ja.catalog.normalise(text), None))
    assert PER_INTENT < SHORTLIST
    assert shortlist["convert_units"] and shortlist["log_volume"] <= PER_INTENT


def test_a_lead_in_is_known_by_its_letters_where_the_analyser_cuts_it_otherwise(ja_site):
    """えーと is one word alone (as the catalogue lists it) and えー + と before a sentence:
    a phrase read past is matched on its letters in a language without spaces."""
    from wanwan.nlu import japanese

    assert japanese.segment("えーと")[0] == "えーと" and japanese.segment("えーと、さっき")[:2] == [
        "えー", "と"]  # the premise
    result = ja_site.parse("えーと、さっきの入力なしにして")
    assert result.intent == "undo_log" and result.confidence >= 0.9


def test_a_word_spelled_another_way_is_split_as_a_template_splits_it(ja_site):
    """コンプレッサー is spelled 圧縮機, which a template's analyser splits 圧縮 + 機: the
    spelled word must be split the same way, or the stop of the compressor is not sure."""
    result = ja_site.parse("コンプレッサー、ストップで")
    assert (result.intent, result.slots) == ("compressor_control", {"action": "stop"})
    assert result.confidence >= 0.9


def test_a_word_corrected_is_read_past_in_japanese(ja_site):
    """The same mechanism as in English, told by the catalogue's ``corrections``; じゃなくて
    says ない, and the correction is read before the sentence is refused for it."""
    result = ja_site.parse("デュワー7、いや、12の液面は？")
    assert (result.intent, result.slots) == ("read_level", {"dewar": "12"})
    result = ja_site.parse("田中研、じゃなくて佐藤研に50リットル記録")
    assert (result.intent, result.slots) == ("log_volume", {
        "lab": "sato", "amount": 50, "unit": "L"})


def test_a_word_heard_as_a_number_is_compared_by_its_sound(ja_site):
    """Whisper writes 「充填」 (juuten) heard in noise as 「10点」: a number has a sound in a
    language whose script does not spell it, and a word may be heard as a number and a word."""
    from wanwan.nlu import japanese

    assert japanese.number_sound(10) == "juu" and japanese.number_sound(2.5) is None
    result = ja_site.parse("もうええ、10点止めて")
    assert result.intent == "stop_transfer" and not result.exact
    result = ja_site.parse("田中研に10リットル記録")  # a number is still a number first
    assert result.slots == {"lab": "tanaka", "amount": 10, "unit": "L"}


def test_a_particle_a_template_writes_alone_is_split_as_in_a_sentence(ja_site):
    """Alone, the analyser reads 「まで」 as ま + で; in 「90パーセントまで」 it is one word: every
    template with a target level (「<percent> (まで|に なる まで)」) missed every sentence."""
    from wanwan.nlu import japanese

    assert japanese.segment("まで") == ["まで"] and japanese.segment("はい") == ["はい"]
    result = ja_site.parse("NMRを90パーセントまで充填して")
    assert (result.intent, result.slots) == ("start_transfer", {"target": "nmr600",
                                                                "target_level": 90})
    assert result.exact


def test_a_japanese_request_for_later_is_no_command_now(ja_site):
    assert ja_site.parse("明日の朝に圧縮機止めて").intent is None
    assert ja_site.parse("明日田中研に50リットル記録して").intent is None
    assert ja_site.parse("デュワー12、来週までもちますか").intent == "days_until_empty"


@pytest.mark.parametrize(("text", "intent", "slots"), [
    ("ガスバッグが空っぽだから、圧縮機止めて", "compressor_control", {"action": "stop"}),
    ("移送止めて、もう満タンだから", "stop_transfer", {}),
    ("もったいないから、移送止めて", "stop_transfer", {}),
])
def test_a_reason_said_with_a_request_is_read_past_in_japanese(ja_site, text, intent, slots):
    """Japanese says why first (「〜だから、」) or after (「〜、〜だから」)."""
    result = ja_site.parse(text)
    assert (result.intent, result.slots) == (intent, slots), result.reason


@pytest.mark.parametrize("text", ["バッグが満杯になったら、圧縮機を動かして",
                                  "昼ご飯の後、圧縮機を止めて", "バッグ満杯なら、圧縮機動かして",
                                  "空じゃないから、圧縮機止めて"])
def test_a_request_on_a_condition_is_no_command_now_in_japanese(ja_site, text):
    assert ja_site.parse(text).intent is None


@pytest.mark.parametrize(("text", "intent", "slots"), [
    ("デュワー3の圧力、見てつかぁさい", "read_pressure", {"dewar": "3"}),  # 岡山
    ("7番から汲み出し始めてけぇ", "start_transfer", {"source": "7"}),
    ("充填止めてくれんか", "stop_transfer", {}),
    ("今月の回収量、なんぼじゃろ", "recovery_summary", {"period": "this_month"}),
    ("圧縮機を止めてけろ", "compressor_control", {"action": "stop"}),  # 岩手
    ("デュワー20の液面はどうだべ", "read_level", {"dewar": "20"}),
])
def test_a_request_ended_as_okayama_or_iwate_end_it_is_the_request(ja_site, text, intent,
                                                                     slots):
    result = ja_site.parse(text)
    assert (result.intent, result.slots) == (intent, slots), result.reason


@pytest.mark.parametrize("text", ["圧縮機は止めんでええ", "まだ止めんといて", "止めないでけろ"])
def test_the_western_n_that_denies_is_a_negation(ja_site, text):
    """「止めんでええ」: no need to stop it; the ん of the west for ない."""
    assert ja_site.parse(text).reason == "negated"


@pytest.mark.parametrize(("text", "intent", "slots"), [
    ("でゅわー12のえきめんは", "read_level", {"dewar": "12"}),
    ("がすばっぐの状態は", "gas_status", {}),
    ("50りっとるを立方メートルに換算", "convert_units", {"amount": 50, "unit": "L", "to_unit": "m3"}),
])
def test_a_loanword_written_in_hiragana_is_the_loanword(ja_site, text, intent, slots):
    """The analyser cuts でゅわー into letters (で + ゅ + わー); a loanword of the catalogue
    is found in either writing before it does."""
    result = ja_site.parse(text)
    assert (result.intent, result.slots) == (intent, slots), result.reason


def test_a_name_said_after_the_request_is_read_as_its_topic(ja_site):
    """「回収量、先月は？」: the whole, read tolerantly, left 先月 out (and was refused for it);
    said apart, it is the answer to the slot the request leaves open."""
    result = ja_site.parse("回収量、先月は？")
    assert (result.intent, result.slots) == ("recovery_summary", {"period": "last_month"})


@pytest.mark.parametrize(("text", "intent", "slots"), [
    ("止めて、圧縮機", "compressor_control", {"action": "stop"}),
    ("開始、デュワー4からNMRへの充填", "start_transfer", {"source": "4", "target": "nmr600"}),
])
def test_what_a_request_is_about_said_after_it_is_read_in_place(ja_site, text, intent, slots):
    """倒置: 「止めて、圧縮機」 is the compressor's stop; read past as a reason after the
    request, 圧縮機 left a stop of speech."""
    result = ja_site.parse(text)
    assert (result.intent, result.slots) == (intent, slots), result.reason


@pytest.mark.parametrize(("text", "intent", "slots"), [
    ("佐藤さんが回収室の酸素濃度を聞いてる", "read_oxygen", {"room": "recovery"}),
    ("上司に圧縮機を止めてって言われた", "compressor_control", {"action": "stop"}),
    ("先生が新しい圧縮機が欲しいって", None, {}),
    ("学生がデュワー7を倒したって言ってた", None, {}),
    ("チェックリストはどこにありますか", None, {}),  # no チェック cut out of it
])
def test_a_request_made_for_someone_else_is_the_request_in_japanese(ja_site, text, intent,
                                                                      slots):
    """Who asks (〜が, 〜さんに) is read past when what is asked ends as asked for them
    (〜を聞いてる, 〜って言われた); what they want that is no request stays none."""
    result = ja_site.parse(text)
    assert (result.intent, result.slots) == (intent, slots), result.reason


def test_a_tail_out_the_template_says_is_kept_when_a_lead_in_is_read_past(ja_site):
    """「じゃあ…移送お願い」: read past じゃあ and お願い both, no template fits; お願い is the
    transfer template's own last word, kept when only the lead-in is read past."""
    result = ja_site.parse("じゃあ4番からPPMSに移送お願い")
    assert (result.intent, result.slots) == ("start_transfer", {"source": "4", "target": "ppms1"})
    assert result.confidence >= 0.9  # an acting sentence, sure enough to be read back


def test_a_topic_says_a_word_of_the_name_it_answers_with(ja_site):
    """「もう一回言うね、…」 was read as a topic said apart: its 1 is a word of a dewar's name
    ("one two") and its 回 sounds like ガス, so the log took phase gas."""
    result = ja_site.parse("もう一回言うね、伊藤研に20リットル記録")
    assert (result.intent, result.slots) == ("log_volume", {"lab": "ito", "amount": 20,
                                                            "unit": "L"})
    result = ja_site.parse("7番からPPMSに補充して")  # a topic that names its dewar
    assert (result.intent, result.slots) == ("start_transfer", {"source": "7",
                                                                "target": "ppms1"})


@pytest.mark.parametrize("text", [
    "昨日鈴木研に40リットル記録したよ",  # what was done yesterday, told: no new entry
    "昨日の回収量は？",  # bent into 今日's, it gave today's figure for yesterday
])
def test_a_day_gone_is_neither_a_request_nor_bent_into_today(ja_site, text):
    assert ja_site.parse(text).intent is None


@pytest.mark.parametrize(("text", "intent", "slots"), [
    ("酸素は18パーセント以上ある？", "read_oxygen", {}),
    ("バッグは90パーセントだったよ", None, {}),  # a figure told, no comparison said
    # the one word that says what is asked about is bent into another: nothing is read
    ("景気どうですか", None, {}),
    ("天気どうですか", None, {}),
])
def test_a_figure_asked_against_and_a_word_bent_away(ja_site, text, intent, slots):
    result = ja_site.parse(text)
    assert (result.intent, result.slots) == (intent, slots), result.reason


@pytest.mark.parametrize(("text", "intent", "slots"), [
    # a duty said in the negative form is a request (「〜ないといけない」, 「〜なきゃ」)
    ("移送を止めないといけない", "stop_transfer", {}),
    ("伊藤研に30リットル記録しなきゃ", "log_volume", {"amount": 30, "unit": "L", "lab": "ito"}),
    # ... a plain negative still denies
    ("圧縮機を止めないで", None, {}),
    ("圧縮機を止めなくていい", None, {}),
])
def test_a_duty_said_in_the_negative_is_a_request(ja_site, text, intent, slots):
    result = ja_site.parse(text)
    assert (result.intent, result.slots) == (intent, slots), result.reason


@pytest.mark.parametrize(("text", "intent", "slots"), [
    ("4時にデュワー7からNMRに充填して", None, {}),  # for then, not now
    ("午後3時に圧縮機止めて", None, {}),
    ("デュワー3が20パーセントになったら教えて", "set_level_alert", {"dewar": "3", "level": 20}),
])
def test_a_time_of_day_makes_no_command_now(ja_site, text, intent, slots):
    result = ja_site.parse(text)
    assert (result.intent, result.slots) == (intent, slots), result.reason


@pytest.mark.parametrize(("text", "intent", "slots"), [
    # the request first, why after: the request, never the question-like reason alone
    ("圧縮機止めて、ガスバッグがもう破裂しそう", "compressor_control", {"action": "stop"}),
    # the thing first, something told of it, then the question about it
    ("12番がずっとシューシュー言ってる、圧力どうなってる？", "read_pressure", {"dewar": "12"}),
])
def test_a_request_and_its_reason_a_story_and_its_question(ja_site, text, intent, slots):
    result = ja_site.parse(text)
    assert (result.intent, result.slots) == (intent, slots), result.reason


def test_a_stop_said_before_a_question_is_not_read_past(ja_site):
    assert ja_site.parse("汲み出し止めて、3番の残量は？").intent != "read_level"


def test_a_stop_or_a_request_that_acts_after_a_question_is_not_read_past(ja_site):
    assert means_stop(ja_site, ja_site.parse("7番の液面は？、移送止めて"))
    assert ja_site.parse("バッグは満杯？、圧縮機を動かして").intent is None


def test_a_stop_is_no_false_start_begun_again(ja_site):
    # 「移送止めて」 read past as a start begun again with 移送 left a start from dewar 7
    for text in ("7番からの移送止めて、移送始めて", "移送止めて移送開始", "圧縮機止めて、圧縮機回して"):
        result = ja_site.parse(text)
        assert result.intent not in ("start_transfer", "compressor_control"), text
        assert means_stop(ja_site, result), text


def test_what_is_said_to_wanwan_by_name_after_a_pause_in_japanese(ja_site):
    result = ja_site.parse("健二さん、ホース持ってて、ワンワン、移送止めて")
    assert result.intent == "stop_transfer"
    assert ja_site.parse("ワンワンがもう移送止めたと思う").intent is None
    assert ja_site.said_to_assistant("移送止めて、ワンワン、液面は？") is None


@pytest.mark.parametrize("text", [
    "田中研に50リットル記録してある", "50リットルはもう記録済み", "田中研に50リットル記録しといた",
])
def test_a_request_said_as_done_is_a_report_in_japanese(ja_site, text):
    assert ja_site.parse(text).intent is None


def test_a_thing_described_not_named_in_japanese(ja_site):
    result = ja_site.parse("ドアのそばのデュワーの圧力は？")
    assert (result.intent, result.slots) == ("read_pressure", {})
    assert ja_site.parse("窓のそばのやつ漏れてる").intent is None


def test_western_endings_are_the_requests_they_soften(ja_site):
    # 〜ちょいて and 〜ちょる are runs of words to the analyser, respelled as 〜といて and 〜とる
    assert ja_site.parse("移送止めちょいて").intent == "stop_transfer"
    assert ja_site.parse("最後の記録、消しちょいて").intent == "undo_log"
    assert ja_site.parse("4番の圧力どうなっちょる？").slots == {"dewar": "4"}
    assert ja_site.parse("圧縮機止めんさい").slots == {"action": "stop"}
    assert ja_site.parse("圧縮機止めなさい").slots == {"action": "stop"}
