"""From an utterance to an intent with typed slots, or a reasoned rejection.

Two passes over the same compiled template graphs (:mod:`wanwan.nlu.graph`):

1. **exact**: the graphs walked from their merged start; slots consume spans that are spoken
   forms of their list (or a number token). Confidence 1.0.
2. **tolerant**: what recognisers really produce (a substituted, dropped, extra, split or
   merged word). Templates are shortlisted with a vectorised word-overlap score, then each is
   aligned to the utterance by a weighted edit distance searched through its graph, so the
   best of its sentences is found however many it says. Substitution costs come from rapidfuzz
   character similarity, a sound-alike key and a light stem. The confidence says how much was
   bent.

Rejection beats guessing: below the intent's minimum confidence, on an unconsumed negation, on a
slot out of its range, or when two intents fit almost equally well, the result is ``intent=None``
with a reason. A question refused only as not sure enough may be taken on a second opinion,
where the catalogue's sentences nearest to it by its words agree (:mod:`wanwan.nlu.wordbag`).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Container, Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

from wanwan.nlu.catalog import Catalog, Intent, SlotList, SlotValue, Template
from wanwan.nlu.graph import GrammarNode, TemplateGraph
from wanwan.nlu.templates import SlotRef
from wanwan.nlu.text import NUMBER_PREFIX, Token, format_number, phonetic_key, spelled_as_said
from wanwan.nlu.wordbag import MIN_WORDS, OTHER, SecondOpinion, WordBag

MAX_TOKENS = 40  # a spoken command is short; a paragraph is not a command
TOPIC_WORDS = 4  # the longest topic read apart from its question ("dewar number twelve")
TOPIC_INTENTS = 3  # a topic is tried with the intents that came this near, no others
# the longest clause read past before a request, in words that say something (not particles)
CLAUSE_WORDS = 10
# what closes a clause in writing: a comma, or the end of a sentence ("... do we have?
# I'd like to know before I order"); not the point of "12.5"
_CLAUSE_COMMA = re.compile(r"[,、，;；?？!！。]|\.(?!\d)")
RESTART_WORDS = 4  # the longest false start read past ("stop it, stop the transfer")
RESTART_TRIES = 2  # false starts tried in one sentence
PLACE_FUNCTION_WORDS = 2  # read past with a place's name ("over in the", 「の」)
DESCRIBED_WORDS = 7  # the longest thing described and not named ("the dewar on the trolley")
CORRECTED_WORDS = 6  # the farthest back a correction reaches ("dewar seven from the bay, no")
SHORTLIST = 60  # templates aligned after the overlap score
# of which at most this many of one intent, while others are left (at ten, an intent of forty
# templates such as log_volume lost the right one to its others' overlap)
PER_INTENT = 12
BM25_B = 0.75  # how much a template's size discounts its overlap
# how sure a question read before a clause that a word opens need be ("what pressure is the
# storage at before we open it up"; after a comma, as sure as any request)
QUESTION_SURE = 0.8
SURE_ENOUGH = 0.9  # a tolerant reading this good is not looked for again without the lead-in
# what was told of a request, then asked for bare: the asking says which request it is, so
# the telling need be only as sure as an answer to a read-back ("I'm going to fill the ppms
# from seven" at 0.74 is a fill to 7 percent)
TOLD_SURE = 0.8
AMBIGUITY_MARGIN = 0.03
NOT_SURE = "not sure enough"  # the reason a reading below its intent's bar is refused
PRUNE_MARGIN = 1.0  # keep aligning paths this much worse than the best, for margins

INS_COST = 1.0
INS_COST_FUNCTION = 0.5
INS_COST_SKIP = 0.1
DEL_COST = 1.0
DEL_COST_FUNCTION = 0.6
UNEXPLAINED_WORD_COST = 2.0  # an extra word that sounds like nothing the catalogue says
# A heard word that this intent never says but a few others do ("pressure" to read_level) is
# evidence for them: it costs this much more, inserted or put for another word
FOREIGN_WORD_COST = 0.3
FOREIGN_OWNERS = 3  # a word said by more intents than this tells them apart too little
TELLING_OWNERS = 4  # "transfer": start, stop, status of a transfer and a level's question
# A heard word the intent says elsewhere ("gas" in "gas recovery status") is no evidence
# against it: inserting it costs this much less
NATIVE_WORD_DISCOUNT = 0.5
# An intent's defining word (in most of its templates, few other intents': "pressure" for
# read_pressure) left unsaid costs this much more
KEY_WORD_SHARE = 0.8
KEY_WORD_DELETE_COST = 0.5
SPLIT_MERGE_PENALTY = 0.3
HOMOPHONE_COST = 0.5
HOMOPHONE_SIM = 0.9  # two words written apart that read alike ("駅面" for "液面")
OUT_OF_RANGE_COST = 1.5  # a number its slot cannot take: a reading in range is preferred
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
    # a complete sentence of the grammar that nothing more can follow and change its meaning
    # ("stop", "what's the level in dewar twelve"; not "log fifty litres", which "to tanaka
    # lab" may follow): a listener need not wait out the full end silence
    closed: bool = False
    elapsed_ms: float = 0.0
    # numbers the reading took and did not keep (a slot named with "_": the figure a
    # question is asked against), so that no check takes them for a name left unread
    figures: tuple[SlotValue, ...] = ()
    # where the reading was below its intent's bar and the catalogue's sentences nearest to
    # it agreed (:mod:`wanwan.nlu.wordbag`): their share of belief in the intent
    second_opinion: float | None = None

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
        if self.second_opinion is not None:  # set on a reading taken, never on a refusal
            out["second_opinion"] = self.second_opinion
        return out


@dataclass(slots=True)
class Expansion:
    """One sentence a template says (enumerated for tools: checks, recogniser corpora)."""

    intent: Intent
    template: Template
    elements: tuple[str | SlotRef, ...]

    @property
    def literal_count(self) -> int:
        return sum(1 for e in self.elements if isinstance(e, str))


@dataclass(slots=True)
class _Candidate:
    """One reading of the utterance through one template."""

    intent: Intent
    template: Template
    bindings: list[tuple[SlotRef, SlotValue]]
    confidence: float
    exact: bool
    words: tuple[str, ...]  # the template's words on this reading
    elements: int  # words and slots on the path


# moves of the alignment, for the way back
_INS, _DEL, _SUB, _SPLIT, _MERGE, _SLOT = range(6)
_NOT_WORKED_OUT = object()  # a row of costs not yet worked out (None: no such move at all)


class IntentEngine:
    """Compiled matcher for one catalogue; ``parse`` is safe to call from many threads."""

    def __init__(self, catalog: Catalog) -> None:
        started = time.perf_counter()
        self.catalog = catalog
        self.language = catalog.language
        self.lists: dict[str, SlotList] = catalog.lists
        self.templates: list[Template] = [t for i in catalog.intents.values()
                                          for t in i.templates if t.graph is not None]
        self._intent_of = {id(t): catalog.intents[t.intent] for t in self.templates}
        self.second_opinion = SecondOpinion.from_catalogue(catalog)
        self._build_root()
        self._build_index()
        self._build_list_index()
        self._build_extension_index()
        self.compile_seconds = time.perf_counter() - started

    # -- compile -----------------------------------------------------------------------------
    def _build_root(self) -> None:
        """One start for every template: its arcs are theirs (nodes are never shared, so a
        final node tells its template)."""
        self.root = GrammarNode(-1)
        self._template_at: dict[int, Template] = {}
        for template in self.templates:
            graph: TemplateGraph = template.graph  # type: ignore[assignment]
            for word, targets in graph.start.words.items():
                self.root.words.setdefault(word, []).extend(targets)
            for slot, targets in graph.start.slots.items():
                self.root.slots.setdefault(slot, []).extend(targets)
            for node in graph.nodes:
                self._template_at[id(node)] = template

    def _build_index(self) -> None:
        vocab: dict[str, list[int]] = {}
        for idx, template in enumerate(self.templates):
            for word in template.graph.words:  # type: ignore[union-attr]
                vocab.setdefault(word, []).append(idx)
        self.vocab = sorted(vocab)
        self.vocab_ids = {w: np.array(ids, dtype=np.int32) for w, ids in vocab.items()}
        # Overlap is weighted as in BM25: a word most templates say ("dewar") tells little, and
        # a template with hundreds of words (a start_transfer with every way of naming a
        # target) must not outscore a short one that says just what was heard
        count = len(self.templates)
        self.idf = {w: float(np.log(1 + (count - len(ids) + 0.5) / (len(ids) + 0.5)))
                    for w, ids in vocab.items()}
        # a template's size: the square root of the words and slots it may say (the words of
        # optional politeness inflate the plain count; of the measures tried, this one
        # understood most of the tuning sentences)
        sizes = np.sqrt(np.array([len(t.graph.words) + len(t.graph.slot_refs)  # type: ignore[union-attr]
                                  for t in self.templates], dtype=np.float32))
        self.length_norm = 1.0 - BM25_B + BM25_B * sizes / max(1.0, float(sizes.mean()))
        self.vocab_by_key: dict[str, list[str]] = {}
        for word in self.vocab:
            if len(word) >= 3 and not word.startswith("#"):
                self.vocab_by_key.setdefault(self.language.key(word), []).append(word)
        # the fewest words and slots a template must say: long templates are not shortlisted
        # for a short utterance
        self.shortest = np.array([_shortest(t.graph) for t in self.templates],  # type: ignore[arg-type]
                                 dtype=np.float32)
        # Slots count in the shortlist like words: a slot whose list is heard in the utterance
        # (a number for a range, a word of a spoken form for a list) earns its credit; not a
        # figure said and not kept, or every sentence with a number would shortlist the
        # questions asked against one
        self.list_names = sorted(self.lists)
        list_index = {name: i for i, name in enumerate(self.list_names)}
        self.slot_matrix = np.zeros((len(self.templates), len(self.list_names)), np.float32)
        for idx, template in enumerate(self.templates):
            for ref in template.graph.slot_refs:  # type: ignore[union-attr]
                if ref.kept:
                    self.slot_matrix[idx, list_index[ref.list_name]] = 1
        self.list_words = {name: frozenset(w for p in sl.phrases for w in p.split())
                           for name, sl in self.lists.items()}
        self.intent_names = [t.intent for t in self.templates]
        # the words each intent says (its templates' and its slot lists'), and for each word
        # the intents that say it: a word of a few other intents is foreign to this one
        written: dict[str, set[str]] = {}  # the templates' own words
        own_values: dict[str, set[str]] = {}  # the words of their slots' values
        for template in self.templates:
            written.setdefault(template.intent, set()).update(template.graph.words)  # type: ignore[union-attr]
            own_values.setdefault(template.intent, set()).update(
                w for ref in template.graph.slot_refs  # type: ignore[union-attr]
                for w in self.list_words[ref.list_name])
        said = {intent: words | own_values[intent] for intent, words in written.items()}
        self._intent_words = {intent: frozenset(words) for intent, words in said.items()}
        owners: dict[str, set[str]] = {}
        for intent, words in said.items():
            for word in words:
                owners.setdefault(word, set()).add(intent)
        # the words that say nothing of what is asked (particles, articles, fillers)
        self._says_nothing = plain = self.language.function_words | self.language.skip_words
        self._foreign = {intent: frozenset(
            w for w, who in owners.items()
            if intent not in who and len(who) <= FOREIGN_OWNERS and w not in plain
            and not w.startswith("#")) for intent in said}
        # not a word that announces a slot ("dewar" before a number): inserted cheaply, it
        # would let the number be read as another slot (a figure not kept is no such slot:
        # 「バッグ」 before 「80パーセント超えてる？」 stays the bag's own word)
        cues: set[str] = set()
        for template in self.templates:
            for node in template.graph.nodes:  # type: ignore[union-attr]
                for word, targets in node.words.items():
                    if any(ref.kept for t in targets for ref in t.slots):
                        cues.add(word)
        # nor a word of a slot's values: left out, it would drop what was asked for
        valued = {w for sl in self.lists.values() for phrase in sl.phrases
                  for w in phrase.split()}
        self._native = {intent: frozenset(w for w in words if w not in plain and w not in cues
                                          and w not in valued and not w.startswith("#"))
                        for intent, words in said.items()}
        # the words that make a sentence this intent and few others ("transfer", 「移送」),
        # not its names, numbers or fillers
        writers: dict[str, int] = Counter(w for words in written.values() for w in words)
        self._telling = {intent: frozenset(
            w for w in words if w not in own_values[intent] and not w.startswith("#")
            and writers[w] <= TELLING_OWNERS and not self.language.says_little(w))
            for intent, words in written.items()}
        per_intent: dict[str, list[frozenset[str]]] = {}
        for template in self.templates:
            per_intent.setdefault(template.intent, []).append(
                _required_words(template.graph, plain))  # type: ignore[arg-type]
        self._key_words = {intent: frozenset(
            w for w in set().union(*sets)
            if w not in plain and len(owners.get(w, ())) <= FOREIGN_OWNERS
            and sum(w in s for s in sets) >= KEY_WORD_SHARE * len(sets))
            for intent, sets in per_intent.items()}
        self._similar_words = lru_cache(maxsize=20_000)(self._similar_words_uncached)
        # (template word, heard word) pairs: a long-running kiosk fills any bound; 200k pairs
        # held 43 MB after ~3000 recognised sentences, 30k parse just as fast
        self._word_sim = lru_cache(maxsize=30_000)(self._word_sim_uncached)
        self._list_match = lru_cache(maxsize=50_000)(self._list_match_uncached)
        self._sounds_known = lru_cache(maxsize=20_000)(self._sounds_known_uncached)
        # two template words run together, as they sound: pairs of the catalogue's words only
        self._joined_sounds: dict[tuple[str, str], str] = {}
        known = set(self.vocab)
        for slot_list in self.lists.values():
            for phrase in slot_list.phrases:
                known.update(phrase.split())
        self.known_words = frozenset(w for w in known if not w.startswith("#"))
        self.known_list = sorted(self.known_words)
        self.known_stems = frozenset(map(self.language.stem, self.known_list))
        self.known_keys = frozenset(k for k in map(self.language.key, self.known_list)
                                    if len(k) >= 3)
        # words compared by how they sound: the words themselves, or their readings
        self._by_sound = None if self.language.written_as_said else self.language.sound

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
    def _build_extension_index(self) -> None:
        """Which places of the graphs may still be followed by a slot (more meaning), and the
        strict prefixes of every list's phrases (a value half said)."""
        self._slot_ahead: dict[int, bool] = {}
        for template in self.templates:
            for node in reversed(template.graph.nodes):  # type: ignore[union-attr]
                self._slot_ahead[id(node)] = any(
                    not self.lists[ref.list_name].qualifier for ref in node.slots) or any(
                    self._slot_ahead[id(t)] for targets in node.words.values() for t in targets)
        self._phrase_prefixes: dict[str, frozenset[tuple[str, ...]]] = {
            name: frozenset(tuple(words[:k]) for phrase in slot_list.phrases
                            for words in [phrase.split()] for k in range(1, len(words)))
            for name, slot_list in self.lists.items()}

    def _is_closed(self, tokens: list[Token], intent: str) -> bool:
        """Whether ``tokens``, an exact sentence of ``intent``, are complete: no sentence of the
        grammar goes on from them to another intent or to another slot, and the last number
        cannot be half said ("twenty" of "twenty one", "three" of "three hundred")."""
        n = len(tokens)
        complete = False
        ends_turn = self.catalog.intents[intent].ends_turn

        def number_goes_on(token: Token, slot_list: SlotList) -> bool:
            value = token.value
            if value is None or value != int(value):
                return False
            value = int(value)
            more = ([value * 100] if 1 <= value <= 9 else []) + (
                [value + 1] if 20 <= value <= 90 and value % 10 == 0 else [])
            if slot_list.is_range:
                return any(slot_list.in_range(v) for v in more)
            return any(f"#{v}" in slot_list.phrases for v in more)

        def walk(node: GrammarNode, pos: int) -> bool:
            """False as soon as some reading goes on to more meaning."""
            nonlocal complete
            if pos == n:
                if node is not self.root:
                    template = self._template_at[id(node)]
                    if template.intent == intent:
                        complete = complete or node.final
                    elif not ends_turn:
                        return False
                    if self._slot_ahead[id(node)] and not ends_turn:
                        return False
                return True
            token = tokens[pos]
            for child in node.words.get(token.text, ()):
                if not walk(child, pos + 1):
                    return False
            for ref, children in node.slots.items():
                slot_list = self.lists[ref.list_name]
                spans: list[int] = []
                if slot_list.is_range:
                    spans = [1] if token.is_number else []
                else:
                    rest = tuple(t.text for t in tokens[pos:])
                    if rest in self._phrase_prefixes[ref.list_name]:
                        return False  # a value half said
                    spans = [k for k in range(1, min(slot_list.max_words, n - pos) + 1)
                             if " ".join(rest[:k]) in slot_list.phrases]
                for k in spans:
                    if pos + k == n and number_goes_on(tokens[pos + k - 1], slot_list):
                        return False
                    if not all(walk(child, pos + k) for child in children):
                        return False
            return True

        return walk(self.root, 0) and complete

    def grammar_nodes(self) -> list[GrammarNode]:
        """Every place of every template graph (``self.root`` joins their starts)."""
        return [n for t in self.templates for n in t.graph.nodes]  # type: ignore[union-attr]

    def slot_lists(self, intent: str) -> dict[str, str]:
        """The slots an intent's templates fill, each with its list: {"source": "dewar"}; a
        slot that templates fill from more than one list ("to_unit": a unit, or a phase
        said for its unit) with the one its first template names."""
        return {slot: names[0] for slot, names in self.lists_of_slots.get(intent, {}).items()}

    @cached_property
    def lists_of_slots(self) -> dict[str, dict[str, tuple[str, ...]]]:
        """For each intent, each slot with every list its templates fill it from, in the
        order of the templates (a frozenset's order changes from run to run). Not a slot
        said and not kept (named with "_"): no answer has it, none is asked for."""
        found: dict[str, dict[str, dict[str, None]]] = {}
        for template in self.templates:
            slots = found.setdefault(template.intent, {})
            for ref in sorted(template.graph.slot_refs,  # type: ignore[union-attr]
                              key=lambda r: (r.slot_name, r.list_name)):
                if ref.kept:
                    slots.setdefault(ref.slot_name, {})[ref.list_name] = None
        return {intent: {slot: tuple(names) for slot, names in slots.items()}
                for intent, slots in found.items()}

    def lists_of(self, intent: str) -> frozenset[str]:
        """Every list an intent's slots are filled from."""
        return frozenset(n for names in self.lists_of_slots.get(intent, {}).values() for n in names)

    @cached_property
    def _names_by_intent(self) -> dict[str, frozenset[str]]:
        """For each intent, the words of the names in every list (not a number range) its
        slots are filled from: what a reading of the intent must not read past."""
        return {intent: frozenset(w for n in self.lists_of(intent) if not self.lists[n].is_range
                                  for w in self.list_words[n])
                for intent in self.lists_of_slots}

    def _names_of(self, intent: str) -> frozenset[str]:
        return self._names_by_intent.get(intent, frozenset())

    def answer(self, text: str, intent: str, wanted: str,
               have: dict[str, SlotValue] | None = None) -> dict[str, SlotValue] | None:
        """The next turn read as the answer to a question about one slot ("Which dewar?" ->
        "dewar twelve"; "How much?" -> "fifty litres"): the slot's value, and the values of
        other slots of the intent not yet filled that the answer also names. None when the
        answer holds no value for the slot, or words the intent's templates never say
        ("twelve o'clock is lunch" answers nothing)."""
        lists = self.slot_lists(intent)
        if wanted not in lists:
            return None
        tokens = [t for t in self.catalog.normalise(text)
                  if t.text not in self.language.skip_words]
        used = [False] * len(tokens)
        found: dict[str, SlotValue] = {}
        order = [wanted] + [s for s in lists if s != wanted and s not in (have or {})]
        for slot in order:
            slot_list = self.lists[lists[slot]]
            best: tuple[float, int, int, SlotValue] | None = None
            for j, token in enumerate(tokens):
                if used[j]:
                    continue
                if slot_list.is_range:
                    if token.is_number and slot_list.in_range(float(token.value)):  # type: ignore[arg-type]
                        best = best or (0.0, j, 1, _plain(token.value))
                    continue
                for k in range(1, min(slot_list.max_words, len(tokens) - j) + 1):
                    if any(used[j:j + k]):
                        break
                    match = self._list_match(lists[slot], tuple(t.text for t in
                                                                tokens[j:j + k]))
                    exact_only = slot != wanted
                    # the cheapest reading, and of equals the longest ("cubic metres")
                    if match is not None and (match[1] <= (0.0 if exact_only else 1.0)) and (
                            best is None or (match[1], -k) < (best[0], -best[2])):
                        best = (match[1], j, k, match[0])
            if best is not None:
                _, j, k, value = best
                found[slot] = value
                used[j:j + k] = [True] * k
            elif slot == wanted:
                return None
        vocabulary = {w for t in self.templates if t.intent == intent
                      for w in t.graph.words}  # type: ignore[union-attr]
        vocabulary |= {w for name in lists.values() for w in self.list_words[name]}
        rest = [t.text for t, u in zip(tokens, used, strict=True) if not u]
        if any(w not in vocabulary and w not in self.language.function_words for w in rest):
            return None
        return found

    def words_like(self, word: str) -> tuple[tuple[str, float], ...]:
        """Words of the templates that look or sound like ``word`` (a normalised word), each
        with how alike (0..1), as the tolerant match finds them."""
        return self._similar_words(word)

    def telling_words(self, intent: str) -> frozenset[str]:
        """The words of an intent's templates that few other intents say and that name no
        slot value: what a sentence of it must be heard to say."""
        return self._telling.get(intent, frozenset())

    def similarity(self, a: str, b: str) -> float:
        """How alike two normalised words are (0..1): letters, stems and sound, as the tolerant
        match weighs a substitution."""
        return self._word_sim(a, b)

    def template_at(self, node: GrammarNode) -> Template:
        """The template a node of the graph belongs to."""
        return self._template_at[id(node)]

    def count_sentences(self) -> int:
        """How many sentences the templates say (slots as placeholders), counted, not listed."""
        return sum(t.graph.count() for t in self.templates)  # type: ignore[union-attr]

    @cached_property
    def expansions(self) -> list[Expansion]:
        """Every sentence of every template, enumerated: for tools (``intents check``, the
        recognisers' corpora), not for matching. A catalogue of millions is slow here."""
        return [Expansion(self._intent_of[id(t)], t, elements) for t in self.templates
                for elements in t.graph.sentences()]  # type: ignore[union-attr]

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
        addressed = self._said_to_wanwan(text, intents)
        if addressed is not None:
            return addressed
        corrections = self._corrections_said(tokens)
        corrected = self._corrected(tokens, corrections)
        if corrected is not None:
            # said and then corrected: what was said first is not what is meant, even where
            # the whole would be understood ("log fifty litres, sorry, fifteen" is not fifty)
            result, _ = self._parse_tokens(text, corrected, intents)
            if result.intent is not None and self._still_sure(
                    result, 0.01 * (len(tokens) - len(corrected))):
                return result
        result, nearest = self._parse_tokens(text, tokens, intents)
        whole = result
        if result.intent is not None and not result.exact and self._name_unread(tokens, result):
            # the name may be a topic said apart (「回収量、今月は？」): read as one below
            result = ParseResult(text, None, confidence=result.confidence, near=result.intent,
                                 reason="a name said and not read")
        if result.intent is None and len(tokens) > 2:
            for intent in nearest[:TOPIC_INTENTS]:
                found = self._topic_apart(text, tokens, intent)
                if found is not None:
                    result = found
                    break
            else:
                # where a comma or full stop closes a clause: found once, for both readings
                # (each cut is the sentence before it analysed again)
                commas = self._comma_cuts(text, tokens)
                # two parts said the other way round read every word: tried before a clause
                # is read past ("止めて、圧縮機" is the compressor's stop, not a stop)
                result = self._pronoun_apart(text, tokens, commas, intents) \
                    or self._parts_swapped(text, tokens, commas, intents) \
                    or self._duty_apart(text, tokens, intents) \
                    or self._asked_whether(text, tokens, intents) \
                    or self._clause_apart(text, tokens, commas, intents) \
                    or self._told_then_asked(text, tokens, commas, intents) \
                    or self._restart_apart(text, tokens, intents) \
                    or self._place_apart(text, tokens, intents) \
                    or self._described_apart(text, tokens, commas, intents) or result
        if result.intent is not None and corrected is None and self._correction_lost(
                text, tokens, corrections, result, intents):
            return ParseResult(text, None, confidence=result.confidence,
                               reason="a correction not understood")
        if result is not whole and result.intent is not None and not result.exact \
                and self._name_unread(tokens, result):  # a reading apart, not yet checked
            return ParseResult(text, None, confidence=result.confidence, near=result.intent,
                               reason="a name said and not read")
        if result.intent is None and (result.reason or "").startswith(NOT_SURE):
            return self._agreed_reading(text, tokens, result, intents) or result
        return result

    @cached_property
    def word_bag(self) -> WordBag:
        """The catalogue's sentences as bags of words (made when first asked: 0.3-1 s)."""
        return WordBag.from_catalogue(self.catalog)

    def _agreed_reading(self, text: str, tokens: list[Token], refused: ParseResult,
                        intents: set[str] | None) -> ParseResult | None:
        """The reading of ``tokens`` as the intent ``refused`` came nearest to, below that
        intent's bar but above the catalogue's floor, where a bag of the sentence's words
        agrees on the intent (:class:`SecondOpinion`): wording no template has ("how did
        last week's recovery look"). Only for a question and the few intents the catalogue
        names, none that acts. Every other check of a reading still applies."""
        opinion, near = self.second_opinion, refused.near
        if opinion is None or near is None or (intents is not None and near not in intents) \
                or not opinion.answers(self.catalog.intents[near]) \
                or refused.confidence < opinion.floor:
            return None
        words = [t.text for t in tokens]
        if sum(w not in self.language.skip_words for w in words) < MIN_WORDS:
            return None
        shares, nearest = self.word_bag.weigh(words)
        belief = shares.get(near, 0.0)
        # the one sentence nearest of all being chatter outweighs the many a little further:
        # "how much beer do we have" is rejected in those words, and near many stock questions
        if not opinion.agrees(refused.confidence, belief) or nearest == OTHER:
            return None
        result, _ = self._parse_tokens(text, tokens, {near}, bar=opinion.floor)
        if result.intent != near or result.actuating or self._name_unread(tokens, result):
            return None
        # a name the reading does not take speaks of something else: "sato lab, how much
        # did we deliver this month" is no question of what was recovered
        read = self._words_of_values(self.lists, set(result.slots.values()))
        if any(t.text in self.naming_words and t.text not in read for t in tokens):
            return None
        result.second_opinion = round(belief, 3)
        return result

    def said_to_assistant(self, text: str) -> str | None:
        """What follows the assistant's name said after a pause, where words were said before
        it to someone else ("kenji, hold the hose, wanwan, stop the transfer"; 「健二さん、
        ホース持ってて、ワンワン、移送止めて」): the words said to wanwan. None where the name
        is not said so, or where what came before says a stop or is a request that acts
        ("stop the transfer, wanwan, what's the level"): that is not read past, as no clause
        of that kind is."""
        names = self._assistant_name
        if names is None:
            return None
        language = self.language
        for found in reversed(list(names.finditer(text))):
            before, rest = text[:found.start()], text[found.end():]
            said_before = self.catalog.normalise(before)
            if not all(t.text in language.skip_words
                       for t in self.catalog.normalise(text[found.start():found.start("name")])):
                continue  # "..., did wanwan log that": the name is not said to wanwan
            if not said_before or all(t.text in language.skip_words for t in said_before) \
                    or not self.catalog.normalise(rest):
                continue  # "hey wanwan, ...": the name opens the request, nothing is apart
            return None if self._requests(text, said_before) else rest
        return None

    def _said_to_wanwan(self, text: str, intents: set[str] | None) -> ParseResult | None:
        """The request said to wanwan by name after words to someone else, understood."""
        rest = self.said_to_assistant(text)
        if rest is None:
            return None
        result = self._parse(rest, intents)
        if result.intent is None or not self._still_sure(result, 0.01):
            return None
        result.text = text
        return result

    @cached_property
    def _assistant_name(self) -> re.Pattern[str] | None:
        """The assistant's names where a pause comes before them (a comma, a full stop), a
        filler or two between ("..., hey wanwan, ..."), and a word ends after them."""
        names = self.language.assistant_names
        if not names:
            return None
        spoken = "|".join(sorted(map(re.escape, names), key=len, reverse=True))
        pause = ",、，;；?？!！。."
        ends = rf"(?=$|[\s{pause}])" if self.language.spaced else ""
        return re.compile(rf"(?<=[{pause}])[^{pause}]{{0,16}}?(?P<name>{spoken}){ends}"
                          rf"[\s{pause}]*", re.IGNORECASE)

    def _name_unread(self, tokens: list[Token], result: ParseResult) -> bool:
        """Whether the sentence says a name of a list the intent takes ("ito", "ppms") that
        its reading did not take: "log twenty litres for ito lab thats for their squid",
        read past "for ito lab thats" as a false start, was a log for sato lab."""
        slots = self.lists_of_slots.get(result.intent, {})  # type: ignore[arg-type]
        taken: dict[str, set[Any]] = {name: set() for name in self.lists_of(result.intent)  # type: ignore[arg-type]
                                      if not self.lists[name].is_range}
        for slot, value in result.slots.items():
            for name in slots.get(slot, ()):
                if name in taken:
                    taken[name].add(value)
        said = {t.text for t in tokens} & self.naming_words
        # a number that is a whole name ("dewar seven"), not one the reading took as an
        # amount: "is dewar seven fuller than dewar four" was dewar four's level
        amounts = {format_number(v) for v in (*result.slots.values(), *result.figures)
                   if isinstance(v, int | float)}
        named = self._words_of_values(taken, set().union(*taken.values()))  # "nm 3": a unit
        said |= {t.text for t in tokens if t.is_number} & self.number_names - amounts - named
        return any(said & self.list_words[name] - self._words_of_values((name,), values)
                   for name, values in taken.items())

    @cached_property
    def number_names(self) -> frozenset[str]:
        """The numbers that are a whole name of a list's value ("seven" of dewar 7; not the
        "one" of "one two", which is twelve)."""
        return frozenset(phrase for name, slot_list in self.lists.items()
                         if not slot_list.is_range for phrase in slot_list.phrases
                         if phrase.startswith(NUMBER_PREFIX) and " " not in phrase)

    def _words_of_values(self, lists: Iterable[str], values: Container[Any]) -> set[str]:
        """The words of the names in ``lists`` that say one of ``values`` (the words a
        reading took for its slots)."""
        return {w for name in lists if not self.lists[name].is_range
                for phrase, value in self.lists[name].phrases.items() if value in values
                for w in phrase.split()}

    def _correction_lost(self, text: str, tokens: list[Token],
                         corrections: list[tuple[int, int]], result: ParseResult,
                         intents: set[str] | None) -> bool:
        """Whether ``result`` may hold what the speaker took back: a correction is said
        after a whole request of the same intent, and what it names was not understood
        ("how much did we recover this week? sorry, class week")."""
        at = self._correction_at(tokens, corrections)
        if at is None:
            return False
        markers = {w for p in self.language.corrections for w in p}
        if all(t.text in markers for t in tokens[:at]):
            return False  # "no no, cancel that": an answer said twice
        return self._parse_tokens(text, tokens[:at], intents)[0].intent == result.intent

    def _still_sure(self, result: ParseResult, cost: float) -> bool:
        """Whether ``result``, a reading of part of the sentence, is sure enough once the
        words read past have cost ``cost``; it is marked as a bent reading either way."""
        result.confidence -= cost
        result.exact = result.closed = False
        return result.confidence >= self.catalog.intents[result.intent].min_confidence  # type: ignore[index]

    def _restart_apart(self, text: str, tokens: list[Token], intents: set[str] | None
                       ) -> ParseResult | None:
        """A false start, begun again with the same word ("stop it, stop the transfer",
        "log forty, log forty five litres"): what was begun again is read past, the earliest
        first. Never a false start that denies ("stop, don't stop the transfer" is not a
        stop) or says a stop not said again ("all stop, all stop" is one): 「7番からの移送
        止めて、移送始めて」 is no start from dewar 7."""
        words = [t.text for t in tokens]
        tries = RESTART_TRIES
        for start in range(len(tokens) - 2):
            if tokens[start].is_number:
                continue  # "from 1 2 into magnet number 2": numbers repeat without a restart
            for again in range(start + 1, min(start + RESTART_WORDS, len(tokens) - 1) + 1):
                if words[again] != words[start] or self.language.negating(
                        tokens[start:again]) or any(
                        w in self.language.stop_words and w not in words[again:]
                        for w in words[start:again]):
                    continue
                if again == start + 1 and words[start] in self.language.function_words:
                    continue  # a particle said twice is grammar: 「曇ってて」 is 曇っ + て + て
                if tries == 0:
                    return None  # each try is a whole parse: a failing sentence stays cheap
                tries -= 1
                result, _ = self._parse_tokens(text, tokens[:start] + tokens[again:], intents)
                if result.intent is None:
                    continue
                if self._still_sure(result, 0.01 * (again - start)):
                    return result
        return None

    def _place_apart(self, text: str, tokens: list[Token], intents: set[str] | None
                     ) -> ParseResult | None:
        """Where the thing asked about is, said of a request that takes no place ("what's the
        level of dewar fifteen in the recovery room", 「回収室のガスバッグは？」): a name of a
        list marked ``place``, with the function words on one side of it ("in", の), is read
        past. Never for a request that acts: its read-back would not say the place dropped."""
        words = [t.text for t in tokens]
        plain = self.language.function_words
        for start, end, list_name in self._place_names(words):
            before, after = start, end  # the preposition before ("in the"), the particle after (の)
            while before > 0 and start - before < PLACE_FUNCTION_WORDS \
                    and words[before - 1] in plain:
                before -= 1
            while after < len(words) and after - end < PLACE_FUNCTION_WORDS \
                    and words[after] in plain:
                after += 1
            for lo, hi in dict.fromkeys(((before, end), (start, after))):
                rest = tokens[:lo] + tokens[hi:]
                if len(rest) < 2:
                    continue
                result, _ = self._parse_tokens(text, rest, intents)
                if result.intent is None or list_name in self.lists_of(result.intent):
                    continue
                if self.catalog.intents[result.intent].actuating:
                    continue
                if self._still_sure(result, 0.01 * (hi - lo)):
                    return result
        return None

    def _described_apart(self, text: str, tokens: list[Token], commas: set[int],
                         intents: set[str] | None) -> ParseResult | None:
        """A thing described, not named ("what's the level in the dewar on the scale", "stop
        the one that's running", 「はかりの上のデュワーの液面は？」): which one is not known,
        so the description is read as the language's ``thing_read_as`` ("it"; read past where
        it has none) and the request taken with its slot open, for the dialogue to ask ("Which
        dewar?"). A description says one of the language's ``describing_words`` ("on", "by",
        "spare"; 「の」) beside the thing, or none is a description ("how much does a dewar
        cost"), and ends at a comma, the end or a word that says little; what is read past
        names no number, nothing of a list the request takes, and denies nothing."""
        language = self.language
        things, describing = language.thing_words, language.describing_words
        if not things:
            return None
        stand_in = [Token(language.thing_read_as)] if language.thing_read_as else []
        for at, token in enumerate(tokens):
            thing = token.text in things or (token.is_number and token.source in things)
            if not thing or (at + 1 < len(tokens) and tokens[at + 1].is_number):
                continue  # "dewar seven" is named
            for size in range(2, DESCRIBED_WORDS + 1):
                for start in range(max(at - size + 1, 0), at + 1):
                    end = start + size
                    # what describes a thing comes before it in Japanese (「はかりの上の
                    # デュワー」), after it in English, a word such as "spare" apart
                    if end > len(tokens) or ((end != at + 1) if language.described_before
                                             else (start < at - 1)):
                        continue
                    if any(c in commas for c in range(start + 1, end)) or (
                            end < len(tokens) and end not in commas
                            and not language.says_little(tokens[end].text)):
                        continue  # it ends at a comma, the end, or before a word saying little
                    beside = tokens[at - 1:at] if language.described_before or start < at \
                        else tokens[at + 1:at + 2]
                    if not any(t.text in describing for t in beside):
                        continue
                    described = tokens[start:end]
                    said = tokens[:start] + tokens[end:]
                    if len(said) < 2 or all(language.says_little(t.text) for t in said) \
                            or language.negating(described) \
                            or any(t.is_number for t in described if t is not token):
                        continue
                    result, _ = self._parse_tokens(text, tokens[:start] + stand_in + tokens[end:],
                                                   intents)
                    if result.intent is None or self.catalog.intents[result.intent].ends_turn:
                        continue  # an answer to the dialogue names no thing: "that's the
                        # last dewar sorted, cheers" is no "that's it", a cancel
                    if any(t.text in self._names_of(result.intent) for t in described):
                        continue  # a name of the request's own lists is never read past
                    if self._still_sure(result, 0.01 * size):
                        return result
        return None

    def _place_names(self, words: list[str]) -> list[tuple[int, int, str]]:
        """(start, end, list) of each whole name of a ``place`` list in ``words``, the
        longest at each start (looked up in the list's phrases, as the exact match does)."""
        found = []
        for name, slot_list in self.lists.items():
            if not slot_list.place:
                continue
            for start in range(len(words)):
                size = next((k for k in range(min(slot_list.max_words, len(words) - start), 0, -1)
                             if " ".join(words[start:start + k]) in slot_list.phrases), 0)
                if size:
                    found.append((start, start + size, name))
        return found

    def corrects_itself(self, text: str) -> bool:
        """Whether ``text`` takes back something it said ("dewar four? No, dew three"), even
        where what the correction names is misheard: a recogniser's grammar pass, which
        knows no corrections, must not write the sentence as first said."""
        tokens = self.catalog.normalise(text)
        return self._correction_at(tokens, self._corrections_said(tokens)) is not None

    def _corrections_said(self, tokens: list[Token]) -> list[tuple[int, int]]:
        """(where, how many words) of each of the language's ``corrections`` said after
        something and before something, first to last."""
        words = [t.text for t in tokens]
        said = []
        for at in range(1, len(tokens) - 1):
            size = max((self._said_as(words, at, p) for p in self.language.corrections),
                       default=0)
            if size and at + size < len(tokens):
                said.append((at, size))
        return said

    def _correction_at(self, tokens: list[Token], corrections: list[tuple[int, int]]
                       ) -> int | None:
        """Where the first of ``corrections`` (``_corrections_said``) is; not "dewar no 12",
        where "no" is the short for number."""
        for at, size in corrections:
            if not (tokens[at + size].is_number and tokens[at - 1].text in self.known_words):
                return at
        return None

    def _corrected(self, tokens: list[Token], corrections: list[tuple[int, int]]
                   ) -> list[Token] | None:
        """The sentence as meant, where a word said was corrected after one of the language's
        ``corrections`` ("dewar seven, no, twelve"; "tanaka lab, I mean sato lab"): the
        correction names a thing of the same kind as one said just before it (the same word,
        a number for a number, a name of the same list for a name), and from
        that thing to the end of the correction is read past. The last correction first;
        None if none."""
        for at, size in reversed(corrections):
            fix = tokens[at + size]
            kinds = [] if fix.is_number else [n for n, w in self.list_words.items()
                                              if fix.text in w]
            for said in range(at - 1, max(at - CORRECTED_WORDS, 0) - 1, -1):
                old = tokens[said]
                if old.text == fix.text or self._sounds_as_begun(fix.text, old.text):
                    return tokens[:said] + tokens[at + size:]
                between = [t.text for t in tokens[said + 1:at]]
                restated = [t.text for t in tokens[at + size + 1:at + size + 1 + len(between)]]
                if any(w not in self.named_words for w in between) and between != restated:
                    # a number or name is corrected at once ("fifty litres, sorry, fifteen")
                    # or said again in its words ("start the compressor, I mean stop the
                    # compressor"); "dewar no 12" is dewar number twelve
                    continue
                if old.is_number and fix.is_number:
                    return tokens[:said] + tokens[at + size:]
                kind = next((n for n in kinds if old.text in self.list_words[n]), None)
                if kind is not None:  # the whole name corrected ("transfer bay" for "recovery")
                    while said > 0 and tokens[said - 1].text in self.list_words[kind]:
                        said -= 1
                    return tokens[:said] + tokens[at + size:]
        return None

    def _sounds_as_begun(self, heard: str, word: str) -> bool:
        """Whether ``heard`` is ``word`` said in part or misheard ("dew" for "dewar"): a
        correction that repeats a word is heard no better than the word was."""
        if heard.startswith("#") or word.startswith("#") or len(heard) < 3:
            return False
        return word.startswith(heard) or self.language.key(heard) == self.language.key(word)

    def _clause_apart(self, text: str, tokens: list[Token], commas: set[int],
                      intents: set[str] | None) -> ParseResult | None:
        """A clause of reason or time said before a question ("for the monthly report I need
        last month's recovery", "before I order, what's our liquid stock"), known by the
        word it opens with or the words it ends with (who asks: "sato lab wants to know
        ...", why: 「報告書に使うけえ、」) or a comma after it, or said after any request
        ("stop the compressor, the bag is empty", "start the compressor because ..."), known
        by a comma or the word it opens with: the request is understood alone, the shortest
        clause first, if the clause may be read past (:meth:`_clause_read_past`). ``commas``:
        :meth:`_comma_cuts`."""
        opened = tokens[0].text in self.language.clause_openers
        words = [t.text for t in tokens]
        marked = self._marked_clauses(tokens, commas)
        dismissing = any(self._said_as(words, 0, p) for p in self.language.dismissals)
        plain = self._says_nothing
        # the words of the clause that say something count: a language that cuts its
        # particles apart (「戻ってきたんだけど、」) has more words to a clause
        said = int(tokens[0].text not in plain)
        for cut in range(2, len(tokens) - 1):
            said += tokens[cut - 1].text not in plain
            if said > CLAUSE_WORDS:
                break
            clause, rest = tokens[:cut], tokens[cut:]
            ending = self._clause_ending(words, cut)
            ended = ending > 0
            # set aside by a phrase that opens the sentence ("never mind the level, ...") or
            # closes the clause (「圧力じゃなくて、…」)
            dismissed = cut in commas and (dismissing or any(
                self._said_as(words, cut, p, backwards=True) for p in self.language.dismissals))
            if not opened and cut not in commas and not ended and not dismissed:
                continue
            # a clause a comma closes that names things ("tanaka lab called about their
            # magnet, ..."): before a question only, which reads none of them (below)
            naming = not (opened or ended or dismissed or cut in marked)
            if self.language.negating(clause) and not dismissed:
                return None  # "since it isn't empty ...": the clause says something
            result, _ = self._parse_tokens(text, rest, intents)
            if ended and (result.intent is None or result.confidence < SURE_ENOUGH):
                # who asks, then the question, then why or when ("they want to know the level
                # in dewar four before they come over"): the question alone is read past both
                inner = self._request_before_clause(
                    text, rest, {c - cut for c in commas if c > cut}, intents)
                if inner is not None and self.catalog.intents[inner.intent].question:
                    result = inner
            if dismissed and result.intent is not None \
                    and self.catalog.intents[result.intent].question:
                if self._still_sure(result, 0.01 * cut):  # "never mind the level, what's ..."
                    return result
                continue
            if result.intent is None or not self._clause_read_past(
                    clause, result, after=False, ending=ending):
                continue
            if self._asks(clause) and not self._asks(rest):
                continue  # "what's the pressure on, dewar four": the rest is the clause's topic
            if naming and not (self.catalog.intents[result.intent].question
                               and result.confidence >= SURE_ENOUGH):
                continue
            # before any other request, a request of more than a word after a clause that a
            # comma closes or that ends as a reason (「空だから、」); before one that acts or
            # answers a read-back, only a reason that says it is one ("since the bag is full,
            # ..."): "because I said yes" confirms nothing, while "we're all done here, stop the
            # transfer" stops it
            intent = self.catalog.intents[result.intent]
            says_why = ended or (cut in commas and (
                opened or not (intent.actuating or intent.ends_turn)))
            if not intent.question and not (
                    says_why and len(rest) >= 2 and result.confidence >= SURE_ENOUGH):
                continue
            if intent.question and self._requests(text, clause):
                continue  # 「圧縮機止めて、バッグがあふれそう」: the request, and why
            if self._still_sure(result, 0.01 * cut):  # as a lead-in's words cost
                return result
        return self._request_before_clause(text, tokens, commas, intents)

    def _request_before_clause(self, text: str, tokens: list[Token], commas: set[int],
                               intents: set[str] | None) -> ParseResult | None:
        """A request said before a clause that a comma or a word that only opens clauses
        marks ("stop the compressor, the bag is empty"; "what pressure is the storage at
        before we open it up"): the request understood alone, if the clause may be read past
        (:meth:`_clause_read_past`)."""
        words = [t.text for t in tokens]
        language = self.language
        openers, said_alone = self._clause_after_openers, self._said_alone
        for cut in range(len(tokens) - 1, max(len(tokens) - CLAUSE_WORDS, 1) - 1, -1):
            if cut not in commas and words[cut] not in openers:
                continue
            rest, clause = tokens[:cut], tokens[cut:]
            if all(t.text in said_alone for t in rest):
                continue  # "sorry, I dropped the glove", "no, I said dewar twelve"
            result, _ = self._parse_tokens(text, rest, intents)
            # a request read tolerantly and a clause read past are one guess too many ("we
            # stopped the transfer because the magnet was full" reports a stop); a question
            # less sure, where a word that only opens clauses says where its own ends ("what
            # pressure is the storage at before we open it up"): a wrong answer is only heard
            opened_here = cut not in commas
            if result.intent is None or result.confidence < (
                    QUESTION_SURE if opened_here and self.catalog.intents[result.intent].question
                    else SURE_ENOUGH) \
                    or not self._clause_read_past(clause, result, after=True):
                continue
            if self._requests(text, clause):
                continue  # "what's the level in dewar seven, stop the transfer": not read past
            if not self.catalog.intents[result.intent].question and (
                    len(self._trim(rest)) < 2 or any(
                        self._said_as(words, cut, p)
                        for p in (*language.lead_ins, *language.corrections))):
                # an answer of a word and more said (「はい、入ってます」: it is in), or a
                # pause ("start the transfer, hang on"; "yes please, wait")
                continue
            if self._still_sure(result, 0.01 * len(clause)):
                return result
        return None

    def _asked_whether(self, text: str, tokens: list[Token], intents: set[str] | None
                       ) -> ParseResult | None:
        """A yes-or-no question put in the order of a statement after who asks and one of the
        language's ``whether_words`` ("they're asking if the transfer is finished yet", "the
        lab asks whether the bag is nearly full", "can you tell me if the compressor is on"):
        read as the question it reports, its first question opener put first ("is the
        transfer finished yet"). Only a question; never where the sentence denies ("they
        don't know if ..."); what comes before may be read past as a clause before a
        question is (:meth:`_clause_read_past`)."""
        language = self.language
        words = [t.text for t in tokens]
        # most sentences refused say no whether word: nothing to trim or look for then
        if language.whether_words.isdisjoint(words) or language.negating(tokens):
            return None
        lead = self._lead_in_end(tokens, self._trim(tokens))
        for at in range(1, min(len(tokens) - 2, CLAUSE_WORDS + 1)):
            if words[at] not in language.whether_words:
                continue
            ending = self._clause_ending(words, at)
            if not (ending or at == lead):
                continue
            said = tokens[at + 1:]
            opener = next((i for i, t in enumerate(said)
                           if t.text in language.question_openers), None)
            if not opener:  # none, or already first: no statement's order to undo
                continue
            asked = [said[opener], *said[:opener], *said[opener + 1:]]
            result, _ = self._parse_tokens(text, asked, intents)
            if result.intent is None or not self.catalog.intents[result.intent].question:
                continue
            if ending and not self._clause_read_past(tokens[:at], result, after=False,
                                                     ending=ending):
                continue
            if self._still_sure(result, 0.01 * (at + 1)):  # as a lead-in's words cost
                return result
        return None

    def _clause_ending(self, words: list[str], cut: int) -> int:
        """How many words of one of the language's ``clause_endings`` end ``words[:cut]``
        (「…出すんだけど」: けど), the longest; 0 where none does."""
        return max((len(p) for p in self.language.clause_endings
                    if tuple(words[cut - len(p):cut]) == p), default=0)

    def _told_then_asked(self, text: str, tokens: list[Token], commas: set[int],
                         intents: set[str] | None) -> ParseResult | None:
        """A request told as what is about to be done, then asked for bare after a pause
        ("we'll fill the nmr from dewar four, start the transfer"; 「7番からPPMSに入れるから、
        移送始めて」): the same request said twice. What is asked is understood alone, a request
        that is no question; what was told, its reason's ending read past, is read as that
        request only, and sure as an answer to a read-back (the asking says which request
        it is); it names all the asking names, and neither denies, says a stop, nor sets a
        condition or another day. The telling's reading is taken: it holds what the asking
        leaves out."""
        language = self.language
        words = [t.text for t in tokens]
        no_telling = (language.condition_words | language.later_words | language.past_words
                      | language.stop_words)
        for cut in sorted(commas):
            if not 2 <= cut <= len(tokens) - 1:
                continue
            told, asked = tokens[:cut], tokens[cut:]
            told = told[:len(told) - self._clause_ending(words, cut)]
            if len(told) < 2 or language.negating(tokens) or any(
                    t.text in no_telling for t in told):
                continue
            request, _ = self._parse_tokens(text, asked, intents)
            if request.intent is None or request.confidence < SURE_ENOUGH \
                    or self.catalog.intents[request.intent].question:
                continue
            plan, _ = self._parse_tokens(text, told, {request.intent}, bar=TOLD_SURE)
            if plan.intent is None or not request.slots.items() <= plan.slots.items():
                continue
            plan.confidence = request.confidence
            if self._still_sure(plan, 0.01 * len(asked)):
                return plan
        return None

    def _clause_read_past(self, clause: list[Token], result: ParseResult, after: bool,
                          ending: int = 0) -> bool:
        """Whether ``clause``, said with the request ``result`` understood without it, only
        says why or when: it names nothing the request would take otherwise than the request
        does (a number for its amounts, a name of its lists that it did not take), said
        ``after`` the request it neither asks ("dewar seven, how is the gas bag") nor makes
        it a condition ("what's the level in dewar four when the fill is done"), and unless
        the request is a question (which changes nothing), it names nothing of the lab at
        all, and neither denies nor makes the request one for later ("start the compressor,
        just kidding"; "no, I said dewar twelve"). The last ``ending`` words, the clause
        ending that marks it, name nothing (から of 「比べたいから、」 is also the から of the
        period 「今年に入ってから」)."""
        language = self.language
        naming = clause[:len(clause) - ending]  # the words that may name something
        question = self.catalog.intents[result.intent].question  # type: ignore[index]
        lists = self.lists_of(result.intent)  # type: ignore[arg-type]
        if any(t.is_number for t in naming) and (
                not question or any(self.lists[n].is_range for n in lists)):
            return False
        taken = set(result.slots.values())
        named = set(self._names_of(result.intent))  # type: ignore[arg-type]
        if not question:
            named |= self.naming_words
        restated = self._words_of_values(lists, taken)
        if any(t.text in self.number_names - restated for t in naming):
            # a thing named by its number is what the rest is about, not why it is said:
            # 「7番は出すんだけど、どのくらい入ってる？」 is no question of the whole stock
            return False
        plain = language.function_words  # に of 「今年に入ってから」 names nothing alone
        if any(t.text in named and t.text not in restated | plain for t in naming):
            return False
        asks = self._asks(clause)
        if (after or not question) and (asks or any(t.text in language.condition_words
                                                    for t in clause)):
            return False  # "dewar seven, how is the gas bag" asks about the bag
        if question:
            return True
        not_now = language.later_words | language.past_words
        return not (language.negating(clause) or any(t.text in not_now for t in clause))

    def _requests(self, text: str, clause: list[Token], *, of_any_kind: bool = False) -> bool:
        """Whether ``clause`` says a stop or is alone a request that acts: no clause of
        reason or time to read past before a question, but a request of its own ("stop the
        transfer, what's the level in dewar seven" must not leave it running). An answer or
        a word said alone ("no no, the oxygen in the bay") is read past as before.
        ``of_any_kind``: any request that is no question counts too, as what is told of a
        thing before a question about it ("dewar seven, log fifty litres, what's its level":
        no story, and the question is not answered with the request left unsaid)."""
        if any(t.text in self.language.stop_words for t in clause):
            return True
        alone, _ = self._parse_tokens(text, clause, None)
        if alone.intent is None:
            return False
        intent = self.catalog.intents[alone.intent]
        return intent.actuating or (of_any_kind and not intent.question)

    def _asks(self, words: list[Token]) -> bool:
        """Whether ``words`` open as a question or hold a question word."""
        language = self.language
        return bool(words) and (words[0].text in language.question_openers or any(
            t.text in language.question_words for t in words))

    @cached_property
    def _clause_after_openers(self) -> frozenset[str]:
        """The words that open a clause said after a request: a clause opener that only
        opens clauses ("because", not "at": "the balloon at the party popped")."""
        return self.language.clause_openers - self.language.function_words

    @cached_property
    def _said_alone(self) -> frozenset[str]:
        """The lead-ins, tail-outs and corrections of one word ("sorry", "no", "please"):
        said alone before a clause, they are no request it is said with."""
        language = self.language
        return frozenset(p[0] for p in (*language.lead_ins, *language.tail_outs,
                                        *language.corrections) if len(p) == 1)

    def _marked_clauses(self, tokens: list[Token], commas: set[int]) -> set[int]:
        """Where a comma closes a clause that names nothing the catalogue knows: a clause
        whose own words were misheard ("報告書に使う経営、" for 「使うけえ、」) is still
        known by the comma a recogniser or a typist put after it. A clause with a number or
        a name in it may carry the question's dewar or lab, and is not read past this way."""
        plain = self.language.function_words  # "out" of "sent out" names nothing alone
        return {cut for cut in commas if not any(
            t.is_number or (t.text in self.named_words and t.text not in plain)
            for t in tokens[:cut])}

    def _comma_cuts(self, text: str, tokens: list[Token]) -> set[int]:
        """How many words come before each comma of ``text`` that has words on both sides."""
        return {cut for cut in self.clause_breaks(text) if 0 < cut < len(tokens)}

    def clause_breaks(self, text: str) -> set[int]:
        """How many words come before each mark in ``text`` that closes a clause (a comma, a
        full stop, a question mark)."""
        return {len(self.catalog.normalise(text[:mark.start()]))
                for mark in _CLAUSE_COMMA.finditer(text)}

    def _pronoun_apart(self, text: str, tokens: list[Token], commas: set[int],
                       intents: set[str] | None) -> ParseResult | None:
        """A thing named apart from its clause and stood for there by a pronoun ("the
        compressor, switch it off", "the alarm, I've seen it", "undo that, the last entry"):
        the clause is understood with the thing in the pronoun's place. The thing comes
        first and the clause opens as a sentence of the catalogue does, or a comma sets the
        thing apart; it is more than a pronoun or a filler and denies nothing."""
        pronouns = self.language.pronouns
        if not pronouns or not any(t.text in pronouns for t in tokens):
            return None
        for cut in range(1, min(TOPIC_WORDS, len(tokens) - 2) + 1):
            for topic, clause, comma in ((tokens[:cut], tokens[cut:], cut),
                                         (tokens[-cut:], tokens[:-cut], len(tokens) - cut)):
                if comma not in commas and not (comma == cut
                                                and clause[0].text in self.root.words):
                    continue
                if self.language.negating(topic) or all(
                        t.text in pronouns or t.text in self.language.skip_words for t in topic):
                    continue
                said = [i for i, t in enumerate(clause) if t.text in pronouns]
                if len(said) != 1:
                    continue  # "put it in it": which one the thing is, is not known
                at = said[0]
                result, _ = self._parse_tokens(text, clause[:at] + topic + clause[at + 1:],
                                               intents)
                if result.intent is not None and self._still_sure(result, 0.02 * cut):
                    return result
        return None

    def _parts_swapped(self, text: str, tokens: list[Token], commas: set[int],
                       intents: set[str] | None) -> ParseResult | None:
        """A request said in two parts the other way round, a comma between them: what it is
        about first, then what is asked ("into the nmr from dewar twelve, start the transfer",
        "up to eighty percent, fill magnet two from dewar seven"). Read in the order the
        catalogue says it, it must be a sure reading; the part put first denies nothing, is
        more than fillers and sets no condition ("if the bag is full, start the compressor"),
        and the part after the comma is more than an aside ("yes, hang on")."""
        language = self.language
        for cut in sorted(commas):
            front, back = tokens[:cut], tokens[cut:]
            if language.negating(front) or all(
                    t.text in self._said_alone or t.text in language.skip_words for t in front):
                continue
            if any(t.text in language.condition_words for t in front):
                continue
            trimmed = self._trim(back + front)
            if trimmed and any(trimmed[0] is t for t in front):
                continue  # what came after the comma is only an aside ("yes, hang on")
            result, _ = self._parse_tokens(text, back + front, intents)
            if result.intent is not None and result.confidence >= SURE_ENOUGH \
                    and self._still_sure(result, 0.01 * len(front)):
                return result
        return None

    def _duty_apart(self, text: str, tokens: list[Token], intents: set[str] | None
                    ) -> ParseResult | None:
        """A request said as what needs doing, the thing first ("the compressor needs to be
        switched on", "the ppms needs filling from dewar three", "the last entry has to be
        deleted"): read with the thing after the first word that follows the first of the
        language's ``duty_markers`` (or after all those words), the marker read past. What
        denies, sets a condition or is for later stays in the sentence and is refused as ever."""
        words = [t.text for t in tokens]
        for at in range(1, len(tokens) - 1):
            size = max((self._said_as(words, at, marker) for marker in self.language.duty_markers),
                       default=0)
            if not size:
                continue
            thing, doing = tokens[:at], tokens[at + size:]
            if not doing:
                return None
            # the participle read as the catalogue's shortest word of its stem ("switched" as
            # "switch", "stopped" as "stop" though "stopped" is a word of ours too)
            verb = doing[0].text
            stem = self.language.stem(verb)
            catalogue = min((w for w, _ in self._similar_words(verb)
                             if self.language.stem(w) == stem), key=len, default=verb)
            doing = [replace(doing[0], text=catalogue), *doing[1:]]
            for said in (doing[:1] + thing + doing[1:], doing + thing):
                result, _ = self._parse_tokens(text, said, intents)
                if result.intent is not None and self._still_sure(result, 0.01):
                    return result
            return None
        return None

    @cached_property
    def named_words(self) -> frozenset[str]:
        """Every word of every list's names (labs, rooms, phases...): what a clause must not
        hold to be read past."""
        return frozenset(w for name, values in self.lists.items() if not values.is_range
                         for w in self.list_words[name])

    @cached_property
    def naming_words(self) -> frozenset[str]:
        """The words of one list's values that no template says ("sato", "ppms"; not "lab"
        or "start", nor the "l" of "l h e" and of litres): a clause with one speaks of
        something in the lab."""
        lists_of = Counter(w for name, words in self.list_words.items()
                           if not self.lists[name].is_range for w in words)
        return frozenset(w for w, count in lists_of.items()
                         if count == 1 and w not in self.vocab_ids
                         and w not in self.language.function_words
                         and not w.startswith(NUMBER_PREFIX))

    def _topic_apart(self, text: str, tokens: list[Token], intent: str) -> ParseResult | None:
        """A topic said before or after the question ("dewar fifteen, is it empty yet",
        "how full is it, dewar twelve"): the rest is understood alone, and the topic is read
        as the answer to the slot it leaves open, as the answer to "Which dewar?" would be.
        Only when the sentence as a whole is not understood, and only for the intent it came
        nearest to, whose lists must name something in the topic (it stays cheap)."""
        lists = self.slot_lists(intent)
        names = frozenset(w for name in set(lists.values()) if not self.lists[name].is_range
                          for w in self.list_words[name])
        # a story told of the topic before its question: only before a question
        commas = self._comma_cuts(text, tokens) if self.catalog.intents[intent].question \
            else set()
        for cut in range(1, min(TOPIC_WORDS, len(tokens) - 2) + 1):
            for topic, rest, told in ((tokens[:cut], tokens[cut:], None),
                                      (tokens[-cut:], tokens[:-cut], None),
                                      *self._story_about(tokens, commas, cut)):
                if not any(t.text in names for t in topic):
                    continue  # it names nothing this intent asks about
                if self.language.negating(topic):
                    continue  # "not dewar seven": a topic that denies is no topic
                result, _ = self._parse_tokens(text, rest, {intent})
                if result.intent is None:
                    continue
                open_slots = [slot for slot, name in lists.items() if slot not in result.slots
                              and not self.lists[name].is_range]
                said = {t.text for t in topic}
                for slot in open_slots:
                    found = self.answer(" ".join(t.text for t in topic), intent, slot,
                                        result.slots)
                    # a topic says a word of the name it answers with: 「もう一回言うね、…」
                    # is no topic whose 回 sounds like ガス (its 1 is a word of dewar "one two")
                    if found and set(found) == {slot} and said & self._words_of_values(
                            set(lists.values()), set(found.values())):
                        if self._time_of_day(tokens, set(), frozenset(), within=topic):
                            break  # "start the transfer at three": a time is no dewar apart
                        if told is not None and self._requests(text, told, of_any_kind=True):
                            break  # "dewar seven, stop, what's the level": no story told
                        result.slots = {**result.slots, **found}
                        if self._still_sure(result, 0.02 * cut):  # a topic apart bends more
                            return result
        return None

    def _story_about(self, tokens: list[Token], commas: set[int], cut: int
                     ) -> list[tuple[list[Token], list[Token], list[Token]]]:
        """A thing named first, something told of it and a comma, then a question about it
        that leaves it out or stands for it by a pronoun ("dewar four sounds like it's
        venting, what's its pressure", 「15番が倒れた、液面は今どう？」), or the thing named
        last before the comma ("I'll take dewar fifteen, what's its pressure like"): ``cut``
        words as the topic, what follows the comma as the question, and what is told
        (the caller reads a story past only if it says no stop and is no request: "dewar
        seven, stop, what's the level" must not leave a transfer running). What is
        told neither asks nor sets a condition. ``commas``: :meth:`_comma_cuts`, given only
        for a question (what is told of a thing never says what to do with it)."""
        language = self.language
        stories = []
        for comma in sorted(commas):
            if comma <= cut or comma > CLAUSE_WORDS or comma > len(tokens) - 2:
                continue
            # the thing named first ("dewar four sounds like it's venting, ...") or last ("I'll
            # take dewar fifteen, what's its pressure like") in what is told; named last, it is
            # part of what is told ("log fifty litres from dewar seven, ..." is a request)
            for topic, told in ((tokens[:cut], tokens[cut:comma]),
                                (tokens[comma - cut:comma], tokens[:comma])):
                if self._asks(told) or any(t.text in language.condition_words for t in told):
                    continue
                stories.append((topic, tokens[comma:], told))
        return stories

    def _parse_tokens(self, text: str, tokens: list[Token], intents: set[str] | None,
                      *, bar: float | None = None) -> tuple[ParseResult, list[str]]:
        """The result, and the intents that came nearest, best first. ``bar``: how sure a
        reading must be, where the intent is known otherwise (the intent's own bar if
        lower)."""
        candidates = self._exact(tokens, intents)
        trimmed = self._trim(tokens)
        # the lead-in alone read past, then the tail-out too: a tail-out may be a word the
        # template says (「…移送お願い」, お願い trimmed as a tail-out after 「じゃあ」)
        lead = self._lead_in_end(tokens, trimmed)
        readings = [(tokens, 0)]
        for read in (tokens[lead:], trimmed):
            if read != readings[-1][0]:
                readings.append((read, len(tokens) - len(read)))
        for words, bent in readings:
            if candidates or not words:
                break
            if bent:  # the lead-in alone read past: a filler a template says stays ("i just made")
                for cand in self._exact(words, intents):
                    cand.confidence = 1.0 - 0.01 * bent
                    cand.exact = False
                    candidates.append(cand)
                if candidates:
                    break
            kept = [t for t in words if t.text not in self.language.skip_words]
            if kept and (len(kept) < len(tokens)):
                skipped = bent + len(words) - len(kept)
                for cand in self._exact(kept, intents):
                    cand.confidence = 1.0 - 0.01 * skipped
                    cand.exact = False
                    candidates.append(cand)
        if not candidates:
            candidates = self._tolerant(tokens, intents)
            sure = max((c.confidence for c in candidates), default=0.0) >= SURE_ENOUGH
            if trimmed and len(trimmed) < len(tokens) and not sure:
                # a lead-in read past costs a little, as skipped words do
                for cand in self._tolerant(trimmed, intents):
                    cand.confidence -= 0.01 * (len(tokens) - len(trimmed))
                    candidates.append(cand)
        candidates = [c for c in candidates if self._figure_read(c, trimmed)]
        if not candidates:
            return ParseResult(text, None, reason="no intent fits"), []
        result = self._decide(text, tokens, trimmed, candidates, bar)
        nearest = list(dict.fromkeys(c.intent.name for c in candidates))  # sorted by _decide
        return result, nearest

    def _trim(self, tokens: list[Token]) -> list[Token]:
        """Without the lead-ins and tail-outs of the language ("can you ...", "... for me")."""
        words = [t.text for t in tokens]
        start, end = 0, len(words)
        lead_ins, tail_outs = self._phrases_by_letter
        changed = True
        while changed and start < end:
            changed = False
            for phrase in lead_ins.get(words[start][:1], ()):
                size = self._said_as(words, start, phrase)
                if size and start + size < end:
                    start += size
                    changed = True
                    break
            for phrase in tail_outs.get(words[end - 1][-1:], ()):
                size = self._said_as(words, end, phrase, backwards=True)
                if size and end - size > start:
                    end -= size
                    changed = True
                    break
        return tokens[start:end]

    @staticmethod
    def _lead_in_end(tokens: list[Token], trimmed: list[Token]) -> int:
        """Where the words ``_trim`` kept of ``tokens`` begin: after the lead-ins."""
        return next((i for i, t in enumerate(tokens) if trimmed and t is trimmed[0]), 0)

    @cached_property
    def _phrases_by_letter(self) -> tuple[dict[str, tuple[tuple[str, ...], ...]],
                                          dict[str, tuple[tuple[str, ...], ...]]]:
        """The lead-ins by their first letter and the tail-outs by their last, each longest
        first: a phrase is said only where its letters are (``_said_as``), and a sentence is
        trimmed many times over as its parts are read (the lists run to hundreds once their
        templates are expanded)."""
        def by(phrases: tuple[tuple[str, ...], ...], at: int) -> dict[str, tuple]:
            found: dict[str, list[tuple[str, ...]]] = {}
            for phrase in phrases:
                found.setdefault("".join(phrase)[at], []).append(phrase)
            return {letter: tuple(group) for letter, group in found.items()}

        return by(self.language.lead_ins, 0), by(self.language.tail_outs, -1)

    def _said_as(self, words: list[str], at: int, phrase: tuple[str, ...],
                 backwards: bool = False) -> int:
        """How many words from ``at`` (or before it) say ``phrase``; 0 if they do not. Where
        a language writes no spaces, the analyser may cut a phrase in a sentence otherwise
        than alone (えーと is one word alone, えー + と before さっき): the letters decide."""
        size = len(phrase)
        if (words[max(at - size, 0):at] if backwards else words[at:at + size]) == list(phrase):
            return size
        if self.language.spaced:
            return 0
        said = "".join(phrase)
        for size in range(1, len(said) + 1):
            run = words[max(at - size, 0):at] if backwards else words[at:at + size]
            if len(run) < size or len("".join(run)) > len(said):
                break
            if "".join(run) == said:
                return size
        return 0

    # -- exact -------------------------------------------------------------------------------
    def _exact(self, tokens: list[Token], intents: set[str] | None) -> list[_Candidate]:
        found: list[_Candidate] = []
        n = len(tokens)

        def walk(node: GrammarNode, pos: int, bound: list[tuple[SlotRef, SlotValue]],
                 words: tuple[str, ...]) -> None:
            if pos == n:
                if node.final:
                    template = self._template_at[id(node)]
                    intent = self._intent_of[id(template)]
                    if intents is None or intent.name in intents:
                        found.append(_Candidate(intent, template, list(bound), 1.0, True, words,
                                                len(words) + len(bound)))
                return
            token = tokens[pos]
            for child in node.words.get(token.text, ()):
                walk(child, pos + 1, bound, (*words, token.text))
            for ref, children in node.slots.items():
                slot_list = self.lists[ref.list_name]
                if slot_list.is_range:
                    if token.is_number:
                        bound.append((ref, token.value))  # type: ignore[arg-type]
                        for child in children:
                            walk(child, pos + 1, bound, words)
                        bound.pop()
                    continue
                for k in range(1, min(slot_list.max_words, n - pos) + 1):
                    value = slot_list.phrases.get(" ".join(t.text for t in tokens[pos:pos + k]))
                    if value is not None:
                        bound.append((ref, value))
                        for child in children:
                            walk(child, pos + k, bound, words)
                        bound.pop()

        walk(self.root, 0, [], ())
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
                                               processor=self._by_sound, score_cutoff=60,
                                               limit=6):
            out.setdefault(match, score / 100)
        key = self.language.key(word)
        if len(self.language.sound(word)) >= 3 and len(key) >= 2:
            for match in self.vocab_by_key.get(key, ()):
                out[match] = max(out.get(match, 0.0), 0.85)
        return tuple(out.items())

    def _word_sim_uncached(self, a: str, b: str) -> float:
        if a == b:
            return 1.0
        if a.startswith("#") or b.startswith("#"):
            return 0.0
        if self._by_sound is not None:  # compared as they sound, not as they are written
            spelled = spelled_as_said(a) or spelled_as_said(b)
            a, b = self._by_sound(a), self._by_sound(b)
            if a == b:  # the same word spelled by its sound, or another that reads alike
                return 1.0 if spelled else HOMOPHONE_SIM
        sim = fuzz.ratio(a, b) / 100
        if len(a) >= 4 and len(b) >= 4 and self.language.stem(a) == self.language.stem(b):
            sim = max(sim, 0.85)  # "entries" for "entry", "logs" for "log"
        if len(a) >= 3 and len(b) >= 3:
            key = phonetic_key(a)
            # two sound classes say little ("sato" and "got" share them): then the words
            # must also begin alike; and nothing at all in a language compared by its kana's
            # sound, whose vowels carry the word: つ, 月, 時計, 登場 and 停止 are all t-s
            # ("tsu", "tsuki", "tokei", "toujou", "teishi"), and chatter with 月 was a stop
            if key == phonetic_key(b) and (len(key) >= 3 or (len(key) == 2 and a[0] == b[0]
                                                              and self._by_sound is None)):
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
        if process.extractOne(word, self.known_list, scorer=fuzz.ratio,
                              processor=self._by_sound, score_cutoff=80):
            return True
        key = self.language.key(word)
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
        acc = np.zeros(len(self.templates), dtype=np.float32)
        for token in dict.fromkeys(t.text for t in tokens):  # in order: float sums repeat
            best: dict[str, float] = dict(self._similar_words(token))
            for word, sim in best.items():
                acc[self.vocab_ids[word]] += sim * self.idf[word]
        numbers = sum(1 for t in tokens if t.is_number)
        texts = {t.text for t in tokens}
        present = np.array([
            min(1.0, numbers) if self.lists[name].is_range
            else 1.0 if texts & self.list_words[name]
            else 0.7 if any(self._list_match(name, (t,)) for t in texts)
            else 0.0
            for name in self.list_names], dtype=np.float32)
        score = (acc + self.slot_matrix @ present) / self.length_norm - 0.5 * np.maximum(
            0.0, self.shortest - len(tokens))
        if intents is not None:
            score[[name not in intents for name in self.intent_names]] = -np.inf
        order = np.argsort(-score, kind="stable")
        ranked = order[np.isfinite(score[order])]
        # at most PER_INTENT templates of one intent first: a catalogue with thirty ways to
        # log an amount must not fill the list with them where another intent's one fits
        chosen: list[int] = []
        taken: Counter[str] = Counter()
        for i in ranked:
            intent = self.intent_names[i]
            if taken[intent] < PER_INTENT:
                taken[intent] += 1
                chosen.append(int(i))
                if len(chosen) == SHORTLIST:
                    return chosen
        kept = set(chosen)  # fewer intents than that: the best of the rest
        return chosen + [j for j in map(int, ranked) if j not in kept][:SHORTLIST - len(chosen)]

    def _tolerant(self, tokens: list[Token], intents: set[str] | None) -> list[_Candidate]:
        out: list[_Candidate] = []
        best_cost = float("inf")
        costs = _Costs(self, tokens)
        foreign_by_intent: dict[str, list[float]] = {}
        for idx in self._shortlist(tokens, intents):
            template = self.templates[idx]
            foreign = foreign_by_intent.get(template.intent)
            if foreign is None:
                alien, native = self._foreign[template.intent], self._native[template.intent]
                foreign = foreign_by_intent[template.intent] = [
                    FOREIGN_WORD_COST if t in alien
                    else -NATIVE_WORD_DISCOUNT if t in native and c >= INS_COST else 0.0
                    for t, c in zip(costs.texts, costs.ins, strict=True)]
            aligned = self._align(template.graph, costs, best_cost + PRUNE_MARGIN,  # type: ignore[arg-type]
                                  foreign, self._key_words[template.intent])
            if aligned is None:
                continue
            cost, bindings, words, elements = aligned
            best_cost = min(best_cost, cost)
            denom = max(elements, len(tokens))
            out.append(_Candidate(self._intent_of[id(template)], template, bindings,
                                  max(0.0, 1.0 - cost / denom), False, words, elements))
        return out

    def _align(self, graph: TemplateGraph, c: _Costs, give_up: float,
               foreign: list[float] | None = None, key_words: frozenset[str] = frozenset()
               ) -> tuple[float, list[tuple[SlotRef, SlotValue]], tuple[str, ...], int] | None:
        """The cheapest way to say the tokens with one of the graph's sentences: a weighted
        edit distance searched through the graph (nodes in topological order, one row of
        costs over token positions per node; every move goes to a later node or a later
        position, so one pass suffices). None when every way costs more than ``give_up``."""
        n = c.n
        inf = float("inf")
        nodes = graph.nodes
        cost: list[list[float] | None] = [None] * len(nodes)
        back: list[list[tuple | None] | None] = [None] * len(nodes)
        cost[0] = [0.0] + [inf] * n
        back[0] = [None] * (n + 1)
        foreign = foreign or [0.0] * n
        ins = [a + b for a, b in zip(c.ins, foreign, strict=True)]
        foreign_extra = [max(0.0, f) for f in foreign]
        best_end, best_total = -1, inf
        # the rows of costs per word, looked up here before asking ``c`` to work one out:
        # these lookups are the innermost loop of the parser
        sub_rows, split_rows, merge_rows = c.sub_rows, c.split_rows, c.merge_rows

        def row_of(index: int) -> tuple[list[float], list[tuple | None]]:
            row = cost[index]
            if row is None:
                row = cost[index] = [inf] * (n + 1)
                back[index] = [None] * (n + 1)
            return row, back[index]  # type: ignore[return-value]

        for node in nodes:
            row = cost[node.index]
            if row is None:
                continue
            brow: list[tuple | None] = back[node.index]  # type: ignore[assignment]
            for j in range(n):  # words heard that the template does not say
                v = row[j] + ins[j]
                if v < row[j + 1]:
                    row[j + 1] = v
                    brow[j + 1] = (node.index, j, _INS, None)
            if min(row) > give_up:
                continue  # costs only grow from here: nothing through this node can win
            if node.final and row[n] < best_total:
                best_total, best_end = row[n], node.index
            live = [j for j in range(n + 1) if row[j] <= give_up]
            for word, targets in node.words.items():
                dcost = c.deletion(word) + (KEY_WORD_DELETE_COST if word in key_words
                                            else 0.0)
                subs = sub_rows.get(word) or c.substitution(word)
                splits = split_rows.get(word) or c.split(word)
                for target in targets:
                    trow, tback = row_of(target.index)
                    for j in live:
                        here = row[j]
                        v = here + dcost
                        if v < trow[j]:
                            trow[j] = v
                            tback[j] = (node.index, j, _DEL, word)
                        if j < n:
                            s = subs[j]
                            if s is not None and s > 0:
                                s += foreign_extra[j]
                            if s is not None and here + s < trow[j + 1]:
                                trow[j + 1] = here + s
                                tback[j + 1] = (node.index, j, _SUB, word)
                            s = splits[j]
                            if s is not None and here + s < trow[j + 2]:
                                trow[j + 2] = here + s
                                tback[j + 2] = (node.index, j, _SPLIT, word)
                    # two template words heard as one ("trans fer" the other way round)
                    for nxt, after in target.words.items():
                        merges = merge_rows.get((word, nxt), _NOT_WORKED_OUT)
                        if merges is _NOT_WORKED_OUT:
                            merges = c.merge(word, nxt)
                        if merges is None:
                            continue
                        for goal in after:
                            grow, gback = row_of(goal.index)
                            for j in live:
                                s = merges[j] if j < n else None
                                if s is not None and row[j] + s < grow[j + 1]:
                                    grow[j + 1] = row[j] + s
                                    gback[j + 1] = (node.index, j, _MERGE, (word, nxt))
            for ref, targets in node.slots.items():
                spans = c.slot_spans(ref.list_name)
                for target in targets:
                    trow, tback = row_of(target.index)
                    for j in live:
                        if j >= n:
                            continue
                        here = row[j]
                        for k, value, extra in spans[j]:
                            if here + extra < trow[j + k]:
                                trow[j + k] = here + extra
                                tback[j + k] = (node.index, j, _SLOT, (ref, value))
        if best_end < 0 or best_total > give_up:
            return None
        bindings: list[tuple[SlotRef, SlotValue]] = []
        words: list[str] = []
        elements = 0
        i, j = best_end, n
        while (i, j) != (0, 0):
            step = back[i][j]  # type: ignore[index]
            assert step is not None
            i, j, move, what = step
            if move == _SLOT:
                bindings.append(what)
                elements += 1
            elif move == _MERGE:
                words.extend(reversed(what))
                elements += 2
            elif move != _INS:
                words.append(what)
                elements += 1
        bindings.reverse()
        words.reverse()
        return best_total, bindings, tuple(words), elements

    # -- decision ----------------------------------------------------------------------------
    def explain(self, text: str) -> list[tuple[str, float, str]]:
        """The scored candidates behind a parse (for tuning)."""
        tokens = self.catalog.normalise(text)
        cands = self._exact(tokens, None) or self._tolerant(tokens, None)
        cands.sort(key=lambda c: -c.confidence)
        return [(c.intent.name, round(c.confidence, 3), c.template.text) for c in cands[:8]]

    def _decide(self, text: str, tokens: list[Token], trimmed: list[Token],
                candidates: list[_Candidate], bar: float | None = None) -> ParseResult:
        """The reading of ``tokens`` (``trimmed``: without the lead-ins and tail-outs) among
        ``candidates``, or why there is none."""
        # Most confident first; among equals, the more literal (fewer slots) and earlier one.
        candidates.sort(key=lambda c: (-c.confidence, -len(c.words)))
        best = candidates[0]
        intent = best.intent
        runner_up = next((c for c in candidates[1:] if c.intent is not intent), None)

        def reject(reason: str, confidence: float | None = None) -> ParseResult:
            return ParseResult(text, None, {}, best.confidence if confidence is None
                               else confidence, reason=reason, near=intent.name)

        denied = self.language.negating(tokens)
        if intent.question:
            denied = [word for word in denied if word not in self.language.asking_negations]
        if any(word not in best.words for word in denied):
            return reject("negated")
        opener = tokens[0].text if tokens else ""
        asking = [t.text for t in tokens if t.text in self.language.question_words]
        if asking or any(t.text in self.language.question_openers for t in tokens):
            # the words of a lead-in ask nothing: "when you get a chance, log ...", "is it
            # possible to log ..."
            lead = self._lead_in_end(tokens, trimmed)
            asking = [t.text for t in tokens[lead:] if t.text in self.language.question_words]
            opener = tokens[lead].text
        # an opener asks unless the template opens with it too ("is the alarm acknowledged"
        # asks, though "the alarm is acknowledged" says "is")
        opens = opener in self.language.question_openers and best.words[:1] != (opener,)
        if not intent.question and (opens or any(w not in best.words for w in asking)):
            # "did we log the fifty litres for sato lab?" must not log them again, nor
            # "twenty litres is how much gas?" log twenty litres
            return reject("a question, not a command")
        language = self.language
        for markers, why in ((language.habit_words, "how things usually go, not a command"),
                             (language.later_words, "a request for later, not a command now"),
                             (language.past_words, "a report of what was done, not a command")):
            if not intent.question and any(t.text in markers and t.text not in best.words
                                           for t in tokens):
                return reject(why)
        said = [t.text for t in tokens]
        if not intent.question and any(
                self._said_as(said, at, phrase) and not set(phrase) <= set(best.words)
                for phrase in language.done_phrases for at in range(len(said))):
            # 「50リットルはもう記録してある」 must not log the fifty litres a second time
            return reject("a report of what was done, not a command")
        if not best.exact and intent.question and any(
                t.text in language.past_words and t.text not in best.words for t in tokens):
            # 「昨日の回収量は？」 bent into 今日's: a figure of a day gone is not today's (a
            # question about a day to come is answered as things stand: 「来週の分は足りてる？」)
            return reject("a day gone said and not read")
        if self._clock_unread(tokens, best):
            # "start the transfer at three" bent into "... from dewar three": a time of day
            # said asks for then, or of then, and no name of ours is a time
            return reject("a time of day said, not now")
        if not best.exact and self._number_unread(trimmed, best):
            # "log for tanaka lab: 60 litres" read as a log for the lab without its sixty
            return reject("a number said and not read")
        if not best.exact and any(t.text in language.stop_words
                                  and t.text not in self._words_read(best) for t in trimmed):
            # "how do i stop it, stop the transfer" bent into "how do i use it" (help) would
            # leave the transfer running: a stop said must be read, or the sentence is a stop
            return reject("a stop word said and not read")
        if not best.exact and not self._names_read(tokens, best):
            # 「天気どうですか」 bent into 「バッグどうですか」: the one word that said what is
            # asked about was replaced by another, and only the particles were left to agree
            return reject("nothing the sentence names was read")
        needed = intent.min_confidence if bar is None else min(bar, intent.min_confidence)
        if best.confidence < needed:
            return reject(f"{NOT_SURE} ({best.confidence:.2f} < {needed})")
        if (not best.exact and runner_up is not None
                and best.confidence - runner_up.confidence < AMBIGUITY_MARGIN):
            return reject(f"ambiguous between {intent.name} and {runner_up.intent.name}")

        # The best candidate whose numbers are in range wins; a slot out of range is only
        # reported when no reading of the sentence fits ("into the NMR six hundred" is a
        # vessel, not a 600 % target).
        first_error: str | None = None
        for cand in candidates:
            if cand.confidence < best.confidence - 0.05 or cand.intent is not intent:
                continue
            slots, error = self._slots(cand)
            if error is None:
                return ParseResult(text, intent.name, slots, cand.confidence, exact=cand.exact,
                                   actuating=intent.actuating,
                                   closed=cand.exact and self._is_closed(tokens, intent.name),
                                   figures=tuple(value for ref, value in cand.bindings
                                                 if not ref.kept))
            first_error = first_error or error
        return reject(first_error or "no reading fits")

    def _clock_unread(self, tokens: list[Token], cand: _Candidate) -> bool:
        """Whether a number is said as a time of day (the language's ``clock_before`` just
        before it, or ``clock_after`` just after) that the reading did not take as an amount
        with the marker or the unit its template says ("alert me at ten percent"; "fill the
        nmr from dewar seven at four" is no fill to four percent)."""
        amounts = {format_number(value) for ref, value in cand.bindings
                   if self.lists[ref.list_name].is_range}
        return self._time_of_day(tokens, amounts, frozenset(cand.words))

    def _time_of_day(self, tokens: list[Token], amounts: set[str], read: frozenset[str],
                     within: list[Token] | None = None) -> bool:
        """Whether ``tokens`` say a number (of ``within``, if given) as a time of day that is
        not one of ``amounts`` read with its marker or its unit (words of ``read``)."""
        language = self.language
        if not language.clock_before and not language.clock_after:
            return False
        words = [t.text for t in tokens]
        for at, token in enumerate(tokens):
            if not token.is_number or (within is not None and all(t is not token
                                                                   for t in within)):
                continue
            if not (float(token.value).is_integer() and 0 <= token.value <= 24):  # type: ignore[arg-type]
                continue  # "the bag's at eighty, ...": no hour of the day
            marker = next((p for p in language.clock_before
                           if self._said_as(words, at, p, backwards=True)), None) or next(
                (p for p in language.clock_after if self._said_as(words, at + 1, p)), None)
            if marker is None:
                continue
            after = tokens[at + 1].text if at + 1 < len(tokens) else None
            if token.text in amounts and (set(marker) <= read or after in read):
                continue  # "... at eighty percent": an amount with its unit
            return True
        return False

    def _number_unread(self, trimmed: list[Token], cand: _Candidate) -> bool:
        """Whether a number was said (in ``trimmed``, the sentence without its lead-ins and
        tail-outs) that the reading neither took as a value nor as part of a name or the
        template's words, of an intent that takes a number: a tolerant reading that drops an
        amount is a wrong one, not a question to ask, and one that drops a number beside the
        amount it took may have halved it ("log one fifty litres" read past "one" was a log
        of fifty)."""
        if not any(self.lists[name].is_range
                   for name in self.slot_lists(cand.intent.name).values()):
            return False
        read = self._words_read(cand)
        return any(t.is_number and t.text not in read for t in trimmed)

    def _names_read(self, tokens: list[Token], cand: _Candidate) -> bool:
        """Whether the reading read, or read as a word that sounds like it, or has among the
        words its intent says, at least one word of the sentence that names something (not a
        particle, filler or article); a sentence of particles alone names nothing and passes."""
        named = [t.text for t in tokens if t.text not in self._says_nothing]
        if not named:
            return True
        read = self._words_read(cand)
        says = self._intent_words.get(cand.intent.name, frozenset())
        return any(word in read or word in says
                   or any(self._word_sim(word, other) >= MIN_WORD_SIM for other in read)
                   for word in named)

    def _figure_read(self, cand: _Candidate, tokens: list[Token]) -> bool:
        """Whether a tolerant reading that takes a figure it does not keep (a slot named with
        "_": the figure a question is asked against) says every word of its template as said,
        and reads every word of the sentence that names something as often as it is said. A
        figure means nothing without its comparison (「バッグは80パーセントだった」 is no
        「…80パーセント切った？」), and a number of another name is no figure ("is the pressure
        in dewar four higher than in dewar three" is not dewar four's against three)."""
        if cand.exact or all(ref.kept for ref, _ in cand.bindings):
            return True
        if not set(cand.words) <= {t.text for t in tokens}:
            return False
        said = Counter(t.text for t in tokens if t.text not in self._says_nothing)
        return not said - self._read_counts(cand)

    def _words_read(self, cand: _Candidate) -> set[str]:
        """The words a reading took: its template's, and those of the values it bound (a
        number as the number mark writes it)."""
        return set(self._read_counts(cand))

    def _read_counts(self, cand: _Candidate) -> Counter[str]:
        """The words a reading took, each as often as it took it (a name's words once for
        each value bound)."""
        read = Counter(cand.words)
        for ref, value in cand.bindings:
            read.update({format_number(value)} if self.lists[ref.list_name].is_range
                        else self._words_of_values((ref.list_name,), (value,)))
        return read

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
            if not ref.kept:
                continue  # said and checked, not kept: the figure a question is asked against
            slots.setdefault(ref.slot_name, value)
        for name, value in cand.template.fixed_slots.items():
            slots.setdefault(name, value)
        return slots, None


