"""Engine choice: ``auto`` takes the most accurate engine whose model is installed (Whisper,
then Vosk), falling back to pocketsphinx, whose English model ships in its wheel."""

from __future__ import annotations

import logging
from pathlib import Path

from wanwan.asr import models
from wanwan.errors import UserError
from wanwan.nlu.matcher import IntentEngine

log = logging.getLogger(__name__)
ENGINES = ("auto", "whisper", "vosk", "pocketsphinx", "pocketsphinx-free")


def whisper_prompt(engine: IntentEngine, limit: int = 40) -> str:
    """A short prompt of the catalogue's own words (Whisper reads about 224 tokens of it)."""
    words: list[str] = []
    for name in ("dewar", "vessel", "lab"):
        for phrase in list(engine.lists.get(name).phrases if name in engine.lists else [])[:6]:
            if not phrase.startswith("#"):
                words.append(phrase.replace("#", ""))
    common = ["litres", "transfer", "dewar", "helium", "level", "compressor", "confirm"]
    return "Helium lab commands: " + ", ".join(dict.fromkeys(common + words[:limit])) + "."


def find_whisper_model(configured: str | None = None) -> Path | None:
    from wanwan.asr.whisper import bundled_tiny_en

    if configured:
        return models.require(configured, "whisper")
    for item in models.installed():
        if item.engine == "whisper" and item.ok:
            return item.path
    return bundled_tiny_en()


def make_recognizer(name: str, engine: IntentEngine, *, model: str | None = None,
                    wake: str = "wan wan"):
    if name not in ENGINES:
        raise UserError(f"unknown speech engine {name!r}; one of {', '.join(ENGINES)}")
    if name in ("auto", "whisper"):
        path = find_whisper_model(model if name == "whisper" else None)
        if path is not None:
            try:
                from wanwan.asr.whisper import WhisperRecognizer

                return WhisperRecognizer(path, prompt=whisper_prompt(engine))
            except UserError:
                if name == "whisper":
                    raise
        elif name == "whisper":
            raise UserError("no Whisper model installed: run `wanwan models fetch "
                            "whisper-tiny.en`")
    if name in ("auto", "vosk"):
        vosk_models = [i for i in models.installed() if i.engine == "vosk" and i.ok]
        if model and name == "vosk":
            path = models.require(model, "vosk")
        else:
            path = vosk_models[0].path if vosk_models else None
        if path is not None:
            from wanwan.asr.vosk_engine import VoskRecognizer

            return VoskRecognizer(path, engine, wake=wake)
        if name == "vosk":
            raise UserError("no Vosk model installed: run `wanwan models fetch "
                            "vosk-model-small-en-us-0.15`")
    from wanwan.asr.sphinx import SphinxRecognizer

    return SphinxRecognizer(engine, wake=wake, free=name == "pocketsphinx-free")
