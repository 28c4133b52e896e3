"""Engine choice: ``auto`` takes the most accurate engine whose model is installed (Whisper,
then Vosk), falling back to pocketsphinx, whose English model ships in its wheel."""

from __future__ import annotations

import logging
from pathlib import Path

from wanwan.asr import models
from wanwan.asr.base import Recognizer
from wanwan.asr.sphinx import SphinxRecognizer
from wanwan.asr.vosk_engine import VoskRecognizer
from wanwan.asr.whisper import WhisperRecognizer, bundled_base, bundled_tiny_en
from wanwan.audio.vad import EndpointerSettings
from wanwan.errors import UserError
from wanwan.nlu.matcher import IntentEngine
from wanwan.nlu.text import in_cjk_script

log = logging.getLogger(__name__)
ENGINES = ("auto", "whisper", "whisper-free", "vosk", "pocketsphinx", "pocketsphinx-free")


def whisper_prompt(engine: IntentEngine, wake: str | None = "wan wan", max_words: int = 60
                   ) -> str:
    """A short prompt that reads like earlier transcript: example sentences of the catalogue
    chosen greedily for the most words not yet covered (Whisper follows a prompt's words and
    style; it reads about 224 tokens of it). A test sentence added to the catalogue may change
    the prompt, and so what Whisper hears: session 18's Japanese tests took 酸素濃度 and
    立方メートル out of it, and at 10 dB the training speech lost 9 points; run the speech
    benchmarks after adding one."""
    spaced = engine.language.spaced
    candidates = [t.text.rstrip(".?!。？！") for i in engine.catalog.intents.values()
                  for t in i.tests]

    def words_of(sentence: str) -> set[str]:
        if spaced:
            return set(sentence.lower().split())
        return {t.text for t in engine.catalog.normalise(sentence)}

    chosen: list[str] = []
    covered: set[str] = set()
    words = 0
    while candidates and words < max_words:
        best = max(candidates, key=lambda c: len(words_of(c) - covered))
        gain = words_of(best) - covered
        if len(gain) < 2:
            break
        chosen.append(best)
        covered |= gain
        words += len(best.split()) if spaced else len(words_of(best))
        candidates.remove(best)
    # the wake phrase once: repeated before every example, Whisper wrote it on plain noise
    if spaced:
        opener = f"{wake.capitalize()}, " if wake else ""
        prompt = opener + " ".join(f"{c[0].upper()}{c[1:]}." for c in chosen)
    else:  # sentences as the language writes them: no spaces, its own full stop
        prompt = (f"{wake}、" if wake else "") + "".join(f"{c}。" for c in chosen)
    # the site's names are the words a general model knows least
    names = []
    for name, slot_list in engine.lists.items():
        if slot_list.is_range or not slot_list.from_site:
            continue
        for value in slot_list.values:
            sayings = value.spoken.strip("()").split("|")
            spoken = sayings[-1 if name == "vessel" else 0]
            if not spaced:  # the name as the language writes it: 田中研, not Tanaka
                spoken = next((s for s in sayings if in_cjk_script(s)), spoken).replace(" ", "")
            if not any(ch.isdigit() for ch in spoken) and len(spoken) > (3 if spaced else 1):
                names.append(spoken.title() if name == "lab" else spoken)
    if not names:
        return prompt
    if not spaced:
        return prompt + "、".join(dict.fromkeys(names[:30])) + "。"
    return prompt + " " + ", ".join(dict.fromkeys(names[:30])) + "."


def find_whisper_model(configured: str | None = None, language: str = "en") -> Path | None:
    """The model a site asked for; else one installed for the catalogue's language (or of
    the site's own making, whose language is not known), then the bundled tiny.en for English,
    then a multilingual one. A multilingual model fetched for another language (Whisper base
    for Japanese) must not silently become the English recogniser: it is 2.5 times slower."""
    if configured:
        return models.require(configured, "whisper")
    usable = [i for i in models.installed() if i.engine == "whisper" and i.ok]

    def language_of(item: models.Installed) -> str | None:
        spec = models.CATALOG.get(item.name)
        return spec.language if spec else None

    for item in usable:
        if language_of(item) in (language, None):
            return item.path
    if language == "en" and (tiny := bundled_tiny_en()) is not None:
        return tiny
    multilingual = next((i.path for i in usable if language_of(i) == "any"), None)
    return multilingual or (bundled_base() if language != "en" else None)


def make_recognizer(name: str, engine: IntentEngine, *, model: str | None = None,
                    wake: str | None = "wan wan",
                    max_speech_s: float = EndpointerSettings.max_utterance_s) -> Recognizer:
    """``max_speech_s``: the longest utterance the endpointer lets through
    (``speech.max_utterance_s``); Whisper reads no more of one."""
    if name not in ENGINES:
        raise UserError(f"unknown speech engine {name!r}; one of {', '.join(ENGINES)}")
    if name in ("auto", "whisper", "whisper-free"):
        path = find_whisper_model(model if name != "auto" else None,
                                  engine.catalog.language.code)
        if path is not None:
            try:
                # whisper-free: no grammar pass, for comparison in the benchmark
                return WhisperRecognizer(path, engine=None if name == "whisper-free" else engine,
                                         wake=wake, prompt=whisper_prompt(engine, wake),
                                         max_speech_s=max_speech_s,
                                         language=engine.catalog.language.code)
            except UserError:
                if name != "auto":
                    raise
        elif name != "auto":
            raise UserError("no Whisper model installed: run `wanwan models fetch "
                            "whisper-tiny.en`")
    if name in ("auto", "vosk"):
        vosk_models = [i for i in models.installed() if i.engine == "vosk" and i.ok]
        if model and name == "vosk":
            path = models.require(model, "vosk")
        else:
            path = vosk_models[0].path if vosk_models else None
        if path is not None:
            return VoskRecognizer(path, engine, wake=wake)
        if name == "vosk":
            raise UserError("no Vosk model installed: run `wanwan models fetch "
                            "vosk-model-small-en-us-0.15`")
    return SphinxRecognizer(engine, wake=wake, free=name == "pocketsphinx-free")
