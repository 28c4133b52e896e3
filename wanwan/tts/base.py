"""What every speech engine offers: text in, 16-bit mono samples (or a WAV file) out."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from wanwan.audio.io import write_wav
from wanwan.errors import UserError
from wanwan.messages import split_sentences

SENTENCE_GAP_S = 0.15  # silence between sentences
KEPT_SENTENCES = 100  # at most a few minutes of audio, under 10 MB
PREPARE_NICENESS = 10  # of the thread that makes fixed lines ahead

log = logging.getLogger(__name__)


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

    def split(self, text: str) -> list[str]:
        """``text`` in the sentences this engine says one at a time (the first can play
        while the rest is made)."""
        ...

    def to_file(self, text: str, path: Path | str) -> Path:
        """``text`` spoken, written to a WAV file."""
        ...

    def prepare(self, texts: Iterable[str]) -> int:
        """Make ahead, and keep, the audio of lines said often; how many sentences were made
        (0 for an engine that keeps nothing)."""
        ...


def write_speech(samples: np.ndarray, rate: int, path: Path | str) -> Path:
    return write_wav(path, samples, rate)


class SentenceCache:
    """The audio of the last sentences said: replies repeat ("The transfer has stopped.",
    "Please say confirm, or cancel."), and a kept one costs nothing to say again; ``pin``ned
    ones (a site's fixed lines, made before anyone asks) are never dropped. Thread-safe."""

    def __init__(self, kept: int = KEPT_SENTENCES) -> None:
        self.kept = kept
        self._lock = threading.Lock()
        self._made: OrderedDict[str, np.ndarray] = OrderedDict()
        self._pinned: dict[str, np.ndarray] = {}

    def get(self, sentence: str) -> np.ndarray | None:
        with self._lock:
            audio = self._pinned.get(sentence)
            if audio is not None:
                return audio
            audio = self._made.get(sentence)
            if audio is not None:
                self._made.move_to_end(sentence)
            return audio

    def pin(self, sentence: str, audio: np.ndarray) -> None:
        with self._lock:
            self._pinned[sentence] = audio
            self._made.pop(sentence, None)

    def put(self, sentence: str, audio: np.ndarray) -> None:
        with self._lock:
            self._made[sentence] = audio
            while len(self._made) > self.kept:
                self._made.popitem(last=False)


def join_audio(parts: Iterable[np.ndarray], sample_rate: int) -> np.ndarray:
    """Sentences' audio one after the other, with a short silence between them."""
    gap = np.zeros(int(sample_rate * SENTENCE_GAP_S), np.int16)
    joined: list[np.ndarray] = []
    for part in parts:
        if joined:
            joined.append(gap)
        joined.append(part)
    if not joined:
        raise UserError("nothing to say")
    return np.concatenate(joined)


def join_sentences(sentences: Iterable[str], say: Callable[[str], np.ndarray],
                   sample_rate: int) -> np.ndarray:
    """Each sentence said by ``say``, with a short silence between them."""
    return join_audio((say(sentence) for sentence in sentences), sample_rate)


class SentenceVoice:
    """A voice that speaks one sentence at a time, each kept (``SentenceCache``) and made under
    a lock (engines that are not re-entrant). Subclasses give ``name``, ``sample_rate``,
    ``split`` (text into sentences) and ``_speak`` (one sentence as int16 samples)."""

    name: str
    sample_rate: int

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._preparing = threading.Lock()
        self._made = SentenceCache()

    def split(self, text: str) -> list[str]:
        # whole sentences: the first clause made alone would play 100-130 ms sooner, but it
        # was heard worse (half A of scripts/bench_tts.py's replies, Piper, tiny.en: the six it
        # changed 10.5 -> 13.2 % of words wrong clean, 18 -> 26 % at 10 dB)
        return split_sentences(text)

    def _speak(self, sentence: str) -> np.ndarray:
        raise NotImplementedError

    def synthesize_sentence(self, sentence: str) -> np.ndarray:
        audio = self._made.get(sentence)
        if audio is None:
            with self._lock:
                audio = self._speak(sentence)
            self._made.put(sentence, audio)
        return audio

    def prepare(self, texts: Iterable[str]) -> int:
        """Make and keep for good the audio of every sentence of ``texts`` (a site's fixed
        lines: "The transfer has stopped." is then said the moment it is decided); how many
        were made. One sentence at a time: a reply asked for meanwhile waits for one at most."""
        made = 0
        with self._preparing:  # the kiosks of one server share their voice: made once
            for text in texts:
                for sentence in self.split(text):
                    made += self._made.get(sentence) is None
                    self._made.pin(sentence, self.synthesize_sentence(sentence))
        return made

    def synthesize(self, text: str) -> np.ndarray:
        return join_sentences(self.split(text), self.synthesize_sentence, self.sample_rate)

    def to_file(self, text: str, path: Path | str) -> Path:
        return write_wav(path, self.synthesize(text), self.sample_rate)


class Preparation:
    """``synth.prepare(texts)`` on a thread of its own, at a low priority where the system
    has one per thread (Linux), so that it gives way to recognising what is said meanwhile
    (the engine's own worker threads, made with it, keep their priority: Piper's one of two).
    ``stop()`` ends it after the sentence in hand: a process must not exit while a native
    engine is mid-sentence on another thread (onnxruntime aborts it)."""

    def __init__(self, synth: Synthesizer, texts: list[str]) -> None:
        self.synth = synth
        self.made = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(texts,), name="speech-prepare",
                                        daemon=True)
        self._thread.start()

    def _run(self, texts: list[str]) -> None:
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), PREPARE_NICENESS)
        started = time.perf_counter()
        try:
            self.made = self.synth.prepare(t for t in texts if not self._stop.is_set())
        except Exception:
            log.exception("could not make the fixed lines ahead; they are made when said")
            return
        if self.made:
            log.info("%d fixed sentences made ahead by %s in %.1f s", self.made,
                     self.synth.name, time.perf_counter() - started)

    def join(self, timeout: float | None = None) -> bool:
        """Whether it has finished (or stopped)."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.join(timeout)
