"""pocketsphinx: the zero-set-up engine (its English model ships in the wheel), decoding with a
JSGF grammar compiled from the loaded intents, or freely with its bundled language model."""

from __future__ import annotations

import logging
import threading
import time

import numpy as np

from wanwan.asr.base import Transcript, Word, transcribe_by_streaming
from wanwan.asr.grammar import Grammar, build_grammar
from wanwan.nlu.matcher import IntentEngine

log = logging.getLogger(__name__)
FRAMES_PER_S = 100


class SphinxStream:
    def __init__(self, recognizer: SphinxRecognizer) -> None:
        self.r = recognizer
        self.r.lock.acquire()  # one decoder, one utterance at a time
        self.samples = 0
        self.last_partial = ""
        self.started = time.perf_counter()
        self.r.decoder.start_utt()

    def accept(self, samples: np.ndarray) -> str | None:
        self.samples += len(samples)
        self.r.decoder.process_raw(samples.astype(np.int16).tobytes(), False, False)
        hyp = self.r.decoder.hyp()
        text = hyp.hypstr if hyp is not None else ""
        if text != self.last_partial:
            self.last_partial = text
            return text
        return None

    def result(self) -> Transcript:
        d = self.r.decoder
        try:
            d.end_utt()
            hyp = d.hyp()
            text = hyp.hypstr.strip() if hyp is not None else ""
            words = []
            logmath = d.get_logmath()
            for seg in d.seg() or ():
                if seg.word.startswith(("<", "[")) or seg.word in ("<sil>", "<s>", "</s>"):
                    continue
                words.append(Word(seg.word.split("(")[0], seg.start_frame / FRAMES_PER_S,
                                  (seg.end_frame + 1) / FRAMES_PER_S,
                                  float(min(1.0, logmath.exp(seg.prob)))))
            confidence = float(min(1.0, logmath.exp(hyp.prob))) if hyp is not None else 0.0
        finally:
            self.r.lock.release()
        return Transcript(text, confidence, words, self.r.name, self.samples / 16000,
                          time.perf_counter() - self.started)


class SphinxRecognizer:
    def __init__(self, engine: IntentEngine | None = None, *, wake: str = "wan wan",
                 free: bool = False) -> None:
        from pocketsphinx import Decoder

        self.free = free or engine is None
        self.name = "pocketsphinx" + ("-free" if self.free else "")
        started = time.perf_counter()
        # narrower beams than the defaults: the grammar is small, and latency matters more
        beams = {"beam": 1e-40, "wbeam": 1e-25, "pbeam": 1e-40, "maxhmmpf": 5000}
        self.decoder = (Decoder(loglevel="FATAL") if self.free
                        else Decoder(lm=None, loglevel="FATAL", **beams))
        self.grammar: Grammar | None = None
        if not self.free:
            assert engine is not None
            self.grammar = build_grammar(engine, lambda w: self.decoder.lookup_word(w)
                                         is not None, wake=wake)
            if self.grammar.dropped:
                log.info("words the pocketsphinx dictionary lacks (their phrasings are left "
                         "out): %s", ", ".join(sorted(self.grammar.dropped)))
            self.decoder.add_jsgf_string("wanwan", self.grammar.jsgf.encode())
            self.decoder.activate_search("wanwan")
        self.lock = threading.Lock()
        self.load_seconds = time.perf_counter() - started

    def stream(self) -> SphinxStream:
        return SphinxStream(self)

    def transcribe(self, samples: np.ndarray) -> Transcript:
        return transcribe_by_streaming(self, samples)
