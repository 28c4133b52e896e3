"""Speech out: every file of a queue written, the espeak-ng fallback, interruption."""

from __future__ import annotations

import time

import numpy as np
import pytest

from tests.conftest import wait_for
from tests.speech import spy_on_speech
from wanwan.audio.io import load_audio, resample
from wanwan.errors import UserError
from wanwan.tts import (
    EspeakSynthesizer,
    PiperSynthesizer,
    Speaker,
    load_lexicon,
    make_synthesizer,
)
from wanwan.tts.base import SentenceCache


def test_tts_writes_every_file_of_a_queue(tmp_path):
    speaker = Speaker(EspeakSynthesizer(), out_dir=tmp_path)
    texts = ["Dewar 12 is at 62 percent.", "Transfer started.", "Stopped."]
    for text in texts:
        speaker.say(text)
    assert speaker.wait_idle(30)
    speaker.close()
    assert len(speaker.files) == 3  # pyttsx3's trap: not only the last one
    durations = [load_audio(p).duration for p in speaker.files]
    assert all(d > 0.3 for d in durations) and durations[0] > durations[2]


def test_tts_falls_back_to_espeak_when_pyttsx3_writes_nothing(tmp_path):
    """pyttsx3's espeak driver now and then returns having written no file (a demo run
    failed on it); the reply is then synthesised by espeak-ng itself."""
    class SilentDriver:  # what pyttsx3 did in that run: nothing, and no error
        def save_to_file(self, text: str, path: str) -> None:
            pass

        def runAndWait(self) -> None:  # pyttsx3's name
            pass

    synth = EspeakSynthesizer()
    synth._engine = SilentDriver()
    path = synth.to_file("Logged 50 litres to Tanaka lab.", tmp_path / "reply.wav")
    assert load_audio(path).duration > 1.0


def test_interrupt_drops_what_is_queued(tmp_path):
    speaker = Speaker(EspeakSynthesizer(), out_dir=tmp_path)
    for i in range(20):
        speaker.say(f"sentence number {i} of a long reply")
    speaker.interrupt()
    assert speaker.wait_idle(30)
    speaker.close()
    assert len(speaker.files) < 20


# --- the neural voice, the lexicon, sentence by sentence --------------------------------------

def test_the_default_voice_is_piper_and_is_understood(whisper_free, engine):
    synth = make_synthesizer()
    assert isinstance(synth, PiperSynthesizer)
    # Piper draws its voice's noise afresh for each sentence, and about one "Dewar 12" in twenty
    # comes back from tiny.en as "Dewar Quile": the voice is judged on several level replies,
    # as a listener hears a run of them, not on one draw
    replies = {"Dewar 12 is at 62 percent, about 62 litres.": ("#12", "#62"),
               "Dewar 3 is at 90 percent.": ("#3", "#90"),
               "Dewar 5 is at 40 percent.": ("#5", "#40"),
               "Dewar 7 is at 35 percent, about 88 litres.": ("#7", "#35")}
    misheard = []
    for reply, numbers in replies.items():
        said = synth.synthesize(reply)
        heard = whisper_free.transcribe(resample(said, synth.sample_rate), addressed=True).text
        # Whisper writes "62" or "sixty two": compared as the intent engine reads numbers
        words = [t.text for t in engine.catalog.normalise(heard)]
        if not ({*numbers, "percent"} <= set(words)):
            misheard.append(heard)
    assert len(misheard) <= 1, misheard


def test_the_lexicon_says_the_labs_words_in_every_engine():
    lexicon = load_lexicon("en").merged({"Tanaka": "tah nah kah"}, ["dewar"])
    text = "Dewar 12 holds 3 m3 for Tanaka lab, NMR 600 at 45%."
    assert lexicon.spoken(text, phonemes=True) == (
        "[[d'u:3]] 1 2 holds 3 cubic metres for tah nah kah lab, N M R 600 at 45 percent.")
    assert lexicon.spoken(text, phonemes=False).startswith("Dooer 1 2 holds")
    piper = make_synthesizer("piper", lexicon=lexicon)
    assert piper.phonemes("Dewar 12").startswith("dˈuːɚ")  # espeak alone: "dˈuːɔːɹ"


