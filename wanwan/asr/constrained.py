"""Whisper narrowed to what the intents can say: a beam search over Whisper's tokens that only
follows sentences of the loaded templates.

The grammar is the intent engine's own graph of its templates. Each word of it becomes the
token sequences Whisper would write for it ("dewar", " Dewar", "what's", "12" and "twelve",
"%" for "percent"); slot lists contribute their values, number ranges any number in words or
digits (the intent engine checks the range afterwards). Filler words the engine ignores ("the",
"please") and punctuation may come anywhere. Nothing here knows about helium: any intent folder
gives its grammar.

A language written without spaces (Japanese) is the same grammar over its morphemes, written
one after the other with no space between: numbers in digits (the way Whisper writes them
there), its own punctuation, and its polite and filler words free anywhere (a template does
not list every ください).

Forced decoding always ends on *some* sentence of the grammar, so its log-probability is
compared with Whisper's own free transcript of the same audio: speech the grammar cannot
explain costs far more than a misheard word, and is refused.
"""

from __future__ import annotations

import itertools
import re
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np

from wanwan.asr.whisper_decoder import DecoderState, WhisperDecoder
from wanwan.nlu import numbers_en
from wanwan.nlu.matcher import IntentEngine
from wanwan.nlu.numbers_en import number_to_words

State = tuple[str, int]  # (kind, node): node is where the grammar stands; kind "t": between
#   words ("s": at the very start, where the wake phrase may come); "f": after a filler
#   word ("the"); "g": after two, or after punctuation (no more of either); "n...": in a
#   number said in words (see ``number_step``); "d", "dd", "d,", "d.": in a number in digits
Head = tuple[State, tuple[int, ...]]  # a state and the tokens of a unit begun there

# the parser's number words (one home for them): what Whisper may write inside a number
DIGIT_NAMES = [w for w, v in numbers_en.UNITS.items() if v < 10]
TEENS = [w for w, v in numbers_en.UNITS.items() if v >= 10]
TENS = [w for w in numbers_en.TENS if w != "fourty"]  # a misspelling the parser forgives
NUMBER_WORDS = [*DIGIT_NAMES, *TEENS, *TENS, "hundred", "thousand", "point", "and", "a", "half",
                "quarter", "quarters"]
PUNCTUATION = (",", ".", "?", "!")
# a language without spaces writes its own as well (Japanese 、。？！)
UNSPACED_PUNCTUATION = (*PUNCTUATION, "、", "。", "？", "！")
CONTRACTIONS = ("s", "t", "m", "d", "re", "ve", "ll")
_DIGITS_START = re.compile(r"^Ġ\d+$")  # byte-level BPE writes a leading space as Ġ
_DIGITS = re.compile(r"^\d+$")
_ACRONYM = re.compile(r"^[b-df-hj-np-tv-xz]{2,5}$")  # no vowel: "nmr", "ppms"
# places of the grammar whose next tokens (and unit tries) are remembered, the least recently
# used forgotten first: about 10 kB each, so a kiosk that runs for weeks stays within some
# 40 MB, and the places every command passes (the start, after the wake phrase, "dewar") stay
CACHE_LIMIT = 2000
_Key = TypeVar("_Key", bound=Hashable)
_Value = TypeVar("_Value")


