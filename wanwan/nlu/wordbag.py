"""A second opinion on what a sentence asks: its words weighed as a bag, without their order.

The tolerant matcher reads a sentence by aligning it to one template at a time; a question in
words no template has ("how did last week's recovery look") comes out near the right intent
but below its bar, and is refused. A bag of words judges the same sentence in a way that
shares few of the alignment's failures: the catalogue's sentences nearest to it by their
words and pairs of words, whatever their order and whatever else is said. Where the two
agree on a question, the matcher's bar is lowered for that intent (:class:`SecondOpinion`);
they seldom agree on chatter ("the price went up again").

The bag learns from the catalogue alone: sentences walked at random through every template
(each slot filled with one of its list's values), the intents' test sentences, and the
catalogue's sentences to reject.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from wanwan.errors import UserError
from wanwan.nlu.catalog import Catalog, Intent
from wanwan.nlu.templates import SlotRef
from wanwan.nlu.text import NUMBER_PREFIX

OTHER = ""  # the class of sentences that ask nothing of wanwan
SAMPLES_PER_TEMPLATE = 60  # sentences walked through each template
NEIGHBOURS = 10  # the catalogue's sentences nearest to one that say what it asks
# of which at most this many walked through one template: a template's walks are near copies
# of each other, and ten of one would outvote a remark the catalogue rejects in the same words
PER_SOURCE = 2
SEED = 1  # with a template's own text, the seed of its walks: the same at every load
# the fewest words that say something (not the language's skip words) a bag judges: two words
# say no more as a bag than aligned ("Thank you.", which Whisper writes for noise, is a
# cancel's "no thank you" to both)
MIN_WORDS = 3


@dataclass(frozen=True)
class SecondOpinion:
    """When the bag of words may lower the matcher's bar (a catalogue's ``settings:
    second_opinion:``): for the intent the matcher came nearest to, at ``floor`` confidence
    or more, where the nearest sentences give that intent at least ``agree`` of their
    similarity, and where the two together reach ``together`` (the matcher's confidence plus
    the bag's share: one sure and the other barely agreeing is less than both fairly sure).
    Only for a question (a wrong answer is heard, and asked again) and the intents ``also``
    names, none of which may act (a load error); the shipped catalogues name none that writes
    or silences either (a ledger entry, an alarm acknowledged)."""

    floor: float
    agree: float
    also: frozenset[str]
    together: float = 0.0

    def agrees(self, confidence: float, belief: float) -> bool:
        """Whether a reading at ``confidence`` and the bag's ``belief`` in it are enough."""
        return confidence >= self.floor and belief >= self.agree \
            and confidence + belief >= self.together

    def answers(self, intent: Intent) -> bool:
        return intent.question or intent.name in self.also

    @classmethod
    def from_catalogue(cls, catalog: Catalog) -> SecondOpinion | None:
        """The catalogue's setting, or None where it has none (no second opinion)."""
        given = catalog.settings.get("second_opinion")
        if given is None:
            return None
        where = f"{catalog.folder}: settings: second_opinion"
        if not isinstance(given, Mapping) \
                or set(given) - {"floor", "agree", "together", "also"} \
                or not {"floor", "agree"} <= set(given):
            raise UserError(f"{where} must be a mapping of floor, agree, together and also "
                            f"(got {given!r})")
        try:
            floor, agree = float(given["floor"]), float(given["agree"])
            together = float(given.get("together", 0.0))
        except (TypeError, ValueError):
            raise UserError(f"{where}: floor, agree and together must be numbers") from None
        if not (0 <= floor <= 1 and 0 < agree <= 1 and 0 <= together <= 2):
            raise UserError(f"{where}: floor and agree are shares from 0 to 1, together a "
                            "sum of the two from 0 to 2")
        also = frozenset(map(str, given.get("also") or []))
        unknown = sorted(also - set(catalog.intents))
        if unknown:
            raise UserError(f"{where}: also names no intent {', '.join(unknown)}")
        acting = sorted(name for name in also if catalog.intents[name].actuating)
        if acting:
            raise UserError(f"{where}: also names {', '.join(acting)}, which acts: an intent "
                            "that acts is never taken on a second opinion")
        return cls(floor, agree, also, together)


def features(words: Sequence[str]) -> list[str]:
    """A sentence's words and pairs of neighbours (its ends marked); every number alike."""
    plain = [NUMBER_PREFIX if w.startswith(NUMBER_PREFIX) else w for w in words]
    ends = ["<", *plain, ">"]
    return plain + [f"{a} {b}" for a, b in pairwise(ends)]


class WordBag:
    """The catalogue's sentences as weighted bags of :func:`features` (tf-idf), and what the
    ``NEIGHBOURS`` nearest of them to a sentence (by cosine) say: nearest neighbours keep a
    remark the catalogue rejects ("is there any coffee left") near its own kind, where a
    model of each class's words as a whole drowns one remark among a thousand others."""

    def __init__(self, sentences: Iterable[tuple[str, Sequence[str], int]]) -> None:
        labels: list[str] = []
        sources: list[int] = []
        bags: list[Counter[str]] = []
        found_in: Counter[str] = Counter()
        for label, words, source in sentences:
            bag = Counter(features(words))
            labels.append(label)
            sources.append(source)
            bags.append(bag)
            found_in.update(bag.keys())
        count = len(bags)
        self.idf = {f: math.log((1 + count) / (1 + n)) + 1 for f, n in found_in.items()}
        postings: dict[str, tuple[list[int], list[float]]] = {}
        for i, bag in enumerate(bags):
            weights = {f: n * self.idf[f] for f, n in bag.items()}
            norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
            for f, w in weights.items():
                ids, values = postings.setdefault(f, ([], []))
                ids.append(i)
                values.append(w / norm)
        self._postings = {f: (np.array(ids, np.int32), np.array(values, np.float32))
                          for f, (ids, values) in postings.items()}
        self._labels = labels
        self._sources = np.array(sources, np.int64)
        self._count = count

    def weigh(self, words: Sequence[str]) -> tuple[dict[str, float], str | None]:
        """How much the nearest sentences believe each class (``OTHER``: chatter) says
        ``words`` (each class's share of their similarity), and the class of the one sentence
        nearest of all. Empty and None where no word is known."""
        bag = Counter(f for f in features(words) if f in self._postings)
        if not bag:
            return {}, None
        scores = np.zeros(self._count, np.float32)
        for f, n in bag.items():
            ids, values = self._postings[f]
            scores[ids] += n * self.idf[f] * values
        order = np.argsort(-scores, kind="stable")
        shares: Counter[str] = Counter()
        taken: Counter[int] = Counter()
        for i in order:
            if scores[i] <= 0 or taken.total() >= NEIGHBOURS:
                break
            source = int(self._sources[i])
            if taken[source] < PER_SOURCE:
                taken[source] += 1
                shares[self._labels[i]] += float(scores[i])
        total = sum(shares.values()) or 1.0
        return {label: share / total for label, share in shares.items()}, self._labels[order[0]]

    @classmethod
    def from_catalogue(cls, catalog: Catalog) -> WordBag:
        return cls(_catalogue_sentences(catalog))


def _catalogue_sentences(catalog: Catalog) -> Iterable[tuple[str, list[str], int]]:
    """The catalogue's sentences, each as (intent or ``OTHER``, normalised words, the number
    of the template it was walked through or of the sentence itself)."""
    # each list's spoken forms in one order, sorted once (not at every slot of every walk)
    forms = {name: sorted(slot_list.phrases) for name, slot_list in catalog.lists.items()
             if not slot_list.is_range}
    source = 0
    for intent in catalog.intents.values():
        for template in intent.templates:
            if template.graph is None:
                continue
            source += 1
            # each template's walks drawn from its own words: a template added or changed
            # elsewhere leaves them as they were (one drawn in turn shifted every later one's)
            rng = random.Random(f"{SEED} {intent.name} {template.text}")
            for elements in template.graph.sample(SAMPLES_PER_TEMPLATE, rng):
                words: list[str] = []
                for element in elements:
                    if isinstance(element, SlotRef):
                        words += _a_value(forms.get(element.list_name), rng)
                    elif element:
                        words.append(element)
                yield intent.name, words, source
    for case in catalog.tests:
        source += 1
        yield case.intent or OTHER, [t.text for t in catalog.normalise(case.text)], source


def _a_value(forms: list[str] | None, rng: random.Random) -> list[str]:
    """The words of one of a list's spoken ``forms``, as a sentence would say it (a range,
    or a list with none: a number, ``#``)."""
    if not forms:
        return [NUMBER_PREFIX]
    return rng.choice(forms).split()
