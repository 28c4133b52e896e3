"""The template language, after hassil: ``(a|b)`` alternatives, ``(a; b)`` permutations,
``[opt]`` optional parts, ``{list}`` / ``{list:slot}`` slot references and ``<rule>`` expansion
rules. Text glued to a group joins the same word: ``light[s]`` gives "light" and "lights".

A template is parsed into a small tree, then expanded into every word sequence it can say, with
slot references left as placeholders. Both matchers work on those expansions.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

MAX_EXPANSIONS = 20_000


class TemplateError(ValueError):
    """A template that cannot be parsed or expanded; ``column`` is 1-based."""

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.column = column


@dataclass(frozen=True)
class Text:
    text: str


class SlotRef(NamedTuple):  # a tuple: hashed in C, and compiled catalogues hold many
    list_name: str
    slot_name: str

    @property
    def kept(self) -> bool:
        """Whether the value goes into the answer: a slot named with "_" ({figure:_figure},
        the figure a question is asked against) is said and range-checked, not kept."""
        return not self.slot_name.startswith("_")


@dataclass(frozen=True)
class RuleRef:
    name: str


@dataclass(frozen=True)
class Group:
    options: tuple[tuple[Node, ...], ...]
    optional: bool = False
    permutation: bool = False


Node = Text | SlotRef | RuleRef | Group
Sequence = tuple[Node, ...]

_CLOSERS = {"(": ")", "[": "]"}


def parse(template: str) -> Sequence:
    """Parse one template into a sequence of nodes; raises TemplateError with the column."""
    seq, pos = _parse_seq(template, 0, closer=None)
    if pos != len(template):  # pragma: no cover - _parse_seq consumes all or raises
        raise TemplateError(f"unexpected {template[pos]!r}", pos + 1)
    return seq


def _parse_seq(s: str, pos: int, closer: str | None) -> tuple[Sequence, int]:
    """Parse until ``closer`` (exclusive); returns alternatives joined later by the caller."""
    nodes: list[Node] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            nodes.append(Text("".join(buf)))
            buf.clear()

    while pos < len(s):
        ch = s[pos]
        if closer is not None and ch in (closer, "|", ";"):
            break
        if ch in "([":
            flush()
            group, pos = _parse_group(s, pos)
            nodes.append(group)
            continue
        if ch in ")]|;":
            raise TemplateError(f"unexpected {ch!r} outside a group", pos + 1)
        if ch in "{<":
            flush()
            end_ch = "}" if ch == "{" else ">"
            end = s.find(end_ch, pos + 1)
            if end < 0:
                raise TemplateError(f"{ch!r} is never closed with {end_ch!r}", pos + 1)
            name = s[pos + 1 : end].strip()
            if not name or any(c in name for c in "{}<>()[]|; "):
                raise TemplateError(f"bad name {s[pos:end + 1]!r}", pos + 1)
            if ch == "{":
                list_name, _, slot_name = name.partition(":")
                nodes.append(SlotRef(list_name, slot_name or list_name))
            else:
                nodes.append(RuleRef(name))
            pos = end + 1
            continue
        if ch in "}>":
            raise TemplateError(f"unexpected {ch!r}", pos + 1)
        buf.append(ch)
        pos += 1
    flush()
    return tuple(nodes), pos


def _parse_group(s: str, pos: int) -> tuple[Group, int]:
    opener = s[pos]
    closer = _CLOSERS[opener]
    start = pos
    pos += 1
    options: list[Sequence] = []
    separators: set[str] = set()
    while True:
        seq, pos = _parse_seq(s, pos, closer)
        options.append(seq)
        if pos >= len(s):
            raise TemplateError(f"{opener!r} is never closed with {closer!r}", start + 1)
        if s[pos] == closer:
            pos += 1
            break
        separators.add(s[pos])
        pos += 1
    if separators == {"|", ";"}:
        raise TemplateError("a group mixes '|' and ';'", start + 1)
    permutation = separators == {";"}
    if permutation:
        # each permuted item is its own word group: "(a; b)" says "a b" or "b a"
        options = [(Text(" "), *opt, Text(" ")) for opt in options]
    return Group(tuple(options), optional=opener == "[", permutation=permutation), pos


# --- expansion ------------------------------------------------------------------------------

Piece = str | SlotRef
RuleLookup = Callable[[str], Sequence]


def expand(seq: Sequence, rules: RuleLookup, limit: int = MAX_EXPANSIONS) -> list[list[Piece]]:
    """Every sentence ``seq`` can say, as lists of words and slot placeholders."""
    raw = _expand_seq(seq, rules, limit, depth=0)
    out: list[list[Piece]] = []
    seen: set[tuple] = set()
    for pieces in raw:
        words = _to_words(pieces)
        key = tuple(words)
        if key not in seen:
            seen.add(key)
            out.append(words)
    return out


def _expand_seq(seq: Sequence, rules: RuleLookup, limit: int, depth: int) -> list[list[Piece]]:
    results: list[list[Piece]] = [[]]
    for node in seq:
        alternatives = _expand_node(node, rules, limit, depth)
        if len(results) * len(alternatives) > limit:
            raise TemplateError(f"expands to more than {limit} sentences; split it up")
        results = [a + b for a in results for b in alternatives]
    return results


def _expand_node(node: Node, rules: RuleLookup, limit: int, depth: int) -> list[list[Piece]]:
    if isinstance(node, Text):
        return [[node.text]]
    if isinstance(node, SlotRef):
        return [[node]]
    if isinstance(node, RuleRef):
        if depth > 20:
            raise TemplateError(f"rule <{node.name}> refers to itself")
        return _expand_seq(rules(node.name), rules, limit, depth + 1)
    alternatives: list[list[Piece]] = []
    if node.permutation:
        for order in itertools.permutations(node.options):
            flat: Sequence = tuple(n for opt in order for n in opt)
            alternatives.extend(_expand_seq(flat, rules, limit, depth))
    else:
        for option in node.options:
            alternatives.extend(_expand_seq(option, rules, limit, depth))
    if node.optional:
        alternatives.append([])
    return alternatives


def _to_words(pieces: list[Piece]) -> list[Piece]:
    """Join adjacent text, split on white space; slots stand alone as words."""
    words: list[Piece] = []
    buf: list[str] = []

    def flush() -> None:
        words.extend("".join(buf).split())
        buf.clear()

    for piece in pieces:
        if isinstance(piece, SlotRef):
            flush()
            words.append(piece)
        else:
            buf.append(piece)
    flush()
    return words


def references(seq: Sequence) -> tuple[set[SlotRef], set[str]]:
    """Slot references and rule names used directly in ``seq``."""
    slots: set[SlotRef] = set()
    rules: set[str] = set()
    stack: list[Node] = list(seq)
    while stack:
        node = stack.pop()
        if isinstance(node, SlotRef):
            slots.add(node)
        elif isinstance(node, RuleRef):
            rules.add(node.name)
        elif isinstance(node, Group):
            for opt in node.options:
                stack.extend(opt)
    return slots, rules


def written_words(seq: Sequence) -> list[str]:
    """The words ``seq`` writes itself, in every option, as the author spaced them: text
    split on white space (a word run into a group, "取り消し(て|た)", ends at the group)."""
    words: list[str] = []
    stack: list[Node] = list(seq)
    while stack:
        node = stack.pop()
        if isinstance(node, Text):
            words += node.text.split()
        elif isinstance(node, Group):
            for opt in node.options:
                stack.extend(opt)
    return words