def _false_start(token: Token, following: Token | None) -> bool:
    """A word begun and said again whole, or said twice: "aff affirmative", "st stop", "log
    log fifty litres". People do it when they hurry; recognisers write it down; it says
    nothing, so it costs what a filler costs."""
    return (following is not None and not token.is_number and not following.is_number
            and len(token.text) >= 2 and following.text.startswith(token.text))


class _Costs:
    """The costs of the moves against one utterance, worked out once and shared by every
    template aligned to it."""

    def __init__(self, engine: IntentEngine, tokens: list[Token]) -> None:
        self.engine = engine
        self.n = len(tokens)
        self.texts = [t.text for t in tokens]
        self.values = [t.value for t in tokens]
        self.single_word_number = [t.is_number and " " not in t.source for t in tokens]
        self.ins = [INS_COST_SKIP if _false_start(t, following) else engine._ins_cost(t)
                    for t, following in zip(tokens, [*tokens[1:], None], strict=True)]
        self.skip = engine.language.skip_words
        self.homophones = engine.language.number_homophones
        self.sub_rows: dict[str, list[float | None]] = {}
        self.split_rows: dict[str, list[float | None]] = {}
        self.merge_rows: dict[tuple[str, str], list[float | None] | None] = {}
        self._spans: dict[str, list[list[tuple[int, SlotValue, float]]]] = {}
        # split and merged words are compared by their letters, or by their readings where
        # the script does not spell the sound ("汲み出し" heard as "組み" + "出し")
        self.sound = engine._by_sound or str
        self.sounds = [self.sound(t.text) if t.value is None
                       else engine.language.number_sound(t.value) or t.text for t in tokens]
        # the lengths of heard words by first letter: most pairs of template words cannot be
        # one of them
        self._lengths_by_initial: dict[str, set[int]] = {}
        for j, sound in enumerate(self.sounds):
            if self.texts[j] not in self.skip and self.values[j] is None:
                self._lengths_by_initial.setdefault(sound[:1], set()).add(len(sound))

    def deletion(self, word: str) -> float:
        return self.engine._del_cost(word)

    def slot_spans(self, list_name: str) -> list[list[tuple[int, SlotValue, float]]]:
        """Per position: (tokens taken, value, cost) of every way the list's slot can be said
        starting there. Worked out once per list: a permutation puts one list on many arcs."""
        spans = self._spans.get(list_name)
        if spans is None:
            slot_list = self.engine.lists[list_name]
            spans = []
            for j in range(self.n):
                here: list[tuple[int, SlotValue, float]] = []
                if slot_list.is_range:
                    value, extra = self.values[j], 0.0
                    if value is None and self.texts[j] in self.homophones:
                        value, extra = self.homophones[self.texts[j]], HOMOPHONE_COST
                    if value is not None:
                        if not slot_list.in_range(float(value)):
                            extra += OUT_OF_RANGE_COST
                        here.append((1, value, extra))
                else:
                    for k in range(1, min(slot_list.max_words + 1, self.n - j) + 1):
                        match = self.engine._list_match(list_name, tuple(self.texts[j:j + k]))
                        if match is not None:
                            here.append((k, match[0], match[1]))
                spans.append(here)
            self._spans[list_name] = spans
        return spans

    def substitution(self, word: str) -> list[float | None]:
        """Per position: the cost of hearing that token for ``word`` (None: no such move)."""
        row = self.sub_rows.get(word)
        if row is None:
            row = []
            for j, text in enumerate(self.texts):
                if text in self.skip:  # a filler never stands for a word
                    row.append(None)
                elif self.values[j] is not None:
                    homophone = (self.single_word_number[j]
                                 and self.homophones.get(word) == self.values[j])
                    row.append(HOMOPHONE_COST if homophone else 1.0)
                else:
                    row.append(self.engine._sub_cost(word, text))
            self.sub_rows[word] = row
        return row

    def split(self, word: str) -> list[float | None]:
        """Per position: ``word`` heard as this token and the next ("trans fer")."""
        row = self.split_rows.get(word)
        if row is None:
            row = [None] * self.n
            said = self.sound(word)
            for j in range(self.n - 1):
                if self.texts[j] in self.skip or self.sounds[j].startswith("#") \
                        or self.sounds[j + 1].startswith("#"):
                    continue  # a number is part of a word only where it has a sound
                joined = self.sounds[j] + self.sounds[j + 1]
                if not _about_as_long(said, joined):
                    continue
                sim = _letters_alike(said, joined)
                if sim >= MIN_SPLIT_MERGE_SIM:
                    row[j] = (1 - sim) + SPLIT_MERGE_PENALTY
            self.split_rows[word] = row
        return row

    def merge(self, first: str, second: str) -> list[float | None] | None:
        """Per position: two template words heard as this one token."""
        key = (first, second)
        if key not in self.merge_rows:
            joined = self.engine._joined_sounds.get(key)
            if joined is None:
                joined = self.engine._joined_sounds[key] = self.sound(first) + self.sound(second)
            lengths = self._lengths_by_initial.get(joined[:1], ())
            tolerance = _length_tolerance(joined)  # as _about_as_long, by the lengths alone
            if not any(abs(len(joined) - length) <= tolerance for length in lengths):
                self.merge_rows[key] = None
                return None
            row: list[float | None] = [None] * self.n
            for j, text in enumerate(self.texts):
                if text in self.skip or self.values[j] is not None \
                        or not _about_as_long(joined, self.sounds[j]):
                    continue
                sim = _letters_alike(joined, self.sounds[j])
                if sim >= MIN_SPLIT_MERGE_SIM:
                    row[j] = (1 - sim) + SPLIT_MERGE_PENALTY
            self.merge_rows[key] = row if any(v is not None for v in row) else None
        return self.merge_rows[key]


