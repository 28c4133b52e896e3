"""espeak-ng through pyttsx3 (the users' named stack), or espeak-ng itself.

pyttsx3's espeak driver saves only the last of several ``save_to_file`` calls queued before one
``runAndWait()``, so every file gets its own ``runAndWait()``. Without pyttsx3 or its driver,
espeak-ng is called directly. pyttsx3 passes no phoneme input to espeak, so the lexicon's
respellings are used with it; the espeak-ng command line takes ``[[phonemes]]``.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import soundfile as sf

from wanwan.audio.io import resample
from wanwan.errors import UserError
from wanwan.messages import split_sentences
from wanwan.tts.base import Voice
from wanwan.tts.lexicon import Lexicon

log = logging.getLogger(__name__)


class EspeakSynthesizer:
    """pyttsx3 on espeak-ng (22,050 Hz), with espeak-ng's own command line as the fallback."""

    name = "espeak"
    sample_rate = 22050

    def __init__(self, voice: Voice | None = None, lexicon: Lexicon | None = None) -> None:
        self.voice = voice or Voice()
        self.lexicon = lexicon or Lexicon()
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

    def synthesize(self, text: str) -> np.ndarray:
        with tempfile.TemporaryDirectory(prefix="wanwan-say-") as tmp:
            samples, rate = sf.read(self.to_file(text, Path(tmp) / "say.wav"), dtype="int16")
        if samples.ndim > 1:
            samples = samples[:, 0]
        return samples if rate == self.sample_rate else resample(samples, rate,
                                                                 self.sample_rate)

    def to_file(self, text: str, path: Path | str) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            if self._engine is not None:
                self._engine.save_to_file(self.lexicon.spoken(text, phonemes=False), str(path))
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

    def split(self, text: str) -> list[str]:
        return split_sentences(text)

    def prepare(self, texts: Iterable[str]) -> int:
        """Nothing is kept: pyttsx3 speaks whole lines, through a file."""
        return 0

    def _espeak(self, text: str, path: Path) -> None:
        subprocess.run(["espeak-ng", "-v", self.voice.name, "-s", str(self.voice.rate),
                        "-w", str(path), self.lexicon.spoken(text, phonemes=True)],
                       check=True, capture_output=True)


def _driver_said(*args: object, **kwargs: object) -> None:
    log.debug("pyttsx3: %s", " ".join(map(str, args)))


def _holds_audio(path: Path) -> bool:
    return path.exists() and path.stat().st_size >= 100
