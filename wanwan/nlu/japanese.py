"""What the matcher needs to read Japanese: words without spaces, numbers in kanji and kana,
and how words sound.

Japanese writes no spaces, so words come from a morphological analyser (MeCab through fugashi,
with the UniDic-lite dictionary); templates and utterances go through the same one, so they
meet on the same morphemes. Numbers are read before that, in every way people and recognisers
write them (１２, 12, 十二, じゅうに, 十二点五, 12.5), into ASCII digits. How a word sounds is its
reading in romaji ("液面" and "駅面" are both "ekimen"), so a recogniser's wrong kanji costs what
a sound-alike costs in English.

Installed with the ``ja`` extra (``pip install wanwan[ja]``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from wanwan.errors import UserError

_KANJI_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6,
                 "七": 7, "八": 8, "九": 9}
_KANJI_VALUES = {**_KANJI_DIGITS, "十": 10, "百": 100, "千": 1000, "万": 10_000}
_DIGIT_KANJI = "〇一二三四五六七八九"  # 0 to 9 written as _KANJI_DIGITS reads them
# kana readings of number parts, longest first (sound changes: さんびゃく, はっぴゃく, いっせん)
_KANA_PARTS = [
    ("きゅうひゃく", 900), ("はっぴゃく", 800), ("ろっぴゃく", 600), ("さんびゃく", 300),
    ("ひゃく", 100), ("はっせん", 8000), ("さんぜん", 3000), ("いっせん", 1000), ("せん", 1000),
    ("まん", 10_000), ("じゅう", 10), ("じっ", 10), ("じゅっ", 10),
    ("いち", 1), ("いっ", 1), ("に", 2), ("さん", 3), ("よん", 4), ("し", 4), ("ご", 5),
    ("ろく", 6), ("ろっ", 6), ("なな", 7), ("しち", 7), ("はち", 8), ("はっ", 8),
    ("きゅう", 9), ("く", 9), ("ぜろ", 0), ("れい", 0),
]
# longest first, so that しち is 7 and not し (4) and a stray ち
_KANA_WHOLE = sorted([*_KANA_PARTS, ("びゃく", 100), ("ぴゃく", 100), ("ぜん", 1000)],
                     key=lambda part: -len(part[0]))
_KANA_POINT = "てん"
_KANA_STRONG = ("じゅう", "じっ", "じゅっ", "ひゃく", "びゃく", "ぴゃく", "せん", "ぜん", "まん",
                _KANA_POINT)
_KANJI_NUMBER = re.compile(r"[〇零一二三四五六七八九十百千万]+(?:点[〇零一二三四五六七八九]+)?")
_KANA_DIGITS = [(reading, value) for reading, value in _KANA_PARTS if value < 10]
_KANA_NUMBER = re.compile("(?:" + "|".join(sorted(
    {p for p, _ in _KANA_WHOLE} | {_KANA_POINT}, key=len, reverse=True)) + ")+")
# kanji that are numbers only inside words here: 一番 (the best), 一度 (once), 十分 (enough);
# and words in kana with a number's reading in them: the polite negative 〜ません (not 〜ま1000,
# which made every 「すみません」 a negation and every 1000 one), ぜんぶ (all), まんたん (full)
_NOT_NUMBERS = ("一番", "一度", "十分", "一緒", "一応", "一旦", "一杯", "一部", "一時", "一気",
                "万一", "一般", "同一", "統一", "唯一", "一つ",
                "ません", "ぜんぶ", "ぜんぜん", "ぜんいん", "ぜんたい", "まんたん", "まんなか",
                "じゅうぶん", "せんせい", "せんげつ", "せんしゅう", "せんじつ")
# a given name that ends in a number kanji, said with its honorific, names a colleague: 健二さん
# is not 健 and 2, nor 誠一郎くん 誠 and 1
_IN_A_NAME = re.compile(r"(?<=[\u4e00-\u9fff])(?<![〇零一二三四五六七八九十百千万点])"
                        r"[一二三四五六七八九十]+[郎朗]?(?=(?:さん|くん|君|ちゃん|氏|様|先輩))")


def _combine(parts: list[int]) -> int:
    """The number that digits and units say, in the order said: 十二 (10, 2) is 12, 三百二十
    (3, 100, 2, 10) is 320, 二十万 (2, 10, 10000) is 200000; 二〇 (2, 0) digit by digit is 20."""
    total = section = digit = 0
    for value in parts:
        if value >= 10_000:
            total += (section + digit or 1) * value
            section = digit = 0
        elif value >= 10:
            section += (digit or 1) * value
            digit = 0
        else:
            digit = digit * 10 + value
    return total + section + digit


def _read(text: str, table: list[tuple[str, int]]) -> list[int] | None:
    """The values of ``text`` read as readings of ``table``, longest match first; None when
    some of it is no reading there."""
    parts: list[int] = []
    while text:
        found = _first_reading(text, table)
        if found is None:
            return None
        parts.append(found[1])
        text = text[len(found[0]):]
    return parts


def _first_reading(text: str, table: list[tuple[str, int]]) -> tuple[str, int] | None:
    """The first (reading, value) of ``table`` that ``text`` begins with, or None."""
    return next(((reading, value) for reading, value in table if text.startswith(reading)),
                None)


def _kanji_number(match: re.Match[str]) -> str:
    whole, _, decimals = match.group(0).partition("点")
    value = str(_combine([_KANJI_VALUES[ch] for ch in whole])) if whole else "0"
    if decimals:
        value += "." + "".join(str(_KANJI_DIGITS[ch]) for ch in decimals)
    return value


def _kana_value(text: str) -> str | None:
    """じゅうにてんご -> "12.5"; None when the run is not a number after all."""
    whole, _, decimals = text.partition(_KANA_POINT)
    parts = _read(whole, _KANA_WHOLE)
    digits = _read(decimals, _KANA_DIGITS)
    if parts is None or digits is None or not (parts or digits):
        return None  # てん alone is no number: 「止めてんか」 is 止めて + んか
    if not decimals and whole.endswith("っ") and len(parts) == 1:
        return None  # a reading cut short alone is no number: 「感じっすか」 is 感じ + っす + か
    out = str(_combine(parts)) if parts else "0"
    return out + "." + "".join(map(str, digits)) if digits else out


def _kana_number(match: re.Match[str]) -> str:
    text, lead = match.group(0), ""
    # two digits said one after the other are no number in kana: the first is a particle or
    # the end of a word (「田中研にごじゅう」 is に and 50, not 2, 5, 10)
    while (first := _digit_reading(text)) and _digit_reading(text[len(first):]):
        lead, text = lead + first, text[len(first):]
    # a lone に or ご is a particle or a prefix far more often than a number
    if not any(strong in text for strong in _KANA_STRONG):
        return lead + text
    value = _kana_value(text)
    return lead + (value if value is not None else text)


def _digit_reading(text: str) -> str | None:
    """The reading of a digit (いち to きゅう) that ``text`` begins with, if it begins with one
    and not with a longer reading (いっせん is 1000)."""
    found = _first_reading(text, _KANA_WHOLE)
    return found[0] if found is not None and found[1] < 10 else None


def numbers_to_digits(text: str) -> str:
    """Kanji and kana numbers as ASCII digits ("五十リットル" -> " 50 リットル")."""
    protected: list[str] = []

    def protect(match: re.Match[str]) -> str:
        protected.append(match.group(0))
        return f"\uE000{len(protected) - 1}\uE001"

    text = unicodedata.normalize("NFKC", text)
    text = re.sub("|".join(_NOT_NUMBERS), protect, text)
    text = _IN_A_NAME.sub(protect, text)
    text = _KANJI_NUMBER.sub(_kanji_number, text)
    text = _KANA_NUMBER.sub(_kana_number, text)
    return re.sub("\uE000(\\d+)\uE001", lambda m: protected[int(m.group(1))], text)


@lru_cache(maxsize=1)
def _tagger():
    try:
        import fugashi  # deferred: optional (the ja extra), and MeCab loads its dictionary
    except ImportError:
        raise UserError("Japanese needs its extra: pip install 'wanwan[ja]' (fugashi and "
                         "unidic-lite)") from None
    return fugashi.Tagger()


def segment(text: str, known: frozenset[str] = frozenset()) -> list[str]:
    """Words (morphemes) of Japanese text. Digit runs stay whole ("12.5"), and a run of
    katakana is one word ("デュワー", "ガスバッグ"): MeCab splits an unknown loanword
    differently alone (as in a template) and in a sentence, and both must meet. Where the
    text has one of the ``known`` words, it is cut there first, and the word and the rest are
    each split as if alone: the way a template, which writes the word apart, is split."""
    pattern, in_katakana = _known_pattern(known)
    return [w for chunk in unicodedata.normalize("NFKC", text).split()
            for piece in (pattern.split(chunk) if pattern else (chunk,)) if piece
            for w in _segment_alone(in_katakana.get(piece, piece))]


# a noun to say a particle after: alone, MeCab reads 「まで」 as ま + で, after a word as まで
_CONTEXT = "本"


@lru_cache(maxsize=50_000)
def _segment_alone(text: str) -> tuple[str, ...]:
    """The words of ``text`` as they are split in a sentence. A few letters of hiragana
    alone (a template's 「(まで|に なる まで)」) fall apart into single letters that the same
    letters in a sentence (「90パーセントまで」) do not: they are split after a noun instead."""
    words = _segment_chunk(text)
    if len(words) > 1 and all(len(w) == 1 for w in words) and _HIRAGANA.fullmatch(text):
        in_context = _segment_chunk(_CONTEXT + text)
        if in_context[:1] == (_CONTEXT,) and "".join(in_context[1:]) == text:
            return in_context[1:]
    return words


@lru_cache(maxsize=8)
def _known_pattern(known: frozenset[str]) -> tuple[re.Pattern[str] | None, dict[str, str]]:
    """One pattern for the known words, longest first, that keeps what it cuts at; and the
    known loanwords written in hiragana (でゅわー), with the katakana they are read as."""
    if not known:
        return None, {}
    words = {unicodedata.normalize("NFKC", w) for w in known}
    in_katakana = {w.translate(_KATAKANA_TO_HIRAGANA): w for w in words
                   if written_in_katakana(w)}
    # a loanword in katakana is kept whole by its run already, and not cut out of a longer
    # one (チェックリスト is no チェック)
    alternatives = sorted({w for w in words if not written_in_katakana(w)} | set(in_katakana),
                          key=len, reverse=True)
    return re.compile("(" + "|".join(map(re.escape, alternatives)) + ")"), in_katakana


@lru_cache(maxsize=50_000)
def _segment_chunk(text: str) -> tuple[str, ...]:
    out: list[str] = []
    previous = ""
    for word in _tagger()(text):
        surface = word.surface
        if word.feature.pos1 in ("補助記号", "空白") and not (
                surface == "." and previous == "digits"):
            previous = ""
            continue  # punctuation
        kind = ("digits" if surface.isdigit() or surface == "."
                else "katakana" if _KATAKANA.fullmatch(surface) else "")
        if out and kind and kind == previous:
            out[-1] += surface
        else:
            out.append(surface)
        previous = kind
    return tuple(w.rstrip(".") if w[:1].isdigit() else w for w in out)


_KATAKANA = re.compile(r"[\u30A0-\u30FFー]+")
_KATAKANA_TO_HIRAGANA = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}


def written_in_katakana(word: str) -> bool:
    """Whether ``word`` is all katakana (a loanword: デュワー, リットル)."""
    return bool(_KATAKANA.fullmatch(word))
_HIRAGANA = re.compile(r"[\u3041-\u309F]+")


_FUNCTION_POS = frozenset({"助詞", "助動詞", "接続詞"})


@lru_cache(maxsize=20_000)
def is_particle(word: str) -> bool:
    """Whether the analyser reads ``word`` as particles, auxiliaries or conjunctions only
    (から, って, ましょう): words that carry the grammar of a sentence, not what it is about."""
    morphemes = list(_tagger()(word))
    return bool(morphemes) and all(m.feature.pos1 in _FUNCTION_POS for m in morphemes)


@lru_cache(maxsize=4096)
def number_sound(value: float | int) -> str | None:
    """How a whole number from 1 to 9999 is said, in romaji (10 -> "juu", 12 -> "juuni"):
    Whisper writes a word that sounds like a number in digits (「充填」 heard 「10点」)."""
    if not float(value).is_integer() or not 0 < value < 10_000:
        return None
    n, kanji = int(value), ""
    for unit, name in ((1000, "千"), (100, "百"), (10, "十")):
        digit, n = divmod(n, unit)
        if digit:
            kanji += ("" if digit == 1 else _DIGIT_KANJI[digit]) + name
    kanji += _DIGIT_KANJI[n] if n else ""
    said = sound(kanji)
    return said if said.isascii() else None


@lru_cache(maxsize=50_000)
def sound(word: str) -> str:
    """How a word sounds, in romaji ("液面" -> "ekimen"); other scripts as they are."""
    import jaconv  # deferred: optional (the ja extra)

    if word.isascii():
        return word
    readings = []
    for morpheme in _tagger()(word):
        kana = morpheme.feature.kana if hasattr(morpheme.feature, "kana") else None
        readings.append(kana or jaconv.hira2kata(morpheme.surface))
    romaji = jaconv.kata2alphabet("".join(readings).replace("ー", "")).replace("-", "")
    return romaji if romaji.isascii() else word
