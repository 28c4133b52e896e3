"""Turn-taking and the kiosk: whether an utterance is meant for wanwan, and one site's whole
voice loop fed audio as a microphone delivers it."""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from tests.speech import SILENCE, say, spy_on_speech
from wanwan.asr.base import Recognizer, Transcript
from wanwan.audio.vad import Utterance, chunks
from wanwan.kiosk import Kiosk, TurnTaking
from wanwan.nlu.wake import split_wake
from wanwan.tts import Speaker, make_synthesizer
from wanwan.voice import QUICK_GUESS_MS, Heard, LiveHearing, VoicePipeline

BAY = "bay-1"


def test_turn_taking(engine):
    def heard(text: str) -> Heard:
        woke, command = split_wake(text, "wan wan", engine)
        utterance = Utterance(np.zeros(1600, np.int16), 0.0, 0.1)
        return Heard(utterance, Transcript(text, 0.9), woke, command, engine.parse(command))

    turns = TurnTaking(follow_up_s=0.3)
    idle = {"pending": False, "transfer_running": False, "speaking": False}
    assert turns.addressed(heard("wan wan, what's the level in dewar twelve"), **idle)[0]
    assert not turns.addressed(heard("what's the level in dewar twelve"), **idle)[0]
    assert turns.addressed(heard("yes"), **idle | {"pending": True}) == (
        True, "answering a confirmation")
    assert turns.addressed(heard("stop"), **idle | {"transfer_running": True})[0]
    assert not turns.addressed(heard("stop"), **idle)[0]
    bare = heard("Wan wan.")
    assert bare.bare_wake and turns.addressed(bare, **idle)[0]
    turns.replied()  # "Yes?": the command may follow without the wake phrase
    assert turns.addressed(heard("how much helium do we have"), **idle) == (True, "follow-up")
    assert not TurnTaking(follow_up_s=0.3).addressed(heard("how much helium do we have"),
                                                     **idle)[0]  # another site's
    time.sleep(0.35)
    assert not turns.addressed(heard("how much helium do we have"), **idle)[0]
    # said inside the window, recognised after it closed (a slow machine): still the follow-up
    late = heard("how much helium do we have")
    late.addressed = True
    assert turns.addressed(late, **idle) == (True, "expected when said")
    assert not heard("wan wan, stop").bare_wake


class BusyMachine:
    """A real recogniser on a machine busy with something else: every utterance takes
    ``delay_s`` longer to recognise (the demo saw 11-16 s a sentence beside a benchmark)."""

    def __init__(self, recognizer: Recognizer, delay_s: float) -> None:
        self.recognizer = recognizer
        self.delay_s = delay_s

    def __getattr__(self, name: str):
        return getattr(self.recognizer, name)

    def transcribe(self, samples: np.ndarray, *, addressed: bool = False) -> Transcript:
        time.sleep(self.delay_s)
        return self.recognizer.transcribe(samples, addressed=addressed)


def test_a_confirmation_said_at_once_counts_however_slowly_it_is_recognised(lab, whisper,
                                                                           tmp_path):
    """"confirm" said right after the read-back, recognised long after the read-back's window
    (0.8 s here) has run out: the window counts to when it was said, so the transfer starts,
    and no "timed out" is said over the technician's answer."""
    source = "bay-mic"
    lab.ask("start the transfer from dewar seven into the nmr six hundred", BAY, source=source)
    pipeline = VoicePipeline.for_speech(lab.engine, BusyMachine(whisper, 1.5),
                                        lab.config.speech)
    speaker = Speaker(make_synthesizer("espeak"), out_dir=tmp_path / "replies")
    with Kiosk(lab, pipeline, speaker, BAY, source=source) as kiosk:
        audio = np.concatenate([say(tmp_path, "confirm"), SILENCE])
        taken = [t for block in chunks(audio, 1600) for t in kiosk.feed(block)]
        taken += kiosk.flush()
        turns = [t.turn for t in taken if t.future is not None]
    speaker.close()
    assert [t.decision for t in turns] == ["confirmed"]
    assert turns[0].reply.startswith("Transfer started from dewar 7")
    assert not lab.replies_for(BAY, "notice")


