"""Templates compiled to word graphs, without enumerating what they say.

A template such as ``[<ask>] [a|an] ([{size}]; [{roast}]; [{shots}]) {drink} [<extras>]`` says
thousands of sentences; a catalogue of a home says millions. Listing them all (as the first
matcher did, in a trie) costs memory and time that grow with that number; the graph of one
template grows only with its text. Each arc is a normalised word ("#12" for a number) or a slot;
the graph has no empty moves and no loops, its nodes are in topological order, and nodes that say
the same rest of the sentence are merged.

Words are normalised in runs, as an utterance is: "six hundred" is one number, "the" is dropped,
"liters" is "litres". Text glued to a group makes one word ("light[s]"): such a small cluster is
expanded in place and becomes a group of whole words.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from wanwan.nlu import templates as tpl
from wanwan.nlu.templates import Group, RuleRef, SlotRef, TemplateError, Text

Element = str | SlotRef
NormaliseRun = Callable[[str], list[str]]  # a run of template words -> token texts

MAX_PERMUTED = 6  # (a; b; c; d; e; f): 720 orders; more is a template to split
MAX_RULE_DEPTH = 20


@dataclass(slots=True, eq=False)
class GrammarNode:
    """A place in a template: the words and slots that may come next, and whether the
    template may end here. Recognisers narrowed to the grammar walk the same graph."""

    index: int  # in its graph's topological order; 0 is the start
    words: dict[str, list[GrammarNode]] = field(default_factory=dict)
    slots: dict[SlotRef, list[GrammarNode]] = field(default_factory=dict)
    final: bool = False

    def arcs(self) -> Iterator[tuple[Element, GrammarNode]]:
        for word, targets in self.words.items():
            for target in targets:
                yield word, target
        for slot, targets in self.slots.items():
            for target in targets:
                yield slot, target


@dataclass(eq=False)
class TemplateGraph:
    nodes: list[GrammarNode]  # topological order, the start first

    @property
    def start(self) -> GrammarNode:
        return self.nodes[0]

    @property
    def words(self) -> frozenset[str]:
        return frozenset(w for n in self.nodes for w in n.words)

    @property
    def slot_refs(self) -> frozenset[SlotRef]:
        return frozenset(s for n in self.nodes for s in n.slots)

    def count(self) -> int:
        """How many sentences (slots as placeholders) the template says."""
        paths = [0] * len(self.nodes)
        for node in reversed(self.nodes):
            paths[node.index] = int(node.final) + sum(paths[t.index] for _, t in node.arcs())
        return paths[0]

    def sample(self, n: int, rng: random.Random) -> list[tuple[Element, ...]]:
        """Up to ``n`` different sentences: all of them when there are no more, else walks
        that choose each next arc at random (a template of millions is never listed)."""
        if self.count() <= n:
            return list(self.sentences())
        out: dict[tuple[Element, ...], None] = {}
        for _ in range(n * 3):
            node, said = self.start, []
            while True:
                arcs = list(node.arcs())
                if not arcs or (node.final and rng.random() < 1 / (len(arcs) + 1)):
                    break
                label, node = rng.choice(arcs)
                said.append(label)
            out[tuple(said)] = None
            if len(out) >= n:
                break
        return list(out)

    def sentences(self, limit: int | None = None) -> Iterator[tuple[Element, ...]]:
        """Every sentence, as words and slot placeholders (at most ``limit``)."""
        count = 0
        stack: list[tuple[GrammarNode, tuple[Element, ...]]] = [(self.start, ())]
        while stack:
            node, said = stack.pop()
            if node.final:
                yield said
                count += 1
                if limit is not None and count >= limit:
                    return
            stack.extend((target, (*said, label)) for label, target in
                         reversed(list(node.arcs())))


def compile_template(seq: tpl.Sequence, rules: tpl.RuleLookup, normalise_run: NormaliseRun
                     ) -> TemplateGraph:
    """The graph of one parsed template; raises TemplateError."""
    builder = _Builder(rules, normalise_run)
    end = builder.sequence(seq, 0, depth=0)
    return builder.finish(end)


# --- building: a graph with empty moves, then without ------------------------------------------

_SEP = ("sep",)


class _Builder:
    def __init__(self, rules: tpl.RuleLookup, normalise_run: NormaliseRun) -> None:
        self.rules = rules
        self.normalise_run = normalise_run
        self.empty: list[list[int]] = [[]]  # state -> states reached saying nothing
        self.arcs: list[list[tuple[Element, int]]] = [[]]

    def new(self) -> int:
        self.empty.append([])
        self.arcs.append([])
        return len(self.arcs) - 1

    def sequence(self, seq: tpl.Sequence, state: int, depth: int) -> int:
        for atom in _resolve_glue(_atoms(seq), self.rules):
            if atom[0] == "words":
                for token in self.normalise_run(" ".join(atom[1])):
                    after = self.new()
                    self.arcs[state].append((token, after))
                    state = after
            elif atom[0] == "slot":
                after = self.new()
                self.arcs[state].append((atom[1], after))
                state = after
            else:
                state = self.group(atom[1], state, depth)
        return state

    def group(self, node: Group | RuleRef, state: int, depth: int) -> int:
        if isinstance(node, RuleRef):
            if depth >= MAX_RULE_DEPTH:
                raise TemplateError(f"rule <{node.name}> refers to itself")
            return self.sequence(self.rules(node.name), state, depth + 1)
        options: list[tpl.Sequence] = list(node.options)
        if node.permutation:
            if len(options) > MAX_PERMUTED:
                raise TemplateError(f"a permutation of {len(options)} parts; at most "
                                    f"{MAX_PERMUTED}")
            options = [tuple(n for opt in order for n in opt)
                       for order in itertools.permutations(options)]
        end = self.new()
        for option in options:
            self.empty[self.sequence(option, state, depth)].append(end)
        if node.optional:
            self.empty[state].append(end)
        return end

    def finish(self, end: int) -> TemplateGraph:
        closures: dict[int, frozenset[int]] = {}

        def closure(state: int) -> frozenset[int]:
            known = closures.get(state)
            if known is None:
                seen, stack = {state}, [state]
                while stack:
                    for nxt in self.empty[stack.pop()]:
                        if nxt not in seen:
                            seen.add(nxt)
                            stack.append(nxt)
                known = closures[state] = frozenset(seen)
            return known

        # the states worth keeping: the start and every state an arc leads to
        arcs: dict[int, set[tuple[Element, int]]] = {}
        final: dict[int, bool] = {}
        todo = [0]
        while todo:
            state = todo.pop()
            if state in arcs:
                continue
            reach = closure(state)
            arcs[state] = {arc for s in reach for arc in self.arcs[s]}
            final[state] = end in reach and state != 0  # the start: an empty sentence
            todo.extend(target for _, target in arcs[state])
        if not arcs[0]:
            raise TemplateError("the template says nothing")
        return _merge_and_order(arcs, final)


def _merge_and_order(arcs: dict[int, set[tuple[Element, int]]], final: dict[int, bool]
                     ) -> TemplateGraph:
    """Nodes that say the same rest of the sentence become one; then a topological order."""
    order = _topological(arcs)
    canonical: dict[int, int] = {}
    by_signature: dict[tuple, int] = {}
    for state in reversed(order):  # targets before their sources
        signature = (final[state], frozenset((label, canonical[t]) for label, t in arcs[state]))
        canonical[state] = by_signature.setdefault(signature, state)
    kept = [s for s in order if canonical[s] == s]
    nodes = {s: GrammarNode(i, final=final[s]) for i, s in enumerate(kept)}
    for state in kept:
        node = nodes[state]
        for label, target in sorted(arcs[state], key=lambda a: (str(a[0]), a[1])):
            goal = nodes[canonical[target]]
            table = node.words if isinstance(label, str) else node.slots
            targets = table.setdefault(label, [])  # type: ignore[arg-type]
            if goal not in targets:
                targets.append(goal)
    return TemplateGraph([nodes[s] for s in kept])


def _topological(arcs: dict[int, set[tuple[Element, int]]]) -> list[int]:
    incoming = dict.fromkeys(arcs, 0)
    for out in arcs.values():
        for _, target in out:
            incoming[target] += 1
    ready = [s for s, n in incoming.items() if n == 0]
    order: list[int] = []
    while ready:
        state = ready.pop()
        order.append(state)
        for _, target in sorted(arcs[state], key=lambda a: a[1]):
            incoming[target] -= 1
            if incoming[target] == 0:
                ready.append(target)
    assert order[0] == 0 and len(order) == len(arcs), "a template graph has no loops"
    return order


# --- words and glue ----------------------------------------------------------------------------

def _atoms(seq: tpl.Sequence) -> list[tuple]:
    """("w", word, glued_left, glued_right), ("sep",), ("g", group or rule), ("slot", ref)."""
    merged: list[tpl.Node] = []
    for node in seq:
        if isinstance(node, Text) and merged and isinstance(merged[-1], Text):
            merged[-1] = Text(merged[-1].text + node.text)
        else:
            merged.append(node)
    atoms: list[tuple] = []
    for node in merged:
        if isinstance(node, Text):
            words = node.text.split()
            if not words:
                atoms.append(_SEP)
                continue
            left, right = not node.text[0].isspace(), not node.text[-1].isspace()
            if not left:
                atoms.append(_SEP)
            for k, word in enumerate(words):
                if k:
                    atoms.append(_SEP)
                atoms.append(("w", word, left and k == 0, right and k == len(words) - 1))
            if not right:
                atoms.append(_SEP)
        elif isinstance(node, SlotRef):
            atoms.append(("slot", node))
        else:
            atoms.append(("g", node))
    return atoms


def _glued(a: tuple, b: tuple) -> bool:
    return ((a[0] == "w" and a[3] and b[0] == "g") or (a[0] == "g" and b[0] == "w" and b[2])
            or (a[0] == "g" and b[0] == "g"))


def _resolve_glue(atoms: list[tuple], rules: tpl.RuleLookup) -> list[tuple]:
    """Runs of words as ("words", [...]), groups, slots; a word glued to a group ("light[s]")
    is expanded with it into a group of whole words."""
    clusters: list[list[tuple]] = []
    for atom in atoms:
        if clusters and clusters[-1] and _glued(clusters[-1][-1], atom):
            clusters[-1].append(atom)
        else:
            clusters.append([atom])
    out: list[tuple] = []
    for cluster in clusters:
        if len(cluster) > 1:
            seq = tuple(Text(a[1]) if a[0] == "w" else a[1] for a in cluster)
            options = tuple(tuple(Text(f" {w} ") if isinstance(w, str) else w for w in words)
                            for words in tpl.expand(seq, rules))
            out.append(("g", Group(options)))
            continue
        atom = cluster[0]
        if atom[0] == "w":
            if out and out[-1][0] == "words":  # words apart only by spaces: one run
                out[-1][1].append(atom[1])
            else:
                out.append(("words", [atom[1]]))
        elif atom == _SEP:
            continue
        else:
            out.append(atom)
    return out
