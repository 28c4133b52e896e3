"""English spoken numbers: "one hundred and twenty five", "twelve hundred", "twelve point five",
"point five", "twelve and a half", "12.5", "1,000".

``parse_number_at(words, i)`` reads the longest number starting at ``words[i]`` and returns
``(value, end)``; it never consumes a trailing "and" or "point" that is not followed by a number.
"""

from __future__ import annotations

import re

UNITS = {
    "zero": 0, "oh": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}
TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}
SCALES = {"hundred": 100, "thousand": 1000}
FRACTIONS = {"half": 0.5, "quarter": 0.25}
DIGIT_WORDS = {k: v for k, v in UNITS.items() if v < 10}

_DIGITS = re.compile(r"^\d+(?:\.\d+)?$|^\.\d+$")


def _digits_value(word: str) -> float | int | None:
    if not _DIGITS.match(word):
        return None
    return float(word) if "." in word else int(word)


def _parse_integer(words: list[str], i: int) -> tuple[int, int] | None:
    """Integer words from ``i``: returns (value, end) or None."""
    total = 0
    current = 0
    last: str | None = None  # kind of the last word: unit, teen, ten, hundred, thousand
    j = i
    consumed_any = False
    while j < len(words):
        w = words[j]
        if w == "a" and j + 1 < len(words) and words[j + 1] in SCALES and not consumed_any:
            current = 1
            last = "unit"
            j += 1
            consumed_any = True
            continue
        if w == "and" and consumed_any and last in ("hundred", "thousand"):
            nxt = words[j + 1] if j + 1 < len(words) else ""
            if nxt in UNITS or nxt in TENS:
                j += 1
                continue
            break
        if w in UNITS:
            value = UNITS[w]
            if w == "oh" and not consumed_any:
                break  # "oh" alone is an interjection, not zero
            if last in ("unit", "teen") or (last == "ten" and value >= 10):
                break
            current += value
            last = "teen" if value >= 10 else "unit"
        elif w in TENS:
            if last in ("unit", "teen", "ten"):
                break
            current += TENS[w]
            last = "ten"
        elif w == "hundred":
            if last in ("hundred",) or (current >= 100 and current % 100 == 0):
                break
            if current >= 100:  # "one hundred twenty hundred" is not a number
                break
            current = (current or 1) * 100
            last = "hundred"
        elif w == "thousand":
            if last == "thousand" or total:
                break
            total += (current or 1) * 1000
            current = 0
            last = "thousand"
        else:
            break
        consumed_any = True
        j += 1
    if not consumed_any:
        return None
    return total + current, j


def parse_number_at(words: list[str], i: int) -> tuple[float | int, int] | None:
    """The number spoken at ``words[i:]`` (digits or words), or None."""
    value: float | int
    # a fraction said alone: "half a litre", "a quarter of a cubic metre"
    fraction = i + 1 if words[i] == "a" else i
    if fraction < len(words) and words[fraction] in FRACTIONS:
        article = fraction + 1
        if article < len(words) and words[article] == "of":
            article += 1
        if article < len(words) and words[article] in ("a", "an"):
            return FRACTIONS[words[fraction]], article + 1
    digits = _digits_value(words[i])
    if digits is not None:
        value, end = digits, i + 1
    elif words[i] == "point":
        value, end = 0, i
    else:
        parsed = _parse_integer(words, i)
        if parsed is None:
            return None
        value, end = parsed

    # decimals: "point five", "twelve point two five"
    if end < len(words) and words[end] == "point" and isinstance(value, int):
        frac_digits = []
        k = end + 1
        while k < len(words) and words[k] in DIGIT_WORDS:
            frac_digits.append(str(DIGIT_WORDS[words[k]]))
            k += 1
        if frac_digits:
            value = float(f"{value}.{''.join(frac_digits)}")
            end = k
        elif k < len(words) and (d := _digits_value(words[k])) is not None and isinstance(d, int):
            value = float(f"{value}.{words[k]}")
            end = k + 1
    if end == i:
        return None
    # "twelve and a half", "three and three quarters"
    if end < len(words) and words[end] == "and":
        rest = words[end + 1 : end + 3]
        if len(rest) == 2 and rest[0] == "a" and rest[1] in FRACTIONS:
            return value + FRACTIONS[rest[1]], end + 3
        if len(rest) == 2 and rest[0] == "three" and rest[1] in ("quarter", "quarters"):
            return value + 0.75, end + 3
    return value, end


_UNIT_WORDS = [w for w, v in sorted(UNITS.items(), key=lambda kv: kv[1]) if w not in ("oh",)]
_TENS_WORDS = {v: w for w, v in TENS.items() if w != "fourty"}


def number_to_words(value: float | int) -> str:
    """12 -> "twelve", 125 -> "one hundred twenty five", 12.5 -> "twelve point five"."""
    if isinstance(value, float) and not value.is_integer():
        whole, frac = f"{value:.6f}".rstrip("0").split(".")
        return (number_to_words(int(whole)) + " point "
                + " ".join(_UNIT_WORDS[int(d)] for d in frac))
    n = int(value)
    if n < 20:
        return _UNIT_WORDS[n]
    if n < 100:
        tens, unit = divmod(n, 10)
        return _TENS_WORDS[tens * 10] + (f" {_UNIT_WORDS[unit]}" if unit else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_UNIT_WORDS[hundreds]} hundred" + (f" {number_to_words(rest)}" if rest else "")
    thousands, rest = divmod(n, 1000)
    return f"{number_to_words(thousands)} thousand" + (f" {number_to_words(rest)}"
                                                      if rest else "")