def test_the_time_to_confirm_starts_when_the_read_back_has_been_said(lab, whisper, tmp_path):
    """A read-back takes seconds to say (here 0.8 s to confirm, and the read-back is spoken in
    real time, about five seconds): the technician's time to answer starts when it ends."""
    source = "bay-mic"
    speaker = Speaker(make_synthesizer("espeak"), out_dir=tmp_path / "replies", realtime=True)
    pipeline = VoicePipeline.for_speech(lab.engine, whisper, lab.config.speech)
    with Kiosk(lab, pipeline, speaker, BAY, source=source):
        started = time.monotonic()
        lab.ask("start the transfer from dewar seven into the nmr six hundred", BAY,
                source=source)
        assert speaker.wait_idle(30)
        assert time.monotonic() - started > 1.5  # longer than the time to confirm
        turn = lab.ask("confirm", BAY, source=source)
    speaker.close()
    assert turn.decision == "confirmed", turn.reply
    assert not lab.replies_for(BAY, "notice")


def test_the_follow_up_window_starts_when_the_reply_has_been_said(lab, whisper, tmp_path):
    """A reply longer than the window must not use it up: the window in which the next
    command needs no wake phrase opens when the reply ends."""
    speaker = Speaker(make_synthesizer("espeak"), out_dir=tmp_path / "replies", realtime=True)
    pipeline = VoicePipeline.for_speech(lab.engine, whisper, lab.config.speech)
    with Kiosk(lab, pipeline, speaker, BAY, follow_up_s=1.0) as kiosk:
        started = time.monotonic()
        lab.ask("what is the level in dewar twelve", BAY)  # some three seconds to say
        assert speaker.wait_idle(30)
        assert time.monotonic() - started > 2.0  # longer than the window
        assert kiosk.turns.expecting(pending=False) == "follow-up"
    speaker.close()


def test_a_kiosk_says_its_fixed_lines_the_moment_they_are_decided(lab, whisper, tmp_path):
    """The site's voice (Piper) makes the lines no value changes ahead, in the background:
    the reply to a stop is ready to play at once."""
    speaker = Speaker(make_synthesizer(), out_dir=tmp_path / "replies")
    pipeline = VoicePipeline.for_speech(lab.engine, whisper, lab.config.speech)
    with Kiosk(lab, pipeline, speaker, BAY) as kiosk:
        assert kiosk.preparing.join(120)
        assert kiosk.preparing.made > 40
        made_now = spy_on_speech(speaker.synth)
        turn = lab.ask("stop", BAY)
        assert speaker.wait_idle(30)
    speaker.close()
    first = speaker.synth.split(turn.reply)[0]
    assert first in kiosk.say.fixed_sentences(), turn.reply
    assert first not in made_now  # ready when decided (a Piper sentence takes 50-200 ms)
    assert speaker.files  # and said


def test_a_recogniser_shared_by_many_sites_is_not_asked_to_guess_sooner(engine, whisper,
                                                                         tmp_path):
    """A guess thrown away on a server's one recogniser holds up every other satellite: only
    a kiosk with its own recogniser guesses sooner after a short utterance, however quick
    the shared one's guesses are."""
    pipeline = VoicePipeline(engine, whisper)
    with LiveHearing(pipeline) as own:
        assert own.endpointer.short_pauses
    stops = np.concatenate([say(tmp_path, "stop"), SILENCE] * 4)
    shared = ThreadPoolExecutor(1)
    with LiveHearing(pipeline, worker=shared) as hearing:
        for block in chunks(stops, 512):
            hearing.feed(block)
            hearing.wait_for_guess(10)  # the same on any machine: guesses are used
        hearing.flush()
        assert hearing.guesses_used >= 3  # enough for the quick-guess median to be taken
        assert not hearing.endpointer.short_pauses
    shared.shutdown()


def test_a_slow_recogniser_is_not_asked_to_guess_sooner(engine, whisper, tmp_path):
    """A guess sooner after a short utterance is thrown away now and then: worth it while
    recognising one is quick (tiny.en here), not when each takes the better part of a second
    (Whisper base on Japanese, a loaded machine)."""
    stops = np.concatenate([say(tmp_path, "stop"), SILENCE] * 4)
    for recogniser in (whisper, BusyMachine(whisper, 0.6)):
        with LiveHearing(VoicePipeline(engine, recogniser)) as hearing:
            took = []  # what each guess used took to recognise, on this machine
            for block in chunks(stops, 512):
                took += [h.timings_ms["asr"] for h in hearing.feed(block)
                         if "guessed" in h.timings_ms]
                hearing.wait_for_guess(10)  # the same on any machine: guesses are used
            hearing.flush()
            assert len(took) >= 3
            quick = statistics.median(took[-5:]) <= QUICK_GUESS_MS
            assert hearing.endpointer.short_pauses is quick
    assert not quick  # 0.6 s an utterance is never quick
