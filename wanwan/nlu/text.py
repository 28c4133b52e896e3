"""Text normalisation shared by templates and utterances.

Both sides go through the same function, so that "Dewar 12.", "dewar twelve" and the template
"dewar {dewar}" with the list value "twelve" all meet on the same tokens. Numbers become single
tokens ``#12`` / ``#12.5`` carrying their value; everything else is lower-case words without
punctuation. Language-specific parts (number words, spelling variants) come from a
:class:`Language`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from wanwan.nlu import japanese, numbers_en

NUMBER_PREFIX = "#"


@dataclass(frozen=True, slots=True)
class Token:
    """One normalised word. ``value`` is set for number tokens (text ``#<value>``)."""

    text: str
    value: float | int | None = None
    source: str = ""  # the words heard, for number tokens

    @property
    def is_number(self) -> bool:
        return self.value is not None


def format_number(value: float | int) -> str:
    """Canonical token text of a number: integers without a decimal point."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, float):
        return NUMBER_PREFIX + repr(round(value, 6))
    return f"{NUMBER_PREFIX}{value}"


@dataclass
class Language:
    """What normalisation needs to know about one language; loaded from ``_common.yaml``."""

    code: str = "en"
    spellings: dict[str, str] = field(default_factory=dict)
    # runs of words spelled another way, as the analyser cuts them, longest first: the
    # western 〜ちょいて (ちょ + い + て) is 〜といて (とい + て), which no one word says
    spelled_runs: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()
    skip_words: frozenset[str] = frozenset()
    negations: frozenset[str] = frozenset()
    # negations of more than one word, which deny only together: 〜ません is ませ + ん to the
    # analyser, and a lone ん is as often 「〜んです」 (explaining) as a negation
    negation_phrases: tuple[tuple[str, ...], ...] = ()
    # phrases with a negation's word in them that do not deny: 「すみません」 (excuse me), the
    # polite request 「〜くれませんか」 ("won't you...": please)
    not_negations: tuple[tuple[str, ...], ...] = ()
    # negations that, in a question, ask rather than deny ("isn't dewar seven empty?",
    # 「高くない？」); "nobody knows when dewar twelve runs out" still denies
    asking_negations: frozenset[str] = frozenset()
    function_words: frozenset[str] = frozenset()
    ignore_words: frozenset[str] = frozenset()
    number_homophones: dict[str, int] = field(default_factory=dict)
    wake_soundalikes: frozenset[str] = frozenset()  # what recognisers write for a wake word
    # words for a thing that may be described rather than named ("the dewar on the scale",
    # "the one by the door", 「はかりの上のやつ」), the words that describe one beside it
    # ("on", "spare", 「の」), what it is then read as ("it"), and whether its description
    # comes before it (Japanese)
    thing_words: frozenset[str] = frozenset()
    describing_words: frozenset[str] = frozenset()
    thing_read_as: str = ""
    described_before: bool = False
    # a request said as already done (「記録してある」, "already logged"): a report, no command
    done_phrases: tuple[tuple[str, ...], ...] = ()
    # the assistant's own name as people write it ("wanwan"): what is said before it, at a
    # pause, was said to someone else ("kenji, hold the hose, wanwan, stop the transfer")
    assistant_names: tuple[str, ...] = ()
    stop_words: frozenset[str] = frozenset()  # a sentence with one of these that nothing
    # else explains is a stop ("stop the bus"): when in doubt, stop
    symbols: dict[str, str] = field(default_factory=lambda: dict(UNIVERSAL_SYMBOLS))  # "%"
    # phrases people put before or after a command ("can you", "i need", "for me", "thanks"):
    # read past when the sentence is not understood with them
    lead_ins: tuple[tuple[str, ...], ...] = ()
    tail_outs: tuple[tuple[str, ...], ...] = ()
    # words that open a clause of reason or time said before a question ("for the monthly
    # report, ...", "before I order, ..."), or after any request ("... because the bag is
    # full"): the request is understood alone
    clause_openers: frozenset[str] = frozenset()
    # words that open a yes/no question ("did we log fifty litres for sato lab?"): such a
    # sentence asks, and is no command unless the template itself says the word
    question_openers: frozenset[str] = frozenset()
    # words that ask wherever they stand ("twenty litres is how much gas?"): the same
    question_words: frozenset[str] = frozenset()
    # words that put a yes-or-no question into a sentence in the order of a statement ("they're
    # asking *if* the transfer is finished", "the lab asks *whether* the bag is full"): after
    # who asks, the question is read with its first question opener put first
    whether_words: frozenset[str] = frozenset()
    # words of a habit ("tanaka lab usually takes fifty litres", 「田中研は週に50リットル使う」):
    # a sentence with one the template does not say tells how things go, it commands nothing
    habit_words: frozenset[str] = frozenset()
    # words of a time to come ("log fifty litres tomorrow", 「明日圧縮機止めて」): a request
    # for later is no command to carry out now (a question may ask about later)
    later_words: frozenset[str] = frozenset()
    # words of a time gone ("i logged forty litres yesterday", 「昨日…記録したよ」): a request
    # said with one tells what was done, it commands nothing now
    past_words: frozenset[str] = frozenset()
    # words that make a clause a condition ("when the bag is full", 「満杯になったら」): a
    # request said with such a clause is for when it holds, not a command now
    condition_words: frozenset[str] = frozenset()
    # phrases that end a clause said before a question: who asks ("sato lab wants to know"),
    # or why (「報告書に使うけえ、」: the reason ends in から, ので, けえ); a clause so ended
    # is read past before any request too (「バッグが空だから、圧縮機止めて」, "my colleague
    # said to undo the last entry")
    clause_endings: tuple[tuple[str, ...], ...] = ()
    # what a speaker says before correcting the word just said ("dewar seven, no, twelve",
    # "tanaka lab, I mean sato lab", 「デュワー7、いや12」): the corrected words are read past
    corrections: tuple[tuple[str, ...], ...] = ()
    # what opens a clause that sets something else aside before a question ("never mind the
    # level, what's the pressure ..."; "not the level, the pressure ..."): its "not" denies
    # what it names, not the question
    dismissals: tuple[tuple[str, ...], ...] = ()
    # what says a thing needs doing, said between the thing and the doing ("the compressor
    # *needs to be* switched on", "the ppms *needs* filling"): the thing is read after the verb
    duty_markers: tuple[tuple[str, ...], ...] = ()
    # what makes a number beside it a time of day, said before it ("at three", "half past two")
    # or after it ("five pm", 「3時」): a request with a time is for then, and a question of a
    # time is not of now, unless the reading takes the number as an amount
    clock_before: tuple[tuple[str, ...], ...] = ()
    clock_after: tuple[tuple[str, ...], ...] = ()
    # words that stand for a thing named apart from its clause ("the compressor, switch it
    # off", "the alarm, I've seen it"): the thing is read in their place
    pronouns: frozenset[str] = frozenset()
    # words the catalogue writes whole in a language without spaces (圧縮機, 液面): the text
    # is cut around them before the analyser splits it, as a user dictionary would, so that
    # 「圧縮機動かして」 is not read 圧縮 / 機動 (mobility) / か / し / て
    written_words: frozenset[str] = frozenset()

    def negating(self, tokens: Sequence[Token]) -> list[str]:
        """The words of ``tokens`` that deny, outside the phrases that only look as if they
        did (``not_negations``)."""
        texts = [t.text for t in tokens]

        def found(phrases: Sequence[tuple[str, ...]]) -> list[bool]:
            marks = [False] * len(texts)
            for phrase in phrases:
                size = len(phrase)
                for start in range(len(texts) - size + 1):
                    if tuple(texts[start:start + size]) == phrase:
                        marks[start:start + size] = [True] * size
            return marks

        excused = found(self.not_negations)
        denying = found(self.negation_phrases)
        return [text for text, free, said in zip(texts, excused, denying, strict=True)
                if not free and (said or text in self.negations)]

    @property
    def spaced(self) -> bool:
        """Whether the language writes spaces between its words (Japanese does not)."""
        return self.code not in ("ja", "zh", "th")

    def can_write(self, text: str) -> bool:
        """Whether the language writes ``text``: Japanese writes Latin letters too ("NMR"),
        the languages written in Latin letters do not write kana and kanji."""
        return not self.spaced or not in_cjk_script(text)

    @property
    def written_as_said(self) -> bool:
        """Whether a word's letters say how it sounds (English), or a reading does (the kanji
        of Japanese)."""
        return self.code != "ja"

    def sound(self, word: str) -> str:
        """How a word sounds, written in latin letters, for comparing words by ear: the word
        itself where the script says it (English), the reading in romaji where it does not
        (Japanese: "液面" and "駅面" are both "ekimen")."""
        return word if self.written_as_said else japanese.sound(word)

    def says_little(self, word: str) -> bool:
        """Whether a word is a filler or a function word of the language: the catalogue's
        lists, and where words are not written apart, what the analyser reads as a particle
        (から, a source's particle, is no function word to the matcher's costs)."""
        return (word in self.function_words or word in self.skip_words
                or (not self.written_as_said and japanese.is_particle(word)))

    def number_sound(self, value: float | int) -> str | None:
        """How a number is said, where a recogniser may write a word as its digits (「10点」
        for 「充填」); None where numbers are compared as numbers only (English has its
        ``number_homophones``)."""
        return None if self.written_as_said else japanese.number_sound(value)

    def key(self, word: str) -> str:
        """The coarse sound-alike key of a word (see :func:`phonetic_key`)."""
        return phonetic_key(self.sound(word))

    def is_number_word(self, word: str) -> bool:
        return word.isdigit() or (self.code == "en" and word in _NUMBER_WORDS)

    def may_be_number(self, word: str) -> bool:
        """Whether a word a recogniser wrote may be a number, or part of one, misheard: a
        number word, a word said like one ("for"), the decimal point."""
        return self.is_number_word(word) or word in self.number_homophones or (
            self.code == "en" and word == "point")

    def stem(self, word: str) -> str:
        """A crude stem for comparing inflections ("entries" ~ "entry", "logged" ~ "log")."""
        if self.code != "en" or len(word) < 4:
            return word
        return _english_stem(word)

    def parse_numbers(self, words: list[str]) -> list[Token]:
        if self.code != "en":  # only English number words so far; digits work everywhere
            return [_digit_token(w) or Token(w) for w in words]
        words = _join_split_number_words(words)
        out: list[Token] = []
        i = 0
        while i < len(words):
            found = numbers_en.parse_number_at(words, i)
            if found is None:
                out.append(Token(words[i]))
                i += 1
                continue
            value, end = found
            out.append(Token(format_number(value), value, " ".join(words[i:end])))
            i = end
        return out


@lru_cache(maxsize=50_000)
def _english_stem(word: str) -> str:
    for suffix, repl in (("ies", "y"), ("ied", "y"), ("sses", "ss"), ("ches", "ch"),
                         ("shes", "sh"), ("xes", "x"), ("ing", ""), ("ed", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: len(word) - len(suffix)] + repl
            if suffix in ("ing", "ed") and len(stem) > 3 and stem[-1] == stem[-2]:
                stem = stem[:-1]  # "logged" -> "logg" -> "log"
            return stem
    return word


# Characters that separate words; the decimal point and % survive until number parsing.
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'"})
_DIGIT_LETTER = re.compile(r"(?<=\d)(?=[^\W\d_])|(?<=[^\W\d_])(?=\d)")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_KANA_ONLY = re.compile(r"^[\u3040-\u30ffー]+$")


def spelled_as_said(word: str) -> bool:
    """Whether a word is written in kana alone, the script that writes what is said: カクニン is
    確認 spelled by its sound, not another word that reads alike (駅面 for 液面)."""
    return _KANA_ONLY.match(word) is not None


def in_cjk_script(text: str) -> bool:
    """Whether ``text`` has kana or kanji in it (回収室, NMRマグネット)."""
    return _CJK.search(text) is not None


UNIVERSAL_SYMBOLS = {"³": "3", "²": "2"}  # "m³" -> "m3" in every language
_NON_WORD = re.compile(r"[^\w.\s]+")
_STRAY_DOT = re.compile(r"\.(?!\d)|(?<=[^\W\d_])\.")
_DIGITS = re.compile(r"^(\d+(?:\.\d+)?|\.\d+)$")
_POSSESSIVE = re.compile(r"\b(\w+)'s\b")


def _digit_token(word: str) -> Token | None:
    if not _DIGITS.match(word):
        return None
    value: float | int = float(word) if "." in word else int(word)
    return Token(format_number(value), value, word)


_NUMBER_WORDS = frozenset(numbers_en.UNITS) | frozenset(numbers_en.TENS) | {
    "hundred", "thousand"}


def _join_split_number_words(words: list[str]) -> list[str]:
    """Recognisers split long number words ("fif teen", "hun dred"): join them back."""
    if len(words) < 2:
        return words
    out: list[str] = []
    i = 0
    while i < len(words):
        if (i + 1 < len(words) and words[i] not in _NUMBER_WORDS
                and words[i] + words[i + 1] in _NUMBER_WORDS):
            out.append(words[i] + words[i + 1])
            i += 2
            continue
        out.append(words[i])
        i += 1
    return out


def split_words(text: str, language: Language) -> list[str]:
    """Lower-case words with punctuation removed and spellings unified (no number parsing)."""
    words = _japanese_words(text, language) if language.code == "ja" else _spaced_words(
        text, language)
    if language.spelled_runs:
        words = _respell_runs(words, language.spelled_runs)
    out: list[str] = []
    for word in words:
        spelled = language.spellings.get(word, word)
        # a word spelled another way is then split as a template writing it is split
        # (コンプレッサー -> 圧縮機 -> 圧縮 + 機): both must meet
        out.extend(spelled.split() if language.spaced or spelled == word
                   else japanese.segment(spelled))
    return out


def _respell_runs(words: list[str], runs: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]
                  ) -> list[str]:
    out: list[str] = []
    at = 0
    while at < len(words):
        for run, spelled in runs:
            if tuple(words[at:at + len(run)]) == run:
                out.extend(spelled)
                at += len(run)
                break
        else:
            out.append(words[at])
            at += 1
    return out


def _spaced_words(text: str, language: Language) -> list[str]:
    """The words of a language that writes spaces between them."""
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).lower()
    # "dewar seven's pressure", "dewar 12's level": the number, not "sevens"
    text = _POSSESSIVE.sub(lambda m: m.group(1) if language.is_number_word(m.group(1))
                           else m.group(0), text)
    text = text.replace("'", "")  # "what's" -> "whats", "don't" -> "dont"
    for symbol, spoken in language.symbols.items():
        text = text.replace(symbol, f" {spoken} " if spoken[:1].isalpha() else spoken)
    text = _THOUSANDS.sub("", text)
    text = _NON_WORD.sub(" ", text)  # hyphens, slashes, commas, question marks ...
    text = _STRAY_DOT.sub(" ", text)  # "dewar 12." keeps "12", "12.5" stays whole
    text = _DIGIT_LETTER.sub(" ", text)  # "50l" -> "50 l", "d12" -> "d 12"
    return text.replace("_", " ").split()


def _japanese_words(text: str, language: Language) -> list[str]:
    """Japanese has no spaces: morphemes from the analyser, numbers read first."""
    text = unicodedata.normalize("NFKC", text).lower()
    for symbol, spoken in language.symbols.items():
        text = text.replace(symbol, f" {spoken} ")
    return japanese.segment(japanese.numbers_to_digits(text), language.written_words)


def normalise(text: str, language: Language) -> list[Token]:
    """The token sequence both matchers work on (ignored words dropped after number parsing,
    so "a hundred" is still a number)."""
    tokens = language.parse_numbers(split_words(text, language))
    if language.ignore_words:
        tokens = [t for t in tokens if t.text not in language.ignore_words]
    return tokens


def tokens_text(tokens: list[Token]) -> str:
    return " ".join(t.text for t in tokens)


@lru_cache(maxsize=50_000)  # the same few thousand words, compared again and again
def phonetic_key(word: str) -> str:
    """A coarse sound-alike key (Soundex-like classes, vowels dropped after the first letter).

    Recognisers substitute words that sound alike ("leaders" for "litres"); comparing keys
    catches those where spelling differs a lot.
    """
    if not word or word.startswith(NUMBER_PREFIX):
        return word
    w = word
    for a, b in (("ph", "f"), ("ck", "k"), ("gh", ""), ("kn", "n"), ("wr", "r"),
                 ("th", "0"), ("sh", "x"), ("ch", "x"), ("tch", "x"), ("dg", "j")):
        w = w.replace(a, b)
    if not w:  # "gh" is silent: nothing is left to sound like anything
        return ""
    classes = {
        **dict.fromkeys("bfpv", "1"), **dict.fromkeys("cgjkqsxz", "2"),
        **dict.fromkeys("dt0", "3"), "l": "4", "m": "5", "n": "5", "r": "6",
    }
    out = [w[0] if w[0] in "aeiouy" else classes.get(w[0], w[0])]
    for ch in w[1:]:
        code = classes.get(ch)
        if code is None:  # vowels, h, w separate nothing
            continue
        if code != out[-1]:
            out.append(code)
    return "".join(out)
