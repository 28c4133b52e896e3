"""What the loaded intents can say, as a recogniser grammar.

- **JSGF** (pocketsphinx), compiled from the template trees, not their expansions: expansion
  rules stay rules and numbers stay one compact sub-grammar, because pocketsphinx inlines every
  rule reference when it builds its search graph (12k expanded sentences took all memory).
- **Phrases** (Vosk): sample sentences with list values filled in, plus ``[unk]``.

Words are written back from the intent engine's normalised form to dictionary spellings
("whats" -> "what's", "litres" -> "liters" when the dictionary only knows that one). A word the
recogniser does not know voids the alternatives that need it (listed in ``dropped``). Articles
that the intent engine ignores are allowed, optionally, before every slot ("from the dewar").
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from wanwan.nlu import templates as tpl
from wanwan.nlu.matcher import IntentEngine
from wanwan.nlu.numbers_en import number_to_words
from wanwan.nlu.text import normalise

Lookup = Callable[[str], bool]
VOID = "<VOID>"

NUMBER_RULES = """\
<n_digit> = one | two | three | four | five | six | seven | eight | nine;
<n_digit0> = <n_digit> | zero | oh;
<n_teen> = ten | eleven | twelve | thirteen | fourteen | fifteen | sixteen | seventeen
  | eighteen | nineteen;
<n_tens> = twenty | thirty | forty | fifty | sixty | seventy | eighty | ninety;
<n_u100> = <n_digit> | <n_teen> | <n_tens> [<n_digit>];
<n_integer> = zero | (<n_u100> | a) [hundred [[and] <n_u100>]]
  [thousand [[and] <n_u100> [hundred [[and] <n_u100>]]]];
<n_decimal> = <n_integer> [point <n_digit0>+] | point <n_digit0>+
  | <n_integer> and a (half | quarter);
