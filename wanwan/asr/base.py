"""The interface every recogniser offers: whole utterances in, a transcript out, and a
streaming session with partial results for live audio."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np


@dataclass
class Word:
    word: str
    start: float
    end: float
    confidence: float


@dataclass
class Transcript:
    text: str
    confidence: float  # 0..1, the engine's own measure
    words: list[Word] = field(default_factory=list)
    engine: str = ""
    seconds: float = 0.0  # audio length
    elapsed: float = 0.0  # decoding time
    # how the engine got there, for logs and benchmarks (Whisper: its free text, the grammar's
    # margin)
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def rtf(self) -> float:
        return self.elapsed / self.seconds if self.seconds else 0.0


class Stream(Protocol):
    def accept(self, samples: np.ndarray) -> str | None:
        """Feed 16 kHz int16 audio; returns the partial text when it changed."""

    def result(self) -> Transcript:
        """End of the utterance: the final transcript."""


class Recognizer(Protocol):
    name: str

    def stream(self) -> Stream: ...

    def transcribe(self, samples: np.ndarray, *, addressed: bool = False) -> Transcript:
        """One utterance (16 kHz int16). ``addressed``: the conversation already says it is
        meant for wanwan (a follow-up, an answer to a read-back, push-to-talk), so an engine
        narrowed to the grammar may read it as a command without the wake phrase."""
        ...


def transcribe_by_streaming(recognizer: Recognizer, samples: np.ndarray,
                            chunk: int = 4000) -> Transcript:
    started = time.perf_counter()
    stream = recognizer.stream()
    for i in range(0, len(samples), chunk):
        stream.accept(samples[i:i + chunk])
    out = stream.result()
    out.seconds = len(samples) / 16000
    out.elapsed = time.perf_counter() - started
    return out  # the same whether streamed live or decoded from a file
