"""``wanwan intents check``: validate an intent folder beyond what loading already reports.

Loading finds syntax errors, unknown lists and rules, duplicates and bad values. This adds:
a template that can never match (it fails its own rendered sentence), two intents claiming the
same sentence, and every test sentence's expected intent and slots.
"""

from __future__ import annotations

from dataclasses import dataclass

from wanwan.nlu.catalog import Catalog, Template
from wanwan.nlu.matcher import IntentEngine
from wanwan.nlu.templates import SlotRef

PER_TEMPLATE = 5000


@dataclass
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def check_catalog(catalog: Catalog, engine: IntentEngine | None = None) -> list[Problem]:
    problems = [Problem(str(e.path), e.line or 0, e.message) for e in catalog.errors]
    if catalog.errors:
        return problems  # the rest needs a catalogue that loaded cleanly
    engine = engine or IntentEngine(catalog)
    problems += _overlaps(catalog, engine)
    problems += _unmatchable(catalog, engine)
    problems += _tests(catalog, engine)
    return problems


def _sample(elements: tuple, catalog: Catalog) -> str | None:
    """One concrete sentence of an expansion (first spoken form of each list)."""
    words: list[str] = []
    for element in elements:
        if isinstance(element, SlotRef):
            slot_list = catalog.lists[element.list_name]
            if slot_list.is_range:
                words.append(str(int(slot_list.range_max or 0)))
            elif slot_list.phrases:
                words.append(next(iter(slot_list.phrases)).replace("#", ""))
            else:
                return None
        else:
            words.append(element.replace("#", ""))
    return " ".join(words)


def _overlaps(catalog: Catalog, engine: IntentEngine) -> list[Problem]:
    """Two intents whose templates say the same word sequence (among the first
    ``PER_TEMPLATE`` sentences of each template: a home's catalogue says millions)."""
    owner: dict[tuple, Template] = {}
    problems: list[Problem] = []
    reported: set[tuple[str, str]] = set()
    for template in engine.templates:
        for elements in template.sentences(PER_TEMPLATE):
            key = tuple(e if isinstance(e, str) else ("slot", e.list_name) for e in elements)
            other = owner.setdefault(key, template)
            if other is template or other.intent == template.intent:
                continue
            pair = (other.text, template.text)
            if pair in reported:
                continue
            reported.add(pair)
            sample = _sample(elements, catalog) or " ".join(map(str, key))
            problems.append(Problem(
                str(template.path), template.line,
                f"{template.intent} and {other.intent} both claim {sample!r} "
                f"(see {other.path.name}:{other.line})"))
    return problems


def _unmatchable(catalog: Catalog, engine: IntentEngine) -> list[Problem]:
    problems: list[Problem] = []
    for intent in catalog.intents.values():
        for template in intent.templates:
            if template.graph is None:
                continue
            matched = False
            for elements in template.sentences(20):
                sample = _sample(elements, catalog)
                if sample is None:
                    continue
                result = engine.parse(sample)
                if result.exact and result.intent == intent.name:
                    matched = True
                    break
            if not matched:
                problems.append(Problem(str(template.path), template.line,
                                        f"template {template.text!r} can never match"))
    return problems


def _tests(catalog: Catalog, engine: IntentEngine) -> list[Problem]:
    problems: list[Problem] = []
    for case in catalog.tests:
        result = engine.parse(case.text)
        if result.intent != case.intent:
            got = result.intent or f"nothing ({result.reason})"
            problems.append(Problem(str(case.path), case.line,
                                    f"{case.text!r}: expected {case.intent}, got {got}"))
        elif case.intent is not None and result.slots != case.slots:
            problems.append(Problem(str(case.path), case.line,
                                    f"{case.text!r}: expected slots {case.slots}, "
                                    f"got {result.slots}"))
    return problems