"""
# every word the number rules can say
NUMBER_WORDS = frozenset(re.findall(r"[a-z]+", re.sub(r"<[^>]+>", " ", NUMBER_RULES)))


@dataclass
class Grammar:
    jsgf: str
    phrases: list[str]  # each expansion once, slots filled in turn
    corpus: list[str]  # sentences for a language model: phrases, articles, test sentences
    vocabulary: set[str]
    dropped: set[str] = field(default_factory=set)
    wake: list[str] = field(default_factory=list)


class _Compiler:
    def __init__(self, engine: IntentEngine, known: Lookup, articles: tuple[str, ...]) -> None:
        self.engine = engine
        self.language = engine.language
        self.known = known
        self.article = f"[{' | '.join(articles)}] " if articles else ""
        self.dropped: set[str] = set()
        self.vocabulary: set[str] = set()

    def spell(self, word: str) -> str | None:
        """A dictionary spelling (maybe several words) of one template word, or None."""
        tokens = normalise(word, self.language)
        if not tokens:
            return ""  # an ignored word ("the"): the optional article covers it
        out = []
        for token in tokens:
            spelled = self._spell_token(token.text)
            if spelled is None:
                self.dropped.add(token.text)
                return None
            out.append(spelled)
        self.vocabulary.update(" ".join(out).split())
        return " ".join(out)

    def _spell_token(self, text: str) -> str | None:
        if text.startswith("#"):
            return number_to_words(float(text[1:]) if "." in text else int(text[1:]))
        if self.known(text):
            return text
        candidates = [text[:-1] + "'" + text[-1:], text[:-2] + "'" + text[-2:]]
        candidates += [k for k, v in self.language.spellings.items() if v == text]
        candidates.append(text.replace("ise", "ize"))
        return next((c for c in candidates if self.known(c)), None)

    def render(self, seq: tpl.Sequence) -> str:
        """A JSGF expression for a template sequence."""
        parts: list[str] = []
        for node in seq:
            if isinstance(node, tpl.Text):
                for word in node.text.split():
                    spelled = self.spell(word)
                    if spelled is None:
                        return VOID
                    if spelled:
                        parts.append(spelled)
            elif isinstance(node, tpl.SlotRef):
                slot_list = self.engine.lists[node.list_name]
                ref = ("<n_decimal>" if slot_list.decimals else "<n_integer>") if \
                    slot_list.is_range else f"<list_{node.list_name}>"
                parts.append(f"{self.article}{ref}".strip())
            elif isinstance(node, tpl.RuleRef):
                parts.append(f"<rule_{node.name}>")
            else:
                options = node.options
                if node.permutation:
                    options = tuple(tuple(n for opt in order for n in opt)
                                    for order in itertools.permutations(node.options))
                rendered = [self.render(opt) for opt in options]
                alive = [r for r in rendered if r != VOID]
                if not alive and not node.optional:
                    return VOID
                body = " | ".join(r if r else "<NULL>" for r in alive)
                if node.optional:
                    if body:
                        parts.append(f"[{body}]")
                elif body:
                    parts.append(f"({body})")
        return " ".join(parts)


def build_grammar(engine: IntentEngine, known: Lookup, wake: str | None = "wan wan",
                  articles: tuple[str, ...] = ("the",), phrase_limit: int = 3000) -> Grammar:
    """The grammar of everything ``engine`` understands, in words ``known`` to the recogniser."""
    c = _Compiler(engine, known, articles)
    lines = ["#JSGF V1.0;", "grammar wanwan;", NUMBER_RULES.rstrip()]
    c.vocabulary.update(NUMBER_WORDS)

    list_forms: dict[str, list[str]] = {}
    for name, slot_list in sorted(engine.lists.items()):
        if slot_list.is_range:
            continue
        forms = []
        for phrase in slot_list.phrases:
            words = [c._spell_token(w) for w in phrase.split()]
            if all(words):
                form = " ".join(words)  # type: ignore[arg-type]
                if form not in forms:
                    forms.append(form)
                    c.vocabulary.update(form.split())
            else:
                c.dropped.update(w for w, s in zip(phrase.split(), words, strict=True) if not s)
        list_forms[name] = forms
        lines.append(f"<list_{name}> = {' | '.join(forms) or VOID};")

    for name, seq in sorted(engine.catalog.rules.items()):
        body = c.render(seq)
        lines.append(f"<rule_{name}> = {body or '<NULL>'};")

    commands = []
    for intent in engine.catalog.intents.values():
        for template in intent.templates:
            body = c.render(tpl.parse(template.text))
            if body and body != VOID:
                commands.append(f"({body})")
    lines.append(f"<command> = {' | '.join(commands) or VOID};")
    wake_words = wake.split() if wake else []
    c.vocabulary.update(wake_words)
    prefix = f"[{' '.join(wake_words)}] " if wake_words else ""
    lines.append(f"public <utterance> = {prefix}<command>;")

    phrases = _sample_phrases(engine, c, list_forms, phrase_limit)
    corpus = _corpus(engine, c, list_forms, articles)
    if wake_words:  # said before most commands
        corpus += [f"{' '.join(wake_words)} {s}" for s in corpus]
    return Grammar("\n".join(lines) + "\n", phrases, corpus, c.vocabulary, c.dropped,
                   wake_words)


def _corpus(engine: IntentEngine, c: _Compiler, list_forms: dict[str, list[str]],
            articles: tuple[str, ...], per_intent: int = 600) -> list[str]:
    """Sentences for a language model: as many for each intent (drawn from its templates'
    sentences with slot values and, half of the time, an article before a list slot: the
    engine drops "the", people say it), and the catalogue's test sentences as people wrote
    them. Each intent weighs the same whatever its number of sentences: by sentence count,
    a short "stop" was outweighed by the thousands of ways to ask for the stock, and real
    "stop" was heard "stock"."""
    rng = random.Random(0)
    out = []
    for pool in _intent_pools(engine, rng).values():
        for _ in range(per_intent):
            rendered = _render(rng.choice(pool), engine, c, list_forms, rng,
                               articles[0] if articles else "")
            if rendered is not None:
                out.append(rendered)
    for intent in engine.catalog.intents.values():
        for test in intent.tests:
            words = []
            for word in test.text.replace(",", " ").replace("?", " ").split():
                spelled = c.spell(word)
                if spelled == "" and c.known(word.lower()):
                    spelled = word.lower()  # "the": the intent engine ignores it, not speech
                words.append(spelled)
            if all(w is not None for w in words):
                out.append(" ".join(w for w in words if w))
    return out


PER_TEMPLATE = 400  # sentences of one template drawn on: a template may say millions


def _intent_pools(engine: IntentEngine, rng: random.Random
                  ) -> dict[str, list[tuple[str | tpl.SlotRef, ...]]]:
    """Each intent's sentences: all of a template's up to ``PER_TEMPLATE``, a random sample
    beyond."""
    pools: dict[str, list[tuple[str | tpl.SlotRef, ...]]] = {}
    for template in engine.templates:
        if template.graph is not None:
            pools.setdefault(template.intent, []).extend(
                template.graph.sample(PER_TEMPLATE, rng))
    return pools


def _render(elements: tuple[str | tpl.SlotRef, ...], engine: IntentEngine, c: _Compiler,
            list_forms: dict[str, list[str]], rng: random.Random, article: str = ""
            ) -> str | None:
    """A sentence in the recogniser's words, slots filled in; None when a word is unknown."""
    words: list[str] = []
    for element in elements:
        if isinstance(element, tpl.SlotRef):
            slot_list = engine.lists[element.list_name]
            if slot_list.is_range:
                low = int(slot_list.range_min or 0)
                high = int(min(slot_list.range_max or 100, 100))
                words.append(number_to_words(rng.randint(max(low, 1), max(high, 1))))
            else:
                forms = list_forms.get(element.list_name) or []
                if not forms:
                    return None
                if article and rng.random() < 0.5:
                    words.append(article)
                words.append(rng.choice(forms))
        else:
            spelled = c._spell_token(element)
            if spelled is None:
                return None
            words.append(spelled)
    return " ".join(words)


def _sample_phrases(engine: IntentEngine, c: _Compiler, list_forms: dict[str, list[str]],
                    limit: int, seed: int = 0) -> list[str]:
    """Different sentences for phrase-list recognisers, taken from every intent in turn."""
    rng = random.Random(seed)
    pools = list(_intent_pools(engine, rng).values())
    out: dict[str, None] = {}
    for group in itertools.zip_longest(*pools):
        for elements in group:
            if elements is None:
                continue
            rendered = _render(elements, engine, c, list_forms, rng)
            if rendered is not None:
                out[rendered] = None
            if len(out) >= limit:
                return list(out)
    return list(out)
