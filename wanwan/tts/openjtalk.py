"""Japanese speech out: Open JTalk through pyopenjtalk-plus (its dictionary and an HTS voice ship
in the wheel). It reads numbers as people say them (12.5リットル -> じゅうにてんごリットル) and
kanji by their reading; espeak-ng's Japanese voice reads kanji as "Chinese letter"."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import numpy as np

from wanwan.audio.io import write_wav
from wanwan.errors import UserError
from wanwan.tts.base import SentenceCache, join_sentences
from wanwan.tts.lexicon import Lexicon

_SENTENCES = re.compile(r"(?<=[。！？!?])\s*")


def split_japanese_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCES.split(text.strip()) if s.strip()]


class OpenJTalkSynthesizer:
    """Open JTalk (48 kHz). ``rate_wpm`` is read as a share of the voice's own pace."""

    name = "openjtalk"
    sample_rate = 48000

    def __init__(self, *, lexicon: Lexicon | None = None, rate_wpm: int = 160) -> None:
        try:
            import pyopenjtalk  # deferred: optional (the ja extra); it loads its dictionary
        except ImportError:
            raise UserError("Japanese speech needs its extra: pip install 'wanwan[ja]' "
                            "(pyopenjtalk-plus)") from None
        self._tts = pyopenjtalk.tts
        self.lexicon = lexicon or Lexicon()
        self.speed = max(0.5, min(2.0, rate_wpm / 160))
        self._lock = threading.Lock()  # Open JTalk is not re-entrant
        self._made = SentenceCache()

    def synthesize_sentence(self, sentence: str) -> np.ndarray:
        audio = self._made.get(sentence)
        if audio is None:
            with self._lock:
                wave, rate = self._tts(self.lexicon.spoken(sentence, phonemes=False),
                                       speed=self.speed)
            if rate != self.sample_rate:
                raise UserError(f"Open JTalk spoke at {rate} Hz, expected {self.sample_rate}")
            audio = np.clip(wave, -32768, 32767).astype(np.int16)
            self._made.put(sentence, audio)
        return audio

    def synthesize(self, text: str) -> np.ndarray:
        return join_sentences(split_japanese_sentences(text), self.synthesize_sentence,
                              self.sample_rate)

    def to_file(self, text: str, path: Path | str) -> Path:
        return write_wav(path, self.synthesize(text), self.sample_rate)
