"""From an utterance to an intent with typed slots, or a reasoned rejection.

Two passes over the same compiled template expansions:

1. **exact**: a word trie walked depth-first; slots consume spans that are spoken forms of their
   list (or a number token in range). Confidence 1.0.
2. **tolerant**: what recognisers really produce (a substituted, dropped, extra, split or
   merged word). Candidates are shortlisted with a vectorised word-overlap score, then aligned
   to the utterance by a weighted edit distance whose substitution cost comes from rapidfuzz
   character similarity and a sound-alike key. The confidence says how much was bent.

Rejection beats guessing: below the intent's minimum confidence, on an unconsumed negation, on a
slot out of its range, or when two intents fit almost equally well, the result is ``intent=None``
with a reason.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

from wanwan.nlu.catalog import Catalog, Intent, SlotList, SlotValue, Template
from wanwan.nlu.templates import SlotRef
from wanwan.nlu.text import Token, phonetic_key

MAX_TOKENS = 40  # a spoken command is short; a paragraph is not a command
SHORTLIST = 48  # expansions scored by overlap before alignment
ALIGN_PER_TEMPLATE = 3
ALIGN_MAX = 10
AMBIGUITY_MARGIN = 0.03
PRUNE_MARGIN = 1.0  # keep aligning candidates this much worse than the best, for margins

INS_COST = 1.0
INS_COST_FUNCTION = 0.5
INS_COST_SKIP = 0.1
DEL_COST = 1.0
DEL_COST_FUNCTION = 0.6
UNEXPLAINED_WORD_COST = 2.0  # an extra word that sounds like nothing the catalogue says
SPLIT_MERGE_PENALTY = 0.3
HOMOPHONE_COST = 0.5
MIN_WORD_SIM = 0.65
MIN_SPLIT_MERGE_SIM = 0.85
MIN_JOINED_SIM = 0.85


@dataclass
class ParseResult:
    """The outcome of understanding one utterance (the JSON of ``wanwan parse``)."""

    text: str
    intent: str | None
    slots: dict[str, SlotValue] = field(default_factory=dict)
    confidence: float = 0.0
    reason: str | None = None  # why it was rejected
    near: str | None = None  # the intent it came closest to, when rejected
    exact: bool = False
    actuating: bool = False
    elapsed_ms: float = 0.0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "text": self.text,
            "intent": self.intent,
            "slots": dict(self.slots) if self.intent else {},
            "confidence": round(self.confidence, 3),
        }
        if self.intent is None and self.reason:
            out["reason"] = self.reason
            if self.near:
                out["near"] = self.near
        return out


@dataclass(slots=True)
class Expansion:
    intent: Intent
    template: Template
    elements: tuple[str | SlotRef, ...]
    literal_count: int


@dataclass(slots=True)
class GrammarNode:
    """A place in the compiled templates: the words and slots that may come next, and the
    expansions that end here. Recognisers narrowed to the grammar walk the same graph."""

    words: dict[str, GrammarNode] = field(default_factory=dict)
    slots: dict[SlotRef, GrammarNode] = field(default_factory=dict)
    ends: list[Expansion] = field(default_factory=list)


@dataclass(slots=True)
class _Candidate:
    expansion: Expansion
    bindings: list[tuple[SlotRef, SlotValue]]
    confidence: float
    exact: bool


class IntentEngine:
    """Compiled matcher for one catalogue; ``parse`` is safe to call from many threads."""

    def __init__(self, catalog: Catalog) -> None:
        started = time.perf_counter()
        self.catalog = catalog
        self.language = catalog.language
        self.lists: dict[str, SlotList] = catalog.lists
        self.expansions: list[Expansion] = []
        for intent in catalog.intents.values():
            for template in intent.templates:
                for elements in template.expansions:
                    literals = sum(1 for e in elements if isinstance(e, str))
                    self.expansions.append(Expansion(intent, template, elements, literals))
        self._build_trie()
        self._build_index()
        self._build_list_index()
        self.compile_seconds = time.perf_counter() - started

    # -- compile -----------------------------------------------------------------------------
    def _build_trie(self) -> None:
        self.trie = GrammarNode()
        for exp in self.expansions:
            node = self.trie
            for element in exp.elements:
                children = node.words if isinstance(element, str) else node.slots
                child = children.get(element)
                if child is None:
                    child = children[element] = GrammarNode()
                node = child
            node.ends.append(exp)

    def _build_index(self) -> None:
        vocab: dict[str, list[int]] = {}
        for idx, exp in enumerate(self.expansions):
            for word in set(e for e in exp.elements if isinstance(e, str)):
                vocab.setdefault(word, []).append(idx)
        self.vocab = sorted(vocab)
        self.vocab_ids = {w: np.array(ids, dtype=np.int32) for w, ids in vocab.items()}
        self.vocab_by_key: dict[str, list[str]] = {}
        for word in self.vocab:
            if len(word) >= 3 and not word.startswith("#"):
                self.vocab_by_key.setdefault(phonetic_key(word), []).append(word)
        self.literal_counts = np.array([e.literal_count for e in self.expansions], dtype=np.float32)
        self.slot_counts = np.array([len(e.elements) - e.literal_count for e in self.expansions],
                                    dtype=np.float32)
        # Slots count in the shortlist like words: a slot whose list is heard in the utterance
        # (a number for a range, a word of a spoken form for a list) earns its credit.
        self.list_names = sorted(self.lists)
        list_index = {name: i for i, name in enumerate(self.list_names)}
        self.slot_matrix = np.zeros((len(self.expansions), len(self.list_names)), np.float32)
        for idx, exp in enumerate(self.expansions):
            for e in exp.elements:
                if not isinstance(e, str):
                    self.slot_matrix[idx, list_index[e.list_name]] += 1
        self.list_words = {name: frozenset(w for p in sl.phrases for w in p.split())
                           for name, sl in self.lists.items()}
        self.intent_of = [e.intent.name for e in self.expansions]
        self.template_of = [id(e.template) for e in self.expansions]
        self._similar_words = lru_cache(maxsize=20_000)(self._similar_words_uncached)
        # (template word, heard word) pairs: a long-running kiosk fills any bound; 200k pairs
        # held 43 MB after ~3000 recognised sentences, 30k parse just as fast
        self._word_sim = lru_cache(maxsize=30_000)(self._word_sim_uncached)
        self._list_match = lru_cache(maxsize=50_000)(self._list_match_uncached)
        self._sounds_known = lru_cache(maxsize=20_000)(self._sounds_known_uncached)
        known = set(self.vocab)
        for slot_list in self.lists.values():
            for phrase in slot_list.phrases:
                known.update(phrase.split())
        self.known_words = frozenset(w for w in known if not w.startswith("#"))
        self.known_list = sorted(self.known_words)
        self.known_stems = frozenset(map(self.language.stem, self.known_list))
        self.known_keys = frozenset(k for k in map(phonetic_key, self.known_list) if len(k) >= 3)

    def _build_list_index(self) -> None:
        # Spoken forms grouped by the numbers they contain: a dewar "12" must never be matched
        # by "13" however close the characters are.
        self.list_forms: dict[str, dict[tuple[str, ...], list[tuple[str, SlotValue]]]] = {}
        for name, slot_list in self.lists.items():
            groups: dict[tuple[str, ...], list[tuple[str, SlotValue]]] = {}
            for phrase, value in slot_list.phrases.items():
                groups.setdefault(_number_signature(phrase.split()), []).append((phrase, value))
            self.list_forms[name] = groups

    # -- public ------------------------------------------------------------------------------
    def grammar_nodes(self) -> Iterator[GrammarNode]:
        """Every place of the compiled templates, from ``self.trie``, the root."""
        stack = [self.trie]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(node.words.values())
            stack.extend(node.slots.values())

    def parse(self, text: str, intents: set[str] | None = None) -> ParseResult:
        """Understand ``text``; ``intents`` restricts the answer to those intent names."""
        started = time.perf_counter()
        result = self._parse(text, intents)
        result.elapsed_ms = (time.perf_counter() - started) * 1000
        return result

    def _parse(self, text: str, intents: set[str] | None) -> ParseResult:
        if not isinstance(text, str):
            return ParseResult(str(text), None, reason="not text")
        tokens = self.catalog.normalise(text)
        if not tokens:
            return ParseResult(text, None, reason="empty")
        if len(tokens) > MAX_TOKENS:
            return ParseResult(text, None, reason=f"too long for a command ({len(tokens)} words)")

        candidates = self._exact(tokens, intents)
        if not candidates:
            kept = [t for t in tokens if t.text not in self.language.skip_words]
            if kept and len(kept) < len(tokens):
                skipped = len(tokens) - len(kept)
                for cand in self._exact(kept, intents):
                    cand.confidence = 1.0 - 0.01 * skipped
                    cand.exact = False
                    candidates.append(cand)
        if not candidates:
            candidates = self._tolerant(tokens, intents)
        if not candidates:
            return ParseResult(text, None, reason="no intent fits")
        return self._decide(text, tokens, candidates)

    # -- exact -------------------------------------------------------------------------------
    def _exact(self, tokens: list[Token], intents: set[str] | None) -> list[_Candidate]:
        found: list[_Candidate] = []
        n = len(tokens)

        def walk(node: GrammarNode, pos: int, bound: list[tuple[SlotRef, SlotValue]]) -> None:
            if pos == n:
                for exp in node.ends:
                    if intents is None or exp.intent.name in intents:
                        found.append(_Candidate(exp, list(bound), 1.0, True))
                return
            child = node.words.get(tokens[pos].text)
            if child is not None:
                walk(child, pos + 1, bound)
            for ref, child in node.slots.items():
                slot_list = self.lists[ref.list_name]
                if slot_list.is_range:
                    if tokens[pos].is_number:
                        bound.append((ref, tokens[pos].value))  # type: ignore[arg-type]
                        walk(child, pos + 1, bound)
                        bound.pop()
                    continue
                for k in range(1, min(slot_list.max_words, n - pos) + 1):
                    value = slot_list.phrases.get(" ".join(t.text for t in tokens[pos:pos + k]))
                    if value is not None:
                        bound.append((ref, value))
                        walk(child, pos + k, bound)
                        bound.pop()

        walk(self.trie, 0, [])
        return found

    # -- tolerant ----------------------------------------------------------------------------
    def _similar_words_uncached(self, word: str) -> tuple[tuple[str, float], ...]:
        if word.startswith("#"):
            found = [(word, 1.0)] if word in self.vocab_ids else []
            value = float(word[1:])
            found += [(w, 0.7) for w, v in self.language.number_homophones.items()
                      if v == value and w in self.vocab_ids]
            return tuple(found)
        out: dict[str, float] = {}
        if word in self.vocab_ids:
            out[word] = 1.0
        for match, score, _ in process.extract(word, self.vocab, scorer=fuzz.ratio,
                                               score_cutoff=60, limit=6):
            out.setdefault(match, score / 100)
        key = phonetic_key(word)
        if len(word) >= 3 and len(key) >= 2:
            for match in self.vocab_by_key.get(key, ()):
                out[match] = max(out.get(match, 0.0), 0.85)
        return tuple(out.items())

    def _word_sim_uncached(self, a: str, b: str) -> float:
        if a == b:
            return 1.0
        if a.startswith("#") or b.startswith("#"):
            return 0.0
        sim = fuzz.ratio(a, b) / 100
        if len(a) >= 4 and len(b) >= 4 and self.language.stem(a) == self.language.stem(b):
            sim = max(sim, 0.85)  # "entries" for "entry", "logs" for "log"
        if len(a) >= 3 and len(b) >= 3:
            key = phonetic_key(a)
            if len(key) >= 2 and key == phonetic_key(b):
                sim = max(sim, 0.85)
        return sim

    def _sub_cost(self, expected: str, heard: str) -> float:
        sim = self._word_sim(expected, heard)
        if sim >= 1.0:
            return 0.0
        if sim < MIN_WORD_SIM:
            return 1.0 if self._sounds_known(heard) else UNEXPLAINED_WORD_COST
        return min(1.0, (1.0 - sim) * 1.5)

    def _ins_cost(self, token: Token) -> float:
        if token.text in self.language.skip_words:
            return INS_COST_SKIP
        if token.text in self.language.function_words:
            return INS_COST_FUNCTION
        if not token.is_number and not self._sounds_known(token.text):
            return UNEXPLAINED_WORD_COST
        return INS_COST

    def _sounds_known_uncached(self, word: str) -> bool:
        """Whether a word is, or sounds like, something the catalogue says (templates or lists).

        Recognisers insert fillers and short words; a real extra content word ("how much
        *money* do we have") means the sentence is about something else.
        """
        if word in self.known_words or self.language.stem(word) in self.known_stems:
            return True
        if process.extractOne(word, self.known_list, scorer=fuzz.ratio, score_cutoff=80):
            return True
        key = phonetic_key(word)
        return len(key) >= 3 and key in self.known_keys

    def _del_cost(self, word: str) -> float:
        return DEL_COST_FUNCTION if word in self.language.function_words else DEL_COST

    def _list_match_uncached(self, list_name: str, span: tuple[str, ...]
                             ) -> tuple[SlotValue, float] | None:
        slot_list = self.lists[list_name]
        key = " ".join(span)
        if key in slot_list.phrases:
            return slot_list.phrases[key], 0.0
        forms = self.list_forms[list_name].get(_number_signature(span))
        if not forms:
            return None
        best: tuple[SlotValue, float] | None = None
        for phrase, value in forms:
            words = phrase.split()
            if len(words) == len(span):
                # every word must sound right on its own: "tanaka lab" is not "kato lab"
                sims = [self._word_sim(w, s) for w, s in zip(words, span, strict=True)]
                if min(sims) < MIN_WORD_SIM:
                    continue
                cost = sum(self._sub_cost(w, s) for w, s in zip(words, span, strict=True))
            else:  # split or merged words: compare the letters
                sim = fuzz.ratio(key.replace(" ", ""), phrase.replace(" ", "")) / 100
                if sim < MIN_JOINED_SIM:
                    continue
                cost = (1.0 - sim) * 1.5 * max(len(words), len(span)) + SPLIT_MERGE_PENALTY
            if best is None or cost < best[1]:
                best = (value, cost)
        return best

    def _shortlist(self, tokens: list[Token], intents: set[str] | None) -> list[int]:
        acc = np.zeros(len(self.expansions), dtype=np.float32)
        for token in tokens:
            for word, sim in self._similar_words(token.text):
                acc[self.vocab_ids[word]] += sim
        numbers = sum(1 for t in tokens if t.is_number)
        texts = {t.text for t in tokens}
        present = np.array([
            min(1.0, numbers) if self.lists[name].is_range
            else 1.0 if texts & self.list_words[name]
            else 0.7 if any(self._list_match(name, (t,)) for t in texts)
            else 0.0
            for name in self.list_names], dtype=np.float32)
        score = (acc + self.slot_matrix @ present
                 - 0.5 * self.literal_counts - 0.5 * self.slot_counts)
        if intents is not None:
            mask = np.array([name not in intents for name in self.intent_of])
            score[mask] = -np.inf
        k = min(SHORTLIST, len(score))
        top = np.argpartition(-score, k - 1)[:k]
        top = top[np.argsort(-score[top])]
        chosen: list[int] = []
        per_template: dict[int, int] = {}
        for idx in top.tolist():
            if not np.isfinite(score[idx]):
                break
            tid = self.template_of[idx]
            if per_template.get(tid, 0) >= ALIGN_PER_TEMPLATE:
                continue
            per_template[tid] = per_template.get(tid, 0) + 1
            chosen.append(idx)
            if len(chosen) >= ALIGN_MAX:
                break
        return chosen

    def _tolerant(self, tokens: list[Token], intents: set[str] | None) -> list[_Candidate]:
        out: list[_Candidate] = []
        best_cost = float("inf")
        for idx in self._shortlist(tokens, intents):
            exp = self.expansions[idx]
            aligned = self._align(exp, tokens, best_cost + PRUNE_MARGIN)
            if aligned is None:
                continue
            cost, bindings = aligned
            best_cost = min(best_cost, cost)
            denom = max(len(exp.elements), len(tokens))
            out.append(_Candidate(exp, bindings, max(0.0, 1.0 - cost / denom), False))
        return out

    def _align(self, exp: Expansion, tokens: list[Token], give_up: float
               ) -> tuple[float, list[tuple[SlotRef, SlotValue]]] | None:
        """Weighted edit distance between the expansion and the tokens, with slot bindings.

        ``cost[i][j]``: the cheapest way to say the first ``i`` elements with the first ``j``
        tokens. Every move goes to a larger (i, j), so one pass in row order suffices.
        """
        elems = exp.elements
        m, n = len(elems), len(tokens)
        inf = float("inf")
        cost = [[inf] * (n + 1) for _ in range(m + 1)]
        back: list[list[tuple[int, int, tuple[SlotRef, SlotValue] | None] | None]] = [
            [None] * (n + 1) for _ in range(m + 1)
        ]
        cost[0][0] = 0.0
        texts = [t.text for t in tokens]
        values = [t.value for t in tokens]
        single_word_number = [t.is_number and " " not in t.source for t in tokens]
        ins = [self._ins_cost(t) for t in tokens]
        skip = self.language.skip_words
        homophones = self.language.number_homophones
        sub_cost, word_sim = self._sub_cost, self._word_sim

        for i in range(m + 1):
            row = cost[i]
            if min(row) > give_up:
                return None  # costs only grow from here: this expansion cannot win
            elem = elems[i] if i < m else None
            nxt = elems[i + 1] if i + 1 < m else None
            for j in range(n + 1):
                c = row[j]
                if c == inf:
                    continue
                if j < n and c + ins[j] < row[j + 1]:
                    row[j + 1] = c + ins[j]
                    back[i][j + 1] = (i, j, None)
                if elem is None:
                    continue
                moves: list[tuple[int, int, float, tuple[SlotRef, SlotValue] | None]] = []
                if isinstance(elem, str):
                    moves.append((i + 1, j, c + self._del_cost(elem), None))
                    if j < n and texts[j] not in skip:  # a filler never stands for a word
                        if values[j] is not None:
                            if single_word_number[j] and homophones.get(elem) == values[j]:
                                moves.append((i + 1, j + 1, c + HOMOPHONE_COST, None))
                            else:
                                moves.append((i + 1, j + 1, c + 1.0, None))
                        else:
                            moves.append((i + 1, j + 1, c + sub_cost(elem, texts[j]), None))
                            if j + 1 < n and values[j + 1] is None:
                                sim = word_sim(elem, texts[j] + texts[j + 1])
                                if sim >= MIN_SPLIT_MERGE_SIM:
                                    moves.append((i + 1, j + 2,
                                                  c + (1 - sim) + SPLIT_MERGE_PENALTY, None))
                            if isinstance(nxt, str):
                                sim = word_sim(elem + nxt, texts[j])
                                if sim >= MIN_SPLIT_MERGE_SIM:
                                    moves.append((i + 2, j + 1,
                                                  c + (1 - sim) + SPLIT_MERGE_PENALTY, None))
                elif self.lists[elem.list_name].is_range:
                    if j < n:
                        if values[j] is not None:
                            moves.append((i + 1, j + 1, c, (elem, values[j])))  # type: ignore[arg-type]
                        elif texts[j] in homophones:
                            moves.append((i + 1, j + 1, c + HOMOPHONE_COST,
                                          (elem, homophones[texts[j]])))
                else:
                    longest = min(self.lists[elem.list_name].max_words + 1, n - j)
                    for k in range(1, longest + 1):
                        match = self._list_match(elem.list_name, tuple(texts[j:j + k]))
                        if match is not None:
                            moves.append((i + 1, j + k, c + match[1], (elem, match[0])))
                for ti, tj, tc, binding in moves:
                    if tc < cost[ti][tj]:
                        cost[ti][tj] = tc
                        back[ti][tj] = (i, j, binding)
        total = cost[m][n]
        if total == inf:
            return None
        bindings: list[tuple[SlotRef, SlotValue]] = []
        i, j = m, n
        while (i, j) != (0, 0):
            step = back[i][j]
            assert step is not None
            if step[2] is not None:
                bindings.append(step[2])
            i, j = step[0], step[1]
        bindings.reverse()
        return total, bindings

    # -- decision ----------------------------------------------------------------------------
    def explain(self, text: str) -> list[tuple[str, float, str]]:
        """The scored candidates behind a parse (for tuning and ``wanwan parse --explain``)."""
        tokens = self.catalog.normalise(text)
        cands = self._exact(tokens, None) or self._tolerant(tokens, None)
        cands.sort(key=lambda c: -c.confidence)
        return [(c.expansion.intent.name, round(c.confidence, 3),
                 " ".join(e if isinstance(e, str) else "{" + e.slot_name + "}"
                          for e in c.expansion.elements)) for c in cands[:8]]

    def _decide(self, text: str, tokens: list[Token], candidates: list[_Candidate]
                ) -> ParseResult:
        # Most confident first; among equals, the more literal (fewer slots) and earlier one.
        candidates.sort(key=lambda c: (-c.confidence, -c.expansion.literal_count))
        best = candidates[0]
        intent = best.expansion.intent
        runner_up = next((c for c in candidates[1:] if c.expansion.intent is not intent), None)

        def reject(reason: str, confidence: float | None = None) -> ParseResult:
            return ParseResult(text, None, {}, best.confidence if confidence is None
                               else confidence, reason=reason, near=intent.name)

        negations = [t.text for t in tokens if t.text in self.language.negations]
        literals = {e for e in best.expansion.elements if isinstance(e, str)}
        if any(word not in literals for word in negations):
            return reject("negated")
        if best.confidence < intent.min_confidence:
            return reject(f"not sure enough ({best.confidence:.2f} < {intent.min_confidence})")
        if (not best.exact and runner_up is not None
                and best.confidence - runner_up.confidence < AMBIGUITY_MARGIN):
            return reject(f"ambiguous between {intent.name} and {runner_up.expansion.intent.name}")

        # The best candidate whose numbers are in range wins; a slot out of range is only
        # reported when no reading of the sentence fits ("into the NMR six hundred" is a
        # vessel, not a 600 % target).
        first_error: str | None = None
        for cand in candidates:
            if cand.confidence < best.confidence - 0.05 or cand.expansion.intent is not intent:
                continue
            slots, error = self._slots(cand)
            if error is None:
                return ParseResult(text, intent.name, slots, cand.confidence, exact=cand.exact,
                                   actuating=intent.actuating)
            first_error = first_error or error
        return reject(first_error or "no reading fits")

    def _slots(self, cand: _Candidate) -> tuple[dict[str, SlotValue], str | None]:
        slots: dict[str, SlotValue] = {}
        for ref, value in cand.bindings:
            slot_list = self.lists[ref.list_name]
            if slot_list.is_range:
                if not slot_list.in_range(float(value)):
                    unit = f" {slot_list.unit}" if slot_list.unit else ""
                    kind = "" if slot_list.decimals else " whole numbers"
                    return {}, (f"{ref.slot_name} {_plain(value)}{unit} is out of range "
                                f"({_plain(slot_list.range_min)}–{_plain(slot_list.range_max)}"
                                f"{unit}{kind})")
                value = _plain(value)
            slots.setdefault(ref.slot_name, value)
        for name, value in cand.expansion.template.fixed_slots.items():
            slots.setdefault(name, value)
        return slots, None


def _number_signature(words: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return tuple(w for w in words if w.startswith("#"))


def _plain(value: Any) -> Any:
    """12.0 -> 12 so JSON shows integers as integers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