def test_a_decimal_is_said_with_its_point():
    """The clause splitter took the point of "20.9" for a full stop: Piper said "twenty.
    nine percent", and an oxygen reading of 20.9 was heard as 29."""
    piper = make_synthesizer("piper")
    said = piper.phonemes("Oxygen in the bay is 20.9 percent, 3,000 litres at 12:30.")
    assert "twˈɛnti pɔɪnt nˈaɪn pɚsˈɛnt," in said and "θɹˈiː θˈaʊzənd" in said, said
    assert piper.phonemes("Stopped. Done.").count(".") == 2  # a full stop is still one


def test_a_bad_site_pronunciation_names_the_entry():
    with pytest.raises(UserError, match=r"speech\.pronunciations: 'dewar'"):
        load_lexicon("en").merged({"dewar": {"phonemes": "d'u:3"}})


def test_a_long_reply_starts_before_it_is_all_made(tmp_path):
    speaker = Speaker(make_synthesizer(), out_dir=tmp_path)
    speaker.say("Transfer started. It runs from dewar 7 into NMR 600 and stops at 85 "
                "percent. Pressurising now. I will tell you when it is done. Say stop at any "
                "time.")
    assert speaker.wait_idle(30)
    speaker.close()
    assert len(speaker.files) == 1  # one reply, one file, every sentence in it
    # the short first sentence is ready long before the rest is made
    assert speaker.first_audio_ms < 0.5 * speaker.last_ms
    assert load_audio(speaker.files[0]).duration > 6


def test_stop_cuts_speech_within_100_ms(tmp_path):
    """A speaker that takes as long as the sound lasts: cut mid-sentence, it falls silent at
    once, and nothing more of the line is said."""
    speaker = Speaker(make_synthesizer(), out_dir=tmp_path, realtime=True)
    speaker.say("Transfer started from dewar 7 into NMR 600, stopping at 85 percent. "
                "Pressurising now. I will tell you when it is done.")
    assert wait_for(lambda: speaker.first_audio_at, timeout=10)
    time.sleep(0.3)  # well into the first sentence
    assert speaker.speaking.is_set()
    cut = time.perf_counter()
    speaker.interrupt()
    assert wait_for(lambda: not speaker.speaking.is_set(), timeout=1, step=0.005)
    assert time.perf_counter() - cut < 0.1
    speaker.close()
    assert speaker.files == []  # a line cut short is not written as if said


def test_espeak_stays_the_fallback_when_asked_for():
    synth = make_synthesizer("espeak")
    assert isinstance(synth, EspeakSynthesizer)
    assert len(synth.synthesize("The transfer has stopped.")) > synth.sample_rate * 0.5


def test_fixed_lines_made_ahead_are_said_at_once():
    """A site's fixed lines are made before anyone asks: "The transfer has stopped." is ready the
    moment the stop is decided, and only the sentence with values is made when said."""
    synth = make_synthesizer()
    fixed = ["The transfer has stopped.", "Please say confirm, or cancel."]
    assert synth.prepare(fixed) == 2
    assert synth.prepare(fixed) == 0  # made once, however many kiosks share the voice
    made_now = spy_on_speech(synth)
    ready = synth.synthesize("The transfer has stopped.")
    assert made_now == []  # nothing left to make when it is said (Piper takes 50-200 ms)
    assert len(ready) > synth.sample_rate * 0.5
    reply = synth.synthesize("Start transfer from dewar 7? Please say confirm, or cancel.")
    assert np.array_equal(reply[-len(synth.synthesize("Please say confirm, or cancel.")):],
                          synth.synthesize("Please say confirm, or cancel."))


def test_a_kept_line_stays_however_much_else_is_said():
    cache = SentenceCache(kept=3)
    cache.pin("The transfer has stopped.", np.ones(10, np.int16))
    for n in range(10):
        cache.put(f"Dewar {n} is at 50 percent.", np.zeros(10, np.int16))
    assert cache.get("The transfer has stopped.") is not None
    assert cache.get("Dewar 0 is at 50 percent.") is None  # the oldest unpinned went
    assert cache.get("Dewar 9 is at 50 percent.") is not None
