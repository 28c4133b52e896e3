"""What every speech engine offers: text in, 16-bit mono samples (or a WAV file) out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from wanwan.audio.io import write_wav


@dataclass
class Voice:
    name: str = "en-us"  # an espeak-ng voice name or a pyttsx3 voice id
    rate: int = 160  # words per minute


class Synthesizer(Protocol):
    """A speech engine. Implementations are thread-safe (one synthesis at a time)."""

    name: str
    sample_rate: int

    def synthesize(self, text: str) -> np.ndarray:
        """``text`` spoken, as int16 mono samples at ``sample_rate``."""
        ...

    def to_file(self, text: str, path: Path | str) -> Path:
        """``text`` spoken, written to a WAV file."""
        ...


def write_speech(samples: np.ndarray, rate: int, path: Path | str) -> Path:
    return write_wav(path, samples, rate)
