"""What every speech engine offers: text in, 16-bit mono samples (or a WAV file) out."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from wanwan.audio.io import write_wav
from wanwan.errors import UserError

SENTENCE_GAP_S = 0.15  # silence between sentences
KEPT_SENTENCES = 100  # at most a few minutes of audio, under 10 MB


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


class SentenceCache:
    """The audio of the last sentences said: replies repeat ("Transfer stopped.", "Say confirm
    or cancel."), and a kept one costs nothing to say again. Thread-safe."""

    def __init__(self, kept: int = KEPT_SENTENCES) -> None:
        self.kept = kept
        self._lock = threading.Lock()
        self._made: OrderedDict[str, np.ndarray] = OrderedDict()

    def get(self, sentence: str) -> np.ndarray | None:
        with self._lock:
            audio = self._made.get(sentence)
            if audio is not None:
                self._made.move_to_end(sentence)
            return audio

    def put(self, sentence: str, audio: np.ndarray) -> None:
        with self._lock:
            self._made[sentence] = audio
            while len(self._made) > self.kept:
                self._made.popitem(last=False)


def join_sentences(sentences: Iterable[str], say: Callable[[str], np.ndarray],
                   sample_rate: int) -> np.ndarray:
    """Each sentence said by ``say``, with a short silence between them."""
    gap = np.zeros(int(sample_rate * SENTENCE_GAP_S), np.int16)
    parts: list[np.ndarray] = []
    for sentence in sentences:
        if parts:
            parts.append(gap)
        parts.append(say(sentence))
    if not parts:
        raise UserError("nothing to say")
    return np.concatenate(parts)


class SentenceVoice:
    """A voice that speaks one sentence at a time, each kept (``SentenceCache``) and made under
    a lock (engines that are not re-entrant). Subclasses give ``name``, ``sample_rate``,
    ``split`` (text into sentences) and ``_speak`` (one sentence as int16 samples)."""

    name: str
    sample_rate: int

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._made = SentenceCache()

    def split(self, text: str) -> list[str]:
        raise NotImplementedError

    def _speak(self, sentence: str) -> np.ndarray:
        raise NotImplementedError

    def synthesize_sentence(self, sentence: str) -> np.ndarray:
        audio = self._made.get(sentence)
        if audio is None:
            with self._lock:
                audio = self._speak(sentence)
            self._made.put(sentence, audio)
        return audio

    def synthesize(self, text: str) -> np.ndarray:
        return join_sentences(self.split(text), self.synthesize_sentence, self.sample_rate)

    def to_file(self, text: str, path: Path | str) -> Path:
        return write_wav(path, self.synthesize(text), self.sample_rate)
