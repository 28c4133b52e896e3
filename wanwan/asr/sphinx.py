"""pocketsphinx: the zero-set-up engine (its English model ships in the wheel), decoding with a
trigram model of the sentences the loaded intents can say (or their JSGF grammar, slower), or
freely with its bundled language model.

Its confidence is the posterior probability of the whole hypothesis from the word lattice;
commands that act on the lab need ``min_confidence_actuating`` of it (see voice.py)."""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from pocketsphinx import Decoder

from wanwan.asr.base import Transcript, Word, transcribe_by_streaming
from wanwan.asr.grammar import Grammar, build_grammar
from wanwan.asr.ngram import build_arpa
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
            # the Python binding gives probabilities already (not log-math values)
            confidence = float(min(1.0, max(0.0, hyp.prob))) if hyp is not None and text \
                else 0.0
            for seg in d.seg() or ():
                if seg.word.startswith(("<", "[")) or seg.word in ("<sil>", "<s>", "</s>"):
                    continue
                words.append(Word(seg.word.split("(")[0], seg.start_frame / FRAMES_PER_S,
                                  (seg.end_frame + 1) / FRAMES_PER_S,
                                  float(min(1.0, max(0.0, seg.prob)))))
        finally:
            self.r.lock.release()
        return Transcript(text, confidence, words, self.r.name, self.samples / 16000,
                          time.perf_counter() - self.started)


class SphinxRecognizer:
    """pocketsphinx with its English model from the wheel, decoding with a trigram model of
    the catalogue's sentences; the lattice posterior of the hypothesis is its confidence."""

    # posterior of the whole hypothesis below which it may not act on the lab: measured on
    # spoken out-of-domain sentences (scripts/bench_speech.py)
    min_confidence_actuating = 0.1

    def __init__(self, engine: IntentEngine | None = None, *, wake: str | None = "wan wan",
                 free: bool = False, search: str = "ngram") -> None:
        """``search``: "ngram" (a trigram model of the catalogue) or "jsgf" (its grammar)."""
        self.free = free or engine is None
        self.name = "pocketsphinx" + ("-free" if self.free else "")
        started = time.perf_counter()
        self.decoder = Decoder(loglevel="FATAL") if self.free else Decoder(lm=None,
                                                                            loglevel="FATAL")
        self.grammar: Grammar | None = None
        if not self.free:
            assert engine is not None
            self.grammar = build_grammar(engine, lambda w: self.decoder.lookup_word(w)
                                         is not None, wake=wake)
            if self.grammar.dropped:
                log.info("words the pocketsphinx dictionary lacks (their phrasings are left "
                         "out): %s", ", ".join(sorted(self.grammar.dropped)))
            if search == "jsgf":
                self.decoder.add_jsgf_string("wanwan", self.grammar.jsgf.encode())
            else:
                with tempfile.TemporaryDirectory() as tmp:  # pocketsphinx reads a file
                    arpa = Path(tmp) / "wanwan.arpa"
                    arpa.write_text(build_arpa(self.grammar.corpus))
                    self.decoder.add_lm_file("wanwan", str(arpa))
            self.decoder.activate_search("wanwan")
        self.lock = threading.Lock()
        self.load_seconds = time.perf_counter() - started

    def stream(self) -> SphinxStream:
        return SphinxStream(self)

    def transcribe(self, samples: np.ndarray, *, addressed: bool = False) -> Transcript:
        return transcribe_by_streaming(self, samples)