class LeastRecentlyUsed(Generic[_Key, _Value]):
    """A bounded memo: what was made for a key, the least recently used dropped first.

    Clearing everything at the bound instead made each grammar pass rebuild the places that
    every command passes: half of its time went on that (12.6 s of 25.5 over 40 commands)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._kept: OrderedDict[_Key, _Value] = OrderedDict()

    def get(self, key: _Key, make: Callable[[], _Value]) -> _Value:
        value = self._kept.get(key)
        if value is None:
            value = self._kept[key] = make()
            if len(self._kept) > self.limit:
                self._kept.popitem(last=False)
        else:
            self._kept.move_to_end(key)
        return value

    def __len__(self) -> int:
        return len(self._kept)


@dataclass
class Hypothesis:
    tokens: list[int]
    score: float  # sum of log-probabilities
    heads: frozenset[Head]
    penalty: float = 0.0  # for words fewer than Whisper's free transcript had
    end_logprob: float = 0.0  # of the end of text where the sentence ends

    @property
    def worth(self) -> float:
        """What finished sentences are ranked by: the log-probability less the penalty."""
        return self.score - self.penalty


class TokenGrammar:
    def __init__(self, engine: IntentEngine, tokenizer, max_variants: int = 8,
                 wake_forms: Iterable[str] = ()) -> None:
        """``wake_forms``: how Whisper writes the wake phrase ("wan wan", "one, one"), allowed
        once before a sentence when decoding starts from the beginning."""
        self.engine = engine
        self.tokenizer = tokenizer
        self.max_variants = max_variants
        self.nodes = {id(node): node for node in engine.grammar_nodes()}
        self.nodes[id(engine.root)] = engine.root
        self.root: State = ("t", id(engine.root))
        vocab = tokenizer.get_vocab()
        self.digit_start = sorted(i for t, i in vocab.items() if _DIGITS_START.match(t))
        self.digit_plain = sorted(i for t, i in vocab.items() if _DIGITS.match(t))
        self.digit_three = sorted(i for t, i in vocab.items() if _DIGITS.match(t) and len(t) == 3)
        self.comma, self.point = vocab[","], vocab["."]
        language = engine.language
        self.spaced = language.spaced
        self.punctuation = PUNCTUATION if self.spaced else UNSPACED_PUNCTUATION
        # words the engine drops anyway; skip words ("um", "well", "so") are left out: allowed
        # anywhere they gave forced decoding an escape into babble. Japanese is spoken with
        # politeness and particles around any template (お願いします, ね, を): free there
        self.fillers = sorted(language.ignore_words | {"please"} if self.spaced else
                              language.ignore_words | language.skip_words
                              | language.function_words)
        self._encoded: dict[str, tuple[int, ...]] = {}
        # tokens that begin a word that counts: not a filler, which the grammar may put
        # anywhere ("undo" heard "a new" is one word said, not two)
        self.counts_word = np.zeros(max(vocab.values()) + 1, dtype=bool)
        for text, i in vocab.items():
            # without spaces no token shows where a word begins: no count, no penalty
            self.counts_word[i] = self.spaced and text.startswith("Ġ") and text[1:2].isalnum()
        for unit in self._units_of(self.fillers):
            if len(unit) == 1:
                self.counts_word[unit[0]] = False
        self.symbols: dict[str, list[str]] = {}
        for symbol, spoken in language.symbols.items():
            self.symbols.setdefault(spoken, []).append(symbol)
        self._tries: LeastRecentlyUsed[State, dict[tuple[int, ...],
                                                   dict[int, list[State | None]]]] = \
            LeastRecentlyUsed(CACHE_LIMIT)
        self._allowed: LeastRecentlyUsed[frozenset[Head], dict[int, frozenset[Head]]] = \
            LeastRecentlyUsed(CACHE_LIMIT)
        self._choices: LeastRecentlyUsed[frozenset[Head], tuple[np.ndarray, np.ndarray]] = \
            LeastRecentlyUsed(CACHE_LIMIT)
        self._interned: dict[frozenset[Head], frozenset[Head]] = {}
        self._number_word_units = {w: self._units_of([w]) for w in NUMBER_WORDS}
        # "twenty-five": a digit's name written on to a ten
        self._hyphen_units = {w: self._encode(f"-{w}", spaced=False) for w in DIGIT_NAMES[2:]}
        self._number_moves: dict[str, list[tuple[tuple[int, ...], str]]] = {}
        self.wake_units = self._units_of(wake_forms)

    def count_words(self, tokens: Iterable[int]) -> int:
        """How many words that count these tokens write (see ``counts_word``)."""
        return sum(1 for t in tokens if t < len(self.counts_word) and self.counts_word[t])

    def token_ids(self) -> set[int]:
        """Every token this grammar can write."""
        ids = set(self.digit_start) | set(self.digit_plain) | {self.comma, self.point}
        words = {word for node in self.nodes.values() for word in node.words}
        forms = [f for w in words for f in self.word_forms(w)]
        forms += [f for sl in self.engine.lists.values() for p in sl.phrases
                  for f in self.phrase_forms(p)]
        units = self._units_of(forms + self.fillers, names=True)
        units += list(self._hyphen_units.values())
        units += [u for us in self._number_word_units.values() for u in us]
        if not self.spaced:
            units += [u for node in self.nodes.values() for word, children in node.words.items()
                      for child in children
                      for u, _ in self._merged_units(self.word_forms(word), child)]
            units += [u for node in self.nodes.values() for slot, children in node.slots.items()
                      if not self.engine.lists[slot.list_name].is_range
                      for phrase in self.engine.lists[slot.list_name].phrases
                      for child in children
                      for u, _ in self._merged_units(self.phrase_forms(phrase), child)]
        for unit in units + self.wake_units:
            ids.update(unit)
        for text in list(self.punctuation) + [s for v in self.symbols.values() for s in v]:
            ids.update(self._encode(text, False))
        return ids

    # -- units: the token sequences that move the grammar on -----------------------------------
    def _encode(self, text: str, spaced: bool) -> tuple[int, ...]:
        key = (" " if spaced else "") + text
        if key not in self._encoded:
            self._encoded[key] = tuple(self.tokenizer.encode(key, add_special_tokens=False).ids)
        return self._encoded[key]

    def _units_of(self, forms: Iterable[str], spaced: bool | None = None,
                  names: bool = False) -> list[tuple[int, ...]]:
        """The token sequences of words as Whisper may write them (capitalised, a name in
        title case or capitals), each after a space unless ``spaced`` is False (default: as
        the language writes)."""
        spaced = self.spaced if spaced is None else spaced
        out: dict[tuple[int, ...], None] = {}
        for form in forms:
            cased = [form, form[:1].upper() + form[1:]]
            if names:  # "Tanaka Lab", "NMR", "the NMR magnet"
                cased += [form.title()] + [form.upper()] * (len(form) <= 3)
                cased.append(" ".join(w.upper() if _ACRONYM.match(w) else w
                                      for w in form.split()))
            for variant in cased:
                out[self._encode(variant, spaced)] = None
        return list(out)

    def word_forms(self, word: str) -> list[str]:
        """How Whisper may write one normalised word of the templates."""
        if word.startswith("#"):
            value = float(word[1:]) if "." in word else int(word[1:])
            return [number_to_words(value), str(value)] if self.spaced else [str(value)]
        forms = [word]
        language = self.engine.language
        forms += [k for k, v in language.spellings.items() if v == word]
        for ending in CONTRACTIONS:  # "whats" -> "what's", "weve" -> "we've"
            if word.endswith(ending) and len(word) > len(ending) + 1:
                forms.append(f"{word[:-len(ending)]}'{ending}")
        return forms

    def phrase_forms(self, phrase: str) -> list[str]:
        options = [self.word_forms(w) for w in phrase.split()]
        spellings = itertools.islice(itertools.product(*options), self.max_variants)
        if self.spaced:
            return [" ".join(p) for p in spellings]
        # 田中 研 is written 田中研, nmr 600 NMR600: casing is decided per word, before joining
        out = []
        for words in spellings:
            out += ["".join(words), "".join(w.upper() if _ACRONYM.match(w) else w
                                            for w in words)]
        return list(dict.fromkeys(out))

    def units(self, state: State) -> list[tuple[tuple[int, ...], State]]:
        kind, node_id = state
        node = self.nodes[node_id]
        out: list[tuple[tuple[int, ...], State]] = []
        if kind[0] == "n":
            out += [(u, (after, node_id)) for u, after in self._number_units(kind)]
            if not number_ends(kind):  # "twelve point" must go on: "five"
                return out
        elif kind in ("d", "dd"):  # "1" "000", "1" "," "000", "12" "." "5"
            if kind == "d":
                out += [((t,), ("dd", node_id)) for t in self.digit_plain]
            out += [((self.comma,), ("d,", node_id)), ((self.point,), ("d.", node_id))]
        elif kind == "d,":
            return [((t,), ("dd", node_id)) for t in self.digit_three]
        elif kind == "d.":
            return [((t,), ("t", node_id)) for t in self.digit_plain]
        if kind == "s":  # the very start: the wake phrase may come first
            out += [(u, ("t", node_id)) for u in self.wake_units]
        for word, children in node.words.items():
            units = self._units_of(self.word_forms(word))
            symbols = [self._encode(s, False) for s in self.symbols.get(word, ())]
            for child in children:
                target: State = ("t", id(child))
                out += [(u, target) for u in units]
                out += [(s, target) for s in symbols]
                if not self.spaced:
                    out += self._merged_units(self.word_forms(word), child)
        for slot, children in node.slots.items():
            slot_list = self.engine.lists[slot.list_name]
            for child in children:
                if slot_list.is_range and not self.spaced:  # digits, with no space before
                    out += [((t,), ("d", id(child))) for t in self.digit_plain]
                elif slot_list.is_range:
                    out += [(u, (after, id(child))) for u, after in self._number_units("n")]
                    out += [((t,), ("d", id(child))) for t in self.digit_start]
                else:
                    for phrase in slot_list.phrases:
                        forms = self.phrase_forms(phrase)
                        out += [(u, ("t", id(child))) for u in self._units_of(
                            forms, names=True)]
                        if not self.spaced:  # 動かし|て written 動|か|して
                            out += self._merged_units(forms, child)
        if kind in ("f", "t") or kind[0] in "nd":  # "of the": two fillers; one punctuation
            after_filler: State = ("g" if kind == "f" else "f", node_id)
            out += [(u, after_filler) for u in self._units_of(self.fillers)]
            out += [(self._encode(p, False), ("g", node_id)) for p in self.punctuation]
        elif kind == "g" and not self.spaced:  # 記録して|ください|。: a full stop after two
            out += [(self._encode(p, False), ("p", node_id)) for p in self.punctuation]
        return out

    def _merged_units(self, forms: list[str], child) -> list[tuple[tuple[int, ...], State]]:
        """Two morphemes Whisper writes as one token: the analyser splits して into し + て,
        Whisper's byte-pair merges write it as one. Without spaces, nothing keeps a merge
        inside a word, so each word (``forms``: its spellings, or a slot value's) is offered
        joined to each word that may follow it."""
        out = []
        for next_word, grandchildren in child.words.items():
            for form in itertools.islice(itertools.product(
                    forms, self.word_forms(next_word)), self.max_variants):
                joined = self._encode("".join(form), False)
                if joined == self._encode(form[0], False) + self._encode(form[1], False):
                    continue  # the same tokens as the two words apart
                out += [(joined, ("t", id(grandchild))) for grandchild in grandchildren]
        return out

    def _number_units(self, kind: str) -> list[tuple[tuple[int, ...], str]]:
        """The units that go on with a number in words, and the kind each leads to."""
        moves = self._number_moves.get(kind)
        if moves is None:
            moves = []
            for word, units in self._number_word_units.items():
                after = number_step(kind, word)
                if after is not None:
                    moves += [(u, after) for u in units]
            if kind[1:2] == "x":  # only a ten is written on to with a hyphen
                moves += [(u, number_step(kind, word)) for word, u in self._hyphen_units.items()]
            self._number_moves[kind] = moves
        return moves

    def _trie(self, state: State) -> dict[tuple[int, ...], dict[int, list[State | None]]]:
        """prefix of a unit -> next token -> [the state reached when the unit ends there, or
        None when the unit goes on]."""
        return self._tries.get(state, lambda: self._make_trie(state))

    def _make_trie(self, state: State) -> dict[tuple[int, ...], dict[int, list[State | None]]]:
        trie: dict[tuple[int, ...], dict[int, list[State | None]]] = {}
        for tokens, target in self.units(state):
            for i, token in enumerate(tokens):
                nexts = trie.setdefault(tokens[:i], {}).setdefault(token, [])
                value = target if i == len(tokens) - 1 else None
                if value not in nexts:
                    nexts.append(value)
        return trie

    # -- moves --------------------------------------------------------------------------------
    def start(self, after_wake: bool = True) -> frozenset[Head]:
        return frozenset({(self.root if after_wake else ("s", self.root[1]), ())})

    def allowed(self, heads: frozenset[Head]) -> dict[int, frozenset[Head]]:
        """Every token that may come next, and the heads it leads to (remembered: beams
        meet the same places again and again)."""
        return self._allowed.get(heads, lambda: self._allowed_uncached(heads))

    def _allowed_uncached(self, heads: frozenset[Head]) -> dict[int, frozenset[Head]]:
        out: dict[int, set[Head]] = {}
        for state, partial in heads:
            for token, targets in self._trie(state).get(partial, {}).items():
                bucket = out.setdefault(token, set())
                for target in targets:
                    bucket.add((target, ()) if target is not None else (state, (*partial, token)))
        # one object for equal sets: a thousand digit tokens lead to the same place
        if len(self._interned) > 20 * CACHE_LIMIT:  # only sharing is lost
            self._interned.clear()
        allowed = {}
        for token, heads_after in out.items():
            frozen = frozenset(heads_after)
            allowed[token] = self._interned.setdefault(frozen, frozen)
        return allowed

    def choices(self, heads: frozenset[Head]) -> tuple[np.ndarray, np.ndarray]:
        """The tokens ``allowed`` after these heads as an array, with the place in the grammar
        each leads to as an integer (see ``_place``; codes compare within one answer only)."""
        return self._choices.get(heads, lambda: self._make_choices(heads))

    def _make_choices(self, heads: frozenset[Head]) -> tuple[np.ndarray, np.ndarray]:
        allowed = self.allowed(heads)
        ids = np.fromiter(allowed, dtype=np.int64, count=len(allowed))
        code_of: dict[frozenset[Head], int] = {}  # a thousand tokens share interned heads
        place_codes: dict[frozenset, int] = {}
        for after in allowed.values():
            if after not in code_of:
                code_of[after] = place_codes.setdefault(_place(after), len(place_codes))
        codes = np.fromiter((code_of[h] for h in allowed.values()), dtype=np.int64,
                            count=len(allowed))
        return ids, codes

    def final(self, heads: frozenset[Head]) -> bool:
        return any(not partial and self.nodes[node].final and kind not in ("d,", "d.")
                   and (kind[0] != "n" or number_ends(kind)) for (kind, node), partial in heads)


def number_step(kind: str, word: str) -> str | None:
    """The kind of state after one more word of a number said in words, or None where no
    number goes on that way. ``kind`` is "n" where a number may begin; in a whole number it
    is "n" + the last word's class ("u" a digit's name, "t" ten to nineteen, "x" twenty to
    ninety, "y" twenty-five, "h" hundred, "k" thousand, "a" a leading "a", "&" an "and" after
    hundred or thousand) + "H" once this group has its hundred + "K" once a thousand was
    said; "nP" after "point", "nD" in its digits; "nA", "nAa", "nA3", "nF" in "and a half"
    and "and three quarters". Only what ``numbers_en.parse_number_at`` reads as one number
    gets through: "twelve point and a" and "seven two" were sentences no intent parses."""
    if kind == "n":
        if word == "a":
            return "na"
        if word == "point":
            return "nP"
        if word in ("oh", "hundred", "thousand"):
            return None
        return _whole_step("", "", word)
    if kind in ("nP", "nD"):
        return "nD" if word in DIGIT_NAMES else None
    if kind == "nA":
        return {"a": "nAa", "three": "nA3"}.get(word)
    if kind in ("nAa", "nA3"):
        return "nF" if word in ("quarter", "quarters" if kind == "nA3" else "half") else None
    if kind == "nF":
        return None
    last, flags = kind[1], kind[2:]
    if word == "and":
        if last in "hk":
            return f"n&{flags}"
        return "nA" if last in "utxy" else None
    if word == "point":
        return "nP" if last in "utxyhk" else None
    if last == "&" and word == "a":
        return "nAa"
    return _whole_step(last, flags, word)


def _whole_step(last: str, flags: str, word: str) -> str | None:
    """``number_step`` inside a whole number (see there for the letters)."""
    if word in DIGIT_NAMES:
        if word in ("zero", "oh") and last:
            return None
        if last in ("", "h", "k", "&"):
            return f"nu{flags}"
        return f"ny{flags}" if last == "x" else None
    if word in TEENS or word in TENS:
        if last in ("", "h", "k", "&"):
            return f"n{'t' if word in TEENS else 'x'}{flags}"
        return None
    if word == "hundred":
        if "H" in flags or last not in ("u", "t", "x", "y", "a"):
            return None
        return f"nhH{flags}"
    if word == "thousand":
        if "K" in flags or last not in ("u", "t", "x", "y", "h", "a"):
            return None
        return "nkK"
    return None


def number_ends(kind: str) -> bool:
    """Whether a number in words may end in this kind of state (see ``number_step``)."""
    return kind in ("nD", "nF") or (len(kind) > 1 and kind[1] in "utxyhk")


def finished_sentences(decoder: WhisperDecoder, state: DecoderState, first: np.ndarray,
                       grammar: TokenGrammar, end_token: int, *, after_wake: bool = True,
                       expected_words: int = 0,
                       beam: int = 8, first_beam: int | None = None,
                       max_tokens: int = 40, slack: float = 8.0,
                       floor: float = -np.inf, same_place: int = 2,
                       missing_word_cost: float = 4.0) -> list[Hypothesis]:
    """The token sequences the grammar allows, ending with ``end_token``, after the prefix
    ``state`` holds (``first``: the log-probabilities that came with it), the most likely
    first (by score less penalty); every one the beam search finished on its way.

    By log-probability alone ending early wins: "book thirty litres" over "book thirty litres
    from dewar four to the ito lab" when "ito" is hard to hear. Whisper's free transcript tells
    how many words were said (``expected_words``), and a finished sentence pays
    ``missing_word_cost`` for each word it has fewer. Beams go on while their sum is within
    ``slack`` of the best finished one and above ``floor`` (below it the answer would be
    refused anyway: that bounds the time spent on speech the grammar cannot explain).
    ``first_beam``: the width of the first step (``beam`` when None), where the sentence is
    chosen and a word whose first token is unlikely ("dewar" heard "your") must survive."""

    def finish(hyp: Hypothesis, end_logprob: float) -> Hypothesis:
        missing = max(0, expected_words - grammar.count_words(hyp.tokens))
        return Hypothesis([*hyp.tokens, end_token], hyp.score + end_logprob, hyp.heads,
                          missing_word_cost * missing, end_logprob)

    logprobs = first
    end_column = decoder.column[end_token]
    beams = [Hypothesis([], 0.0, grammar.start(after_wake))]
    finished: list[Hypothesis] = []
    best_done = -np.inf  # the best finished sentence's score less its penalty
    for step in range(max_tokens):
        width = beam if step or first_beam is None else first_beam
        candidates: list[tuple[float, int, int, frozenset[Head] | None]] = []
        for b, hyp in enumerate(beams):
            allowed = grammar.allowed(hyp.heads)
            ids, codes = grammar.choices(hyp.heads)
            if grammar.final(hyp.heads):
                done = finish(hyp, float(logprobs[b, end_column]))
                finished.append(done)
                best_done = max(best_done, done.worth)
            if not len(ids):
                continue
            columns = decoder.column[ids]
            known = columns >= 0
            ids, codes, columns = ids[known], codes[known], columns[known]
            scores = logprobs[b, columns]
            top = _best_per_place(scores, codes, same_place)[:width]
            candidates += [(hyp.score + float(scores[i]), b, int(ids[i]), allowed[int(ids[i])])
                           for i in top]
        candidates = [c for c in candidates if c[0] > max(best_done - slack, floor)]
        if not candidates:
            break
        candidates.sort(key=lambda c: -c[0])
        # a beam of different places in the grammar: a dozen spellings of one number (" 4",
        # " 47", " four") must not push out the one word that costs more now and less later
        chosen = []
        per_place: dict[frozenset, int] = {}
        for candidate in candidates:
            place = _place(candidate[3])
            if per_place.get(place, 0) < same_place:
                per_place[place] = per_place.get(place, 0) + 1
                chosen.append(candidate)
                if len(chosen) == width:
                    break
        state.select([c[1] for c in chosen])
        beams = [Hypothesis([*beams[b].tokens, t], s, heads) for s, b, t, heads in chosen]
        logprobs = decoder.step(state, np.array([[c[2]] for c in chosen]))[:, -1]
    return sorted(finished, key=lambda h: -h.worth)


def _best_per_place(scores: np.ndarray, codes: np.ndarray, per_place: int) -> np.ndarray:
    """Indices of ``scores``, best first, at most ``per_place`` for each place code: after the
    wake phrase a thousand spellings of numbers (" 15", " 150", " 2015") outrank every word,
    and "dewar fifteen pressure" never got its " de" into the beam."""
    order = np.lexsort((-scores, codes))
    grouped = codes[order]
    starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]])
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    kept = order[rank < per_place]
    return kept[np.argsort(-scores[kept], kind="stable")]


def _place(heads: frozenset[Head]) -> frozenset[tuple[str, int, tuple[int, ...]]]:
    """Where in the grammar a hypothesis stands, blind to how a number is spelled: every way
    of writing a number is one place; a word begun is its own place (" de" of "dewar" is not
    " E" of "enter")."""
    return frozenset(("w" if kind in ("s", "t", "f", "g", "p") else "num", node, partial)
                     for (kind, node), partial in heads)
