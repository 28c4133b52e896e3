"""Speech out: pyttsx3 on espeak-ng, with a queue, interruption, and WAV files.

pyttsx3's espeak driver saves only the last of several ``save_to_file`` calls queued before one
``runAndWait()``, so every file gets its own ``runAndWait()``. Speaking to the speaker goes
through the same synthesis (to a file, then played with sounddevice) so that "stop" can cut
it at once. Without pyttsx3 or its driver, espeak-ng is called directly.
"""

from __future__ import annotations

import logging
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from wanwan.audio.io import load_audio
from wanwan.errors import UserError

log = logging.getLogger(__name__)


@dataclass
class Voice:
    name: str = "en-us"  # an espeak-ng voice name or a pyttsx3 voice id
    rate: int = 160  # words per minute


class Synthesizer:
    """Text to WAV files (thread-safe: one synthesis at a time)."""

    def __init__(self, voice: Voice | None = None) -> None:
        self.voice = voice or Voice()
        self._lock = threading.Lock()
        self._engine = None
        try:
            import pyttsx3  # deferred: its espeak driver may be missing; espeak-ng then

            self._engine = pyttsx3.init("espeak")
            # its driver prints "Audio saved to …" on every file; redirecting stdout around
            # the call would swallow what other threads print meanwhile, so its print is
            # turned into a debug log in that module alone
            driver = sys.modules.get("pyttsx3.drivers.espeak")
            if driver is not None:
                driver.print = _driver_said  # type: ignore[attr-defined]
            self._engine.setProperty("rate", self.voice.rate)
            self._select_voice()
        except Exception as exc:  # pyttsx3 missing its driver: fall back to the CLI
            log.info("pyttsx3 unavailable (%s); using espeak-ng directly", exc)
            self._engine = None
            if not shutil.which("espeak-ng"):
                raise UserError("no speech synthesiser: install espeak-ng "
                                "(bash scripts/bootstrap.sh)") from None

    def _select_voice(self) -> None:
        assert self._engine is not None
        wanted = self.voice.name.lower()
        for v in self._engine.getProperty("voices"):
            if wanted in (str(v.id).lower(), str(v.name).lower()) or str(v.id).lower(
                    ).endswith("/" + wanted):
                self._engine.setProperty("voice", v.id)
                return
        log.info("voice %r not found; keeping the default", self.voice.name)

    def to_file(self, text: str, path: Path | str) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            if self._engine is not None:
                self._engine.save_to_file(text, str(path))
                self._engine.runAndWait()  # one file per runAndWait (the driver's trap)
                if not _holds_audio(path) and shutil.which("espeak-ng"):
                    # now and then the driver returns having written nothing (seen once in
                    # some twenty demo runs, with Whisper busy on both cores)
                    log.warning("pyttsx3 wrote no audio for %r; using espeak-ng directly", text)
                    self._espeak(text, path)
            else:
                self._espeak(text, path)
        if not _holds_audio(path):
            raise UserError(f"speech synthesis wrote no audio to {path}")
        return path

    def _espeak(self, text: str, path: Path) -> None:
        subprocess.run(["espeak-ng", "-v", self.voice.name, "-s", str(self.voice.rate),
                        "-w", str(path), text], check=True, capture_output=True)


def _driver_said(*args: object, **kwargs: object) -> None:
    log.debug("pyttsx3: %s", " ".join(map(str, args)))


def _holds_audio(path: Path) -> bool:
    return path.exists() and path.stat().st_size >= 100


def require_output_device() -> None:
    """A UserError saying what to do when there is no speaker to play to."""
    try:
        import sounddevice as sd  # deferred: loads PortAudio

        sd.query_devices(kind="output")
    except Exception as exc:
        raise UserError(f"no speaker available ({str(exc).strip() or 'no device'}); use -o "
                        "FILE.wav to write the speech to a file") from None


class Speaker:
    """A queue of things to say, played in order; ``interrupt()`` cuts the current one and
    drops the rest (what "stop" does)."""

    def __init__(self, synth: Synthesizer, *, device: str | int | None = None,
                 out_dir: Path | None = None) -> None:
        self.synth = synth
        self.device = device
        self.out_dir = out_dir
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._interrupt = threading.Event()
        self.speaking = threading.Event()
        self.files: list[Path] = []
        self.last_ms = 0.0  # how long the last line took to synthesise (and play)
        self._count = 0
        self._thread = threading.Thread(target=self._run, name="speaker", daemon=True)
        self._thread.start()

    def say(self, text: str, ref: str | None = None) -> None:
        """Queue a line (``ref``: the asker's id; a local speaker has no one to tell)."""
        self._queue.put(text)

    def interrupt(self) -> None:
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._interrupt.set()
        if self.out_dir is None:
            import sounddevice as sd  # deferred: loads PortAudio

            sd.stop()

    def wait_idle(self, timeout: float = 30) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._queue.empty() and not self.speaking.is_set():
                return True
            time.sleep(0.02)
        return False

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(5)

    def _run(self) -> None:
        while True:
            text = self._queue.get()
            if text is None:
                return
            self._interrupt.clear()
            self.speaking.set()
            started = time.perf_counter()
            try:
                self._count += 1
                if self.out_dir is not None:
                    path = self.synth.to_file(text, self.out_dir / f"reply-{self._count:03d}.wav")
                    self.files.append(path)
                else:
                    self._play(text)
            except Exception:
                log.exception("could not speak %r", text)
            finally:
                self.last_ms = (time.perf_counter() - started) * 1000
                self.speaking.clear()

    def _play(self, text: str) -> None:
        import sounddevice as sd  # deferred: loads PortAudio

        with tempfile.TemporaryDirectory() as tmp:
            audio = load_audio(self.synth.to_file(text, Path(tmp) / "say.wav"))
        if self._interrupt.is_set():
            return
        sd.play(audio.samples, audio.rate, device=self.device)
        while sd.get_stream().active and not self._interrupt.is_set():
            time.sleep(0.02)
        sd.stop()
