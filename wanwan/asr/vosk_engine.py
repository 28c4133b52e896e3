"""Vosk (Kaldi): streaming with partial results and word confidences, its vocabulary narrowed
to what the loaded intents can say (a phrase grammar plus ``[unk]``).

Vosk's grammar only biases the decoder (words of different phrases recombine, off-grammar
speech is forced onto grammar words), so every hypothesis is re-parsed by the intent engine.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path

import numpy as np

from wanwan.asr.base import Transcript, Word, transcribe_by_streaming
from wanwan.asr.grammar import build_grammar
from wanwan.errors import UserError
from wanwan.nlu.matcher import IntentEngine

log = logging.getLogger(__name__)


class VoskStream:
    def __init__(self, r: VoskRecognizer) -> None:
        self.r = r
        self.rec = r.new_recognizer()
        self.samples = 0
        self.started = time.perf_counter()
        self.last = ""

    def accept(self, samples: np.ndarray) -> str | None:
        self.samples += len(samples)
        if self.rec.AcceptWaveform(samples.astype(np.int16).tobytes()):
            return None  # an endpoint inside: the final result comes with result()
        partial = json.loads(self.rec.PartialResult()).get("partial", "")
        if partial != self.last:
            self.last = partial
            return partial
        return None

    def result(self) -> Transcript:
        final = json.loads(self.rec.FinalResult())
        words = [Word(w["word"], w["start"], w["end"], float(w.get("conf", 1.0)))
                 for w in final.get("result", []) if w["word"] != "[unk]"]
        text = " ".join(w.word for w in words) if words else final.get("text", "")
        text = text.replace("[unk]", "").strip()
        confidence = min((w.confidence for w in words), default=0.0)
        return Transcript(text, confidence, words, self.r.name, self.samples / 16000,
                          time.perf_counter() - self.started)


class VoskRecognizer:
    """Kaldi through Vosk: streaming with partial results and word confidences, its vocabulary
    narrowed to phrases sampled from the intents' templates plus ``[unk]``."""

    def __init__(self, model_path: Path | str, engine: IntentEngine | None = None, *,
                 phrases: list[str] | None = None, wake: str | None = "wan wan") -> None:
        try:
            import vosk  # deferred: an optional extra (wanwan[vosk])
        except ImportError:
            raise UserError("the vosk engine needs the vosk package: pip install "
                            "'wanwan[vosk]'") from None
        vosk.SetLogLevel(-1)
        started = time.perf_counter()
        try:
            self.model = vosk.Model(str(model_path))
        except Exception as exc:
            raise UserError(f"cannot load the Vosk model at {model_path} ({exc}); run "
                            "`wanwan models verify`") from None
        self.name = "vosk"
        words_known = lambda w: self.model.vosk_model_find_word(w) >= 0  # noqa: E731
        if phrases is None and engine is not None:
            grammar = build_grammar(engine, words_known, wake=wake)
            phrases = grammar.phrases
        self.phrases = [p for p in (phrases or []) if all(words_known(w) for w in p.split())]
        # raw UTF-8: Vosk does not decode \\u escapes (Korean words were "missing")
        self.grammar_json = (json.dumps([*self.phrases, "[unk]"], ensure_ascii=False)
                             if self.phrases else None)
        self.lock = threading.Lock()
        self.load_seconds = time.perf_counter() - started

    def new_recognizer(self):
        import vosk  # deferred: an optional extra (wanwan[vosk]), loaded by __init__

        rec = (vosk.KaldiRecognizer(self.model, 16000, self.grammar_json) if self.grammar_json
               else vosk.KaldiRecognizer(self.model, 16000))
        rec.SetWords(True)
        rec.SetPartialWords(True)
        return rec

    def stream(self) -> VoskStream:
        return VoskStream(self)

    def transcribe(self, samples: np.ndarray, *, addressed: bool = False) -> Transcript:
        return transcribe_by_streaming(self, samples)
