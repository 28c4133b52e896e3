"""Japanese speech out: Open JTalk through pyopenjtalk-plus (its dictionary and an HTS voice ship
in the wheel). It reads numbers as people say them (12.5リットル -> じゅうにてんごリットル) and
kanji by their reading; espeak-ng's Japanese voice reads kanji as "Chinese letter"."""

from __future__ import annotations

import numpy as np

from wanwan.errors import UserError
from wanwan.tts.base import SentenceVoice
from wanwan.tts.lexicon import Lexicon


class OpenJTalkSynthesizer(SentenceVoice):
    """Open JTalk (48 kHz). ``rate_wpm`` is read as a share of the voice's own pace."""

    name = "openjtalk"
    sample_rate = 48000

    def __init__(self, *, lexicon: Lexicon | None = None, rate_wpm: int = 160) -> None:
        try:
            import pyopenjtalk  # deferred: optional (the ja extra); it loads its dictionary
        except ImportError:
            raise UserError("Japanese speech needs its extra: pip install 'wanwan[ja]' "
                            "(pyopenjtalk-plus)") from None
        super().__init__()  # one synthesis at a time: Open JTalk is not re-entrant
        self._tts = pyopenjtalk.tts
        self.lexicon = lexicon or Lexicon()
        self.speed = max(0.5, min(2.0, rate_wpm / 160))

    def _speak(self, sentence: str) -> np.ndarray:
        wave, rate = self._tts(self.lexicon.spoken(sentence, phonemes=False), speed=self.speed)
        if rate != self.sample_rate:
            raise UserError(f"Open JTalk spoke at {rate} Hz, expected {self.sample_rate}")
        return np.clip(wave, -32768, 32767).astype(np.int16)
