"""The wake phrase at the start of a transcript, found as a recogniser writes it.

Recognisers rarely write a made-up word as it is spelled: Whisper writes "wan wan" as "1, 1,",
"When, when," or a stammer "W-w-w-". The words it writes instead are the catalogue's data
(``language.wake_soundalikes``); what is done with them is here.
"""

from __future__ import annotations

import re

from wanwan.nlu.matcher import IntentEngine
from wanwan.nlu.text import in_cjk_script, normalise, spelled_as_said


def split_wake(text: str, wake: str, engine: IntentEngine) -> tuple[bool, str]:
    """(said the wake phrase, the rest of the text)."""
    words = text.split()
    if not wake or not words:
        return False, text
    if not engine.language.spaced:
        return _split_unspaced(text, wake, engine)
    # Whisper writes a quick "wan wan" as a stammer: "W-w-w", "W-w-w-w-go ahead.", "W-w-w-a, ..."
    initial = re.escape(wake.strip()[0])
    stammer = re.match(rf"\s*{initial}(?:-{initial}){{2,}}(?![a-z])(?:-a\b)?[-,.!?\s]*", text,
                       re.IGNORECASE)
    if stammer:
        return True, text[stammer.end():]
    language = engine.language
    wake_words = [t.text for t in normalise(wake, language)]
    # "1, 1," is how Whisper often writes "wan wan"
    clean = ["one" if t.value == 1 and t.source in ("1", "one") else t.text
             for t in normalise(" ".join(words[:len(wake_words) + 1]), language)]
    joined = "".join(wake_words)
    if clean and clean[0] in (joined, joined + "s"):
        return True, " ".join(words[1:])

    def sounds_like(heard: str, wanted: str) -> bool:
        return heard == wanted or heard in language.wake_soundalikes or (
            len(heard) > 2 and language.key(heard) == language.key(wanted))

    def glued(heard: str, wanted: list[str]) -> bool:
        """``heard`` is the wanted words run together, each part sounding like its word
        ("Whamwan", "Wamland"); parts of three letters or more, so "w" + "and" is no wake."""
        if len(wanted) == 1:
            return len(heard) > 2 and sounds_like(heard, wanted[0])
        return any(sounds_like(heard[:cut], wanted[0]) and glued(heard[cut:], wanted[1:])
                   for cut in range(3, len(heard) - 2))

    n = len(wake_words)
    # the first n written words must be the first n heard ones ("W-w-what" is one word)
    one_to_one = len(normalise(" ".join(words[:n]), language)) == n
    if one_to_one and len(clean) >= n and all(sounds_like(h, w) for h, w in zip(
            clean, wake_words, strict=False)):
        return True, " ".join(words[n:])
    if n > 1 and clean and len(normalise(words[0], language)) == 1 \
            and glued(clean[0], wake_words):
        return True, " ".join(words[1:])
    return False, text


_PAUSES = " 　、。，．,.!?！？・…"  # what a recogniser writes between or after the wake words
_MOST_EXTRA = 8  # characters of pauses and stammer a written wake phrase may carry


def _split_unspaced(text: str, wake: str, engine: IntentEngine) -> tuple[bool, str]:
    """A language written without spaces (Japanese) has no words to count off: the wake phrase
    is the shortest start of the text that sounds like it, however it is written ("ワンワン",
    "わんわん", "ワン、ワン", or "wan wan" in Latin letters), and it must end where a word
    can end (before a pause or a change of script)."""
    language = engine.language
    wanted = language.sound(re.sub(r"\s+", "", wake))
    if not wanted:
        return False, text
    most = min(len(text), len(wake) * 2 + _MOST_EXTRA)
    for end in range(1, most + 1):
        head = "".join(ch for ch in text[:end] if ch not in _PAUSES)
        if not head or language.sound(head) != wanted:
            continue
        rest = text[end:]
        if rest and not (rest[0] in _PAUSES or _script(rest[0]) != _script(text[end - 1])):
            continue  # "ワンワンワン": the phrase does not end inside a word
        return True, rest.lstrip(_PAUSES)
    return False, text


def _script(ch: str) -> str:
    """Kana, kanji or other: where one ends and another begins a word may end."""
    if spelled_as_said(ch):
        return "kana"
    return "kanji" if in_cjk_script(ch) else "other"
