"""Speech out: every file of a queue written, the espeak-ng fallback, interruption."""

from __future__ import annotations

from wanwan.audio.io import load_audio
from wanwan.tts import Speaker, Synthesizer


def test_tts_writes_every_file_of_a_queue(tmp_path):
    speaker = Speaker(Synthesizer(), out_dir=tmp_path)
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

    synth = Synthesizer()
    synth._engine = SilentDriver()
    path = synth.to_file("Logged 50 litres to Tanaka lab.", tmp_path / "reply.wav")
    assert load_audio(path).duration > 1.0


def test_interrupt_drops_what_is_queued(tmp_path):
    speaker = Speaker(Synthesizer(), out_dir=tmp_path)
    for i in range(20):
        speaker.say(f"sentence number {i} of a long reply")
    speaker.interrupt()
    assert speaker.wait_idle(30)
    speaker.close()
    assert len(speaker.files) < 20
