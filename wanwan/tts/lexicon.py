"""How the lab's words are said: a pronunciation lexicon applied to every speech engine.

An entry gives a respelling that any engine reads right ("N M R", "cubic metres") and, where
the word needs it, its phonemes in espeak-ng's notation (``d'u:3`` for "dewar", which espeak
alone says "doo-or"): engines that take phonemes (Piper, phonemised by espeak-ng, and espeak-ng
itself) get ``[[phonemes]]``, the others the respelling. The language's lexicon ships in
``wanwan/data/speech/{language}.yaml``; a site adds its own names (``speech.pronunciations``).
Identifiers after the words a site lists (``speech.digits_after: [dewar]``) are read digit by
digit ("dewar one two"); other numbers are left to the engine, which reads "12.5" as "twelve
point five".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

import yaml

from wanwan.errors import UserError

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9³²/]*|\d+(?:\.\d+)?|[^\sA-Za-z\d]|\s+")


@dataclass(frozen=True)
class Pronunciation:
    say: str  # a respelling every engine reads as meant
    phonemes: str | None = None  # espeak-ng phoneme mnemonics, for engines that take them


@dataclass
class Lexicon:
    entries: dict[str, Pronunciation] = field(default_factory=dict)
    digits_after: frozenset[str] = frozenset()

    def spoken(self, text: str, *, phonemes: bool) -> str:
        """The text as it should be said: entries replaced (exact case first, then lower
        case), identifiers after ``digits_after`` words digit by digit. ``phonemes``: the
        engine reads espeak-ng's ``[[...]]`` phoneme input."""
        out: list[str] = []
        previous = ""
        for token in _WORD.findall(text):
            entry = self.entries.get(token) or self.entries.get(token.lower())
            if entry is not None:
                out.append(f"[[{entry.phonemes}]]" if phonemes and entry.phonemes
                           else entry.say)
            elif token.isdigit() and previous.lower() in self.digits_after:
                out.append(" ".join(token))
            else:
                out.append(token)
            if not token.isspace():
                previous = token
        return "".join(out)

    def merged(self, site: dict[str, Any] | None, digits_after: list[str] | None = None
               ) -> Lexicon:
        """This lexicon with a site's own entries on top."""
        entries = dict(self.entries)
        entries.update(_entries(site or {}, "speech.pronunciations"))
        words = self.digits_after | {w.lower() for w in digits_after or []}
        return Lexicon(entries, frozenset(words))


def _entries(raw: dict[str, Any], where: str) -> dict[str, Pronunciation]:
    out: dict[str, Pronunciation] = {}
    for word, value in raw.items():
        if isinstance(value, str):
            out[str(word)] = Pronunciation(value)
        elif isinstance(value, dict) and isinstance(value.get("say"), str):
            phonemes = value.get("phonemes")
            out[str(word)] = Pronunciation(value["say"], str(phonemes) if phonemes else None)
        else:
            raise UserError(f"{where}: {word!r} needs a respelling (a string, or "
                            "{say: ..., phonemes: ...})")
    return out


def load_lexicon(language: str = "en") -> Lexicon:
    """The lexicon shipped for a language (empty if there is none)."""
    resource = files("wanwan.data").joinpath("speech", f"{language}.yaml")
    if not resource.is_file():
        return Lexicon()
    where = f"wanwan/data/speech/{language}.yaml"
    try:
        data = yaml.safe_load(resource.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise UserError(f"{where}: not valid YAML ({exc})") from None
    return Lexicon(_entries(data.get("pronunciations") or {}, where),
                   frozenset(w.lower() for w in data.get("digits_after") or []))