def _letters_alike(a: str, b: str) -> float:
    """Split and merged words are judged by their letters only: a sound-alike key of two
    words run together is too coarse ("invoice" and "in bag" share one)."""
    return fuzz.ratio(a, b) / 100


def _about_as_long(a: str, b: str) -> bool:
    """Whether two words could be 0.85 alike by their letters. Split and merged words are
    compared against every pair of heard words, so the many pairs that cannot be alike are
    left out before comparing."""
    return abs(len(a) - len(b)) <= _length_tolerance(a) and a[:1] == b[:1]


def _length_tolerance(word: str) -> int:
    """How many letters longer or shorter than ``word`` a word 0.85 alike may be."""
    return max(3, len(word) // 3)


def _required_words(graph: TemplateGraph, plain: frozenset[str]) -> frozenset[str]:
    """The words every sentence of the graph says (not optional, not one of alternatives)."""
    def reaches_end(without: str) -> bool:
        seen, todo = {graph.start.index}, [graph.start]
        while todo:
            node = todo.pop()
            if node.final:
                return True
            arcs = [t for w, ts in node.words.items() if w != without for t in ts]
            arcs += [t for ts in node.slots.values() for t in ts]
            for target in arcs:
                if target.index not in seen:
                    seen.add(target.index)
                    todo.append(target)
        return False

    return frozenset(w for w in graph.words if w not in plain and not w.startswith("#")
                     and not reaches_end(w))


def _shortest(graph: TemplateGraph) -> int:
    """The fewest words and slots any sentence of the graph has."""
    inf = 10**9
    fewest = [inf] * len(graph.nodes)
    for node in reversed(graph.nodes):
        best = 0 if node.final else inf
        for _, target in node.arcs():
            best = min(best, 1 + fewest[target.index])
        fewest[node.index] = best
    return fewest[0]


def _number_signature(words: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return tuple(w for w in words if w.startswith("#"))


def _plain(value: Any) -> Any:
    """12.0 -> 12 so JSON shows integers as integers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
