"""What wanwan says, in a site's language: the lines of ``wanwan/data/messages/<language>.yaml``,
and numbers with their units as that language says them.

Skills and the dialogue build every reply from here, so they hold no language: a Japanese site
answers in Japanese from the same code. Every language file has the same keys with the same
``{placeholders}`` (``tests/test_messages.py`` holds them to it).
"""

from __future__ import annotations

import re
import string
import unicodedata
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from wanwan.errors import UserError
from wanwan.nlu.text import in_cjk_script

# where one sentence ends and the next begins: after a full stop and a space in a spaced script
# ("20.9" is one number), after 。！？ in Japanese
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])\s*")


def split_sentences(text: str) -> list[str]:
    """Sentences, each with its end punctuation ("The transfer has stopped. 2 litres moved.",
    「移送を停止しました。2リットル移しました。」). Every voice says a line in these sentences, and
    ``Messages.fixed_sentences`` makes them ahead, so both must split the same way."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = str(value)
    return out


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


class Messages:
    """The lines of one language: ``say("levels.which_dewar")``, ``say.percent(62.4)``."""

    def __init__(self, language: str = "en") -> None:
        where = f"wanwan/data/messages/{language}.yaml"
        resource = resources.files("wanwan.data").joinpath("messages", f"{language}.yaml")
        if not resource.is_file():
            raise UserError(f"{where}: wanwan does not speak {language!r} yet (no messages)")
        try:
            self.lines = _flatten(yaml.safe_load(resource.read_text(encoding="utf-8")) or {})
        except yaml.YAMLError as exc:
            raise UserError(f"{where}: not valid YAML ({exc})") from None
        self.language = language
        self.gap = self.lines.get("units.sentence_gap", " ")

    def __call__(self, key: str, /, **values: Any) -> str:
        try:
            return self.lines[key].format(**values)
        except KeyError as exc:
            raise KeyError(f"wanwan/data/messages/{self.language}.yaml: no line {key!r} "
                           f"(or no value for {exc})") from None

    def has(self, key: str) -> bool:
        return key in self.lines

    def line_or(self, key: str, fallback: str) -> str:
        """The line ``key`` (without blanks), or ``fallback`` where the lines have none (a kind
        of instrument or alarm wanwan does not know by name)."""
        return self.lines.get(key, fallback)

    def stop_reason(self, reason: str) -> str:
        """Why a transfer stopped, as the controller reported it ("target reached"), in this
        language's words where it has them (``transfer.stop_reasons``), else as given."""
        key = "transfer.stop_reasons." + re.sub(r"\W+", "_", reason.strip().lower()).strip("_")
        if key in self.lines:
            return self("transfer.stop_reason", reason=self.lines[key])
        return self("transfer.stop_reason_device", reason=reason)

    def fixed_sentences(self) -> list[str]:
        """Every whole sentence of the lines that no value changes ("The transfer has
        stopped.", "Please say confirm, or cancel." after a read-back's values): what a voice
        can make before anyone asks. Fragments ("gas bag") are left out: a sentence ends in
        punctuation."""
        out: dict[str, None] = {}
        for line in self.lines.values():
            for sentence in split_sentences(line):
                if "{" not in sentence and any(c.isalpha() for c in sentence) \
                        and unicodedata.category(sentence[-1]) == "Po":
                    out[sentence] = None
        return list(out)

    def sentences(self, *parts: str) -> str:
        """Sentences one after the other, as the language writes them (a space in English,
        nothing in Japanese); empty parts left out."""
        return self.gap.join(p for p in parts if p)

    @staticmethod
    def capital(text: str) -> str:
        """The first letter upper case where the script has cases ("dewar 3" at a sentence's
        start)."""
        return text[:1].upper() + text[1:]

    # -- numbers as they are said ----------------------------------------------------------------
    @staticmethod
    def number(x: float) -> str:
        return str(int(x)) if float(x).is_integer() else f"{x:g}"

    @staticmethod
    def rounded(x: float) -> str:
        """One decimal below ten ("2.5"), whole numbers above ("62"): what a person says."""
        return f"{x:.1f}".rstrip("0").rstrip(".") if abs(x) < 10 else f"{round(x):d}"

    def percent(self, x: float) -> str:
        return self("units.percent", n=f"{round(x):d}")

    def litres(self, x: float, exact: bool = False) -> str:
        """Rounded for readings ("about 62 litres"); ``exact`` for what was written down."""
        value = self.number(x) if exact else self.rounded(x)
        return self("units.litre" if value == "1" else "units.litres", n=value)

    def cubic_metres(self, x: float, exact: bool = False) -> str:
        value = self.number(x) if exact else self.rounded(x)
        return self("units.cubic_metre" if value == "1" else "units.cubic_metres", n=value)

    def minutes(self, seconds: float) -> str:
        m = round(seconds / 60)
        if m < 1:
            return self("units.seconds", n=f"{round(seconds):d}")
        if m < 120:
            return self("units.minute" if m == 1 else "units.minutes", n=m)
        return self("units.hours", n=f"{m / 60:.1f}")

    # -- the site's names ------------------------------------------------------------------------
    def name(self, name: str, aliases: list[str] | tuple[str, ...] = ()) -> str:
        """How this language names a room, lab or vessel of the site: its name, or for a
        language written in kana and kanji its first alias so written (回収室)."""
        if self.language == "ja":
            written = next((a for a in aliases if in_cjk_script(a)), None)
            if written:
                return written
        return name


@lru_cache(maxsize=8)
def messages(language: str = "en") -> Messages:
    """The lines of a language, loaded once."""
    return Messages(language)
