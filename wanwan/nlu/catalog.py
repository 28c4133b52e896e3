"""An intent folder (YAML) loaded into a :class:`Catalog`: language settings, slot lists,
expansion rules, intents with their templates and test sentences, and sentences to reject.

Any key may appear in any ``*.yaml`` file of the folder; files are merged, and a name defined
twice is an error. Nothing here knows about helium: the folder is data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wanwan.nlu import japanese
from wanwan.nlu import templates as tpl
from wanwan.nlu.graph import TemplateGraph, compile_template
from wanwan.nlu.text import UNIVERSAL_SYMBOLS, Language, Token, normalise, split_words
from wanwan.nlu.yamlfile import LocDict, LocList, YamlError, load

SlotValue = str | int | float

TOP_LEVEL_KEYS = {"language", "settings", "lists", "expansion_rules", "intents", "reject"}
INTENT_KEYS = {"description", "actuating", "min_confidence", "data", "tests", "response",
               "ends_turn", "question"}
DATA_KEYS = {"sentences", "slots"}
LIST_KEYS = {"values", "range", "external", "description", "qualifier", "place"}
RANGE_KEYS = {"from", "to", "decimals", "unit"}
LANGUAGE_KEYS = {"code", "spellings", "skip_words", "negations", "not_negations",
                 "asking_negations", "function_words", "ignore_words", "number_homophones",
                 "wake_soundalikes", "stop_words", "symbols", "lead_ins", "tail_outs",
                 "clause_openers", "clause_endings", "corrections", "question_openers",
                 "question_words", "habit_words", "later_words", "past_words", "pronouns",
                 "condition_words", "dismissals", "duty_markers", "clock_before",
                 "clock_after", "assistant_names", "done_phrases", "thing_words",
                 "describing_words", "thing_read_as", "described_before", "whether_words"}


class CatalogErrors(ValueError):
    """Every problem found while loading, each naming its file and line."""

    def __init__(self, errors: list[YamlError]) -> None:
        self.errors = errors
        lines = [str(e) for e in errors[:20]]
        if len(errors) > 20:
            lines.append(f"... and {len(errors) - 20} more")
        super().__init__("\n".join(lines))


@dataclass
class ListValue:
    spoken: str  # a template: "(litres|liters|l)"
    value: SlotValue
    line: int = 0


@dataclass
class SlotList:
    name: str
    values: list[ListValue] = field(default_factory=list)
    range_min: float | None = None
    range_max: float | None = None
    decimals: bool = False
    unit: str = ""
    external: bool = False
    from_site: bool = False  # values supplied by the site configuration (names of things)
    # says how to answer, not what about ("in litres"): a sentence that could go on with it
    # is still complete, for endpointing
    qualifier: bool = False
    # names where things are (rooms): said of a request that takes none, it only says where
    # the thing asked about is ("the gas bag in the recovery room")
    place: bool = False
    path: Path | None = None
    line: int = 0
    # compiled: spoken form (normalised token text) -> value
    phrases: dict[str, SlotValue] = field(default_factory=dict)
    max_words: int = 0

    @property
    def is_range(self) -> bool:
        return self.range_min is not None

    def in_range(self, value: float) -> bool:
        assert self.range_min is not None and self.range_max is not None
        if not self.decimals and not float(value).is_integer():
            return False
        return self.range_min <= value <= self.range_max


@dataclass(eq=False)
class Template:
    text: str
    intent: str
    path: Path
    line: int
    fixed_slots: dict[str, SlotValue]
    graph: TemplateGraph | None = None  # None when it did not compile (an error says why)

    def sentences(self, limit: int | None = None) -> list[tuple[str | tpl.SlotRef, ...]]:
        """What it says, as normalised words and slot placeholders (enumerated: for tools)."""
        return list(self.graph.sentences(limit)) if self.graph else []


@dataclass
class TestCase:
    text: str
    intent: str | None
    slots: dict[str, SlotValue]
    path: Path
    line: int


@dataclass
class Intent:
    name: str
    actuating: bool
    min_confidence: float
    description: str
    path: Path
    line: int
    templates: list[Template] = field(default_factory=list)
    tests: list[TestCase] = field(default_factory=list)
    response: str = ""
    # a sentence of this intent ends the turn at the first pause, whatever another intent
    # could make of more words ("stop": acting at once is always the safe reading)
    ends_turn: bool = False
    # a question, which changes nothing: the language's asking negations in it ask ("isn't
    # dewar seven empty?", 「空になってない？」) rather than refuse
    question: bool = False


@dataclass
class Catalog:
    folder: Path
    language: Language
    intents: dict[str, Intent]
    lists: dict[str, SlotList]
    rules: dict[str, tpl.Sequence]
    reject_tests: list[TestCase]
    settings: dict[str, Any]
    errors: list[YamlError] = field(default_factory=list)

    def normalise(self, text: str) -> list[Token]:
        return normalise(text, self.language)

    @property
    def tests(self) -> list[TestCase]:
        return [t for i in self.intents.values() for t in i.tests] + self.reject_tests


_PUNCTUATION = re.compile(r"[,、。]+")
_KANJI = re.compile(r"[\u4e00-\u9fff]")


DEFAULT_SETTINGS: dict[str, Any] = {
    "min_confidence": 0.78,
    "min_confidence_actuating": 0.9,
}


def _no_rules(name: str) -> tpl.Sequence:
    raise tpl.TemplateError(f"a phrase refers to no rule (<{name}>)")


class _Loader:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.errors: list[YamlError] = []
        self.language_raw: dict[str, Any] = {}
        self.language_where: dict[str, tuple[Path, int | None]] = {}  # key: file, line
        self.settings: dict[str, Any] = dict(DEFAULT_SETTINGS)
        self.lists: dict[str, SlotList] = {}
        self.rule_text: dict[str, tuple[str, Path, int]] = {}
        self.intents: dict[str, Intent] = {}
        self.raw_intents: list[tuple[str, LocDict, Path, int]] = []
        self.reject: list[TestCase] = []
        self.run_cache: dict[str, list[str]] = {}

    def error(self, message: str, path: Path, line: int | None = None) -> None:
        self.errors.append(YamlError(message, path, line))

    # -- files -------------------------------------------------------------------------------
    def read_folder(self) -> None:
        files = sorted(self.folder.glob("*.yaml")) + sorted(self.folder.glob("*.yml"))
        if not files:
            self.error("no *.yaml intent files in this folder", self.folder)
        for path in files:
            try:
                doc = load(path)
            except YamlError as exc:
                self.errors.append(exc)
                continue
            if doc is None:
                continue
            if not isinstance(doc, dict):
                self.error("the file must be a mapping (key: value) at the top", path, 1)
                continue
            self.read_doc(doc, path)

    def read_doc(self, doc: LocDict, path: Path) -> None:
        for key in doc:
            if key not in TOP_LEVEL_KEYS:
                self.error(f"unknown key {key!r} (expected one of {sorted(TOP_LEVEL_KEYS)})",
                           path, doc.line_of(key))
        if "language" in doc:
            self.read_language(doc["language"], path, doc.line_of("language"))
        if "settings" in doc:
            settings = doc["settings"]
            if isinstance(settings, dict):
                self.settings.update(settings)
            else:
                self.error("settings must be a mapping", path, doc.line_of("settings"))
        for name, body in _mapping(doc.get("lists"), "lists", path, doc, self):
            self.read_list(name, body, path, _line(doc.get("lists"), name))
        for name, body in _mapping(doc.get("expansion_rules"), "expansion_rules", path, doc, self):
            if name in self.rule_text:
                self.error(f"expansion rule <{name}> is defined twice", path,
                           _line(doc["expansion_rules"], name))
            elif not isinstance(body, str):
                self.error(f"expansion rule <{name}> must be a template string", path,
                           _line(doc["expansion_rules"], name))
            else:
                self.rule_text[name] = (body, path, _line(doc["expansion_rules"], name))
        for name, body in _mapping(doc.get("intents"), "intents", path, doc, self):
            self.raw_intents.append((name, body, path, _line(doc["intents"], name)))
        if "reject" in doc:
            sentences = doc["reject"]
            if not isinstance(sentences, list):
                self.error("reject must be a list of sentences", path, doc.line_of("reject"))
            else:
                for i, text in enumerate(sentences):
                    line = _item_line(sentences, i)
                    self.reject.append(TestCase(str(text), None, {}, path, line))

    def read_language(self, raw: Any, path: Path, line: int) -> None:
        if isinstance(raw, str):
            self.language_raw["code"] = raw
        elif isinstance(raw, dict):
            for key in raw:
                if key not in LANGUAGE_KEYS:
                    self.error(f"language: unknown key {key!r} (expected one of "
                               f"{sorted(LANGUAGE_KEYS)})", path, _line(raw, key))
                self.language_where[key] = (path, _line(raw, key))
                entries = raw[key] if isinstance(raw[key], list) else []
                for entry in entries:
                    if isinstance(entry, bool):  # YAML 1.1 reads no, yes, off, on as booleans
                        self.error(f"language: {key}: an entry was read as {entry!r} (YAML "
                                   f"takes no, yes, on, off for true and false): write the "
                                   f"word in quotes", path, _line(raw, key))
            self.language_raw.update(raw)
        else:
            self.error("language must be a code (en) or a mapping", path, line)

    def read_list(self, name: str, body: Any, path: Path, line: int) -> None:
        if name in self.lists:
            self.error(f"list {{{name}}} is defined twice", path, line)
            return
        slot_list = SlotList(name=name, path=path, line=line)
        if isinstance(body, list):
            body = {"values": body}
        if not isinstance(body, dict):
            self.error(f"list {{{name}}} must have 'values' or 'range'", path, line)
            return
        for key in body:
            if key not in LIST_KEYS:
                self.error(f"list {{{name}}}: unknown key {key!r}", path, _line(body, key))
        slot_list.external = bool(body.get("external", False))
        slot_list.from_site = slot_list.external
        slot_list.qualifier = self.flag(body, "qualifier", f"list {{{name}}}", path)
        slot_list.place = self.flag(body, "place", f"list {{{name}}}", path)
        if "range" in body:
            self.read_range(slot_list, body["range"], path, _line(body, "range"))
        values = body.get("values", [])
        if not isinstance(values, list):
            self.error(f"list {{{name}}}: values must be a list", path, _line(body, "values"))
            values = []
        for i, item in enumerate(values):
            vline = _item_line(values, i)
            if isinstance(item, dict):
                unknown = set(item) - {"in", "out"}
                if unknown or "in" not in item:
                    self.error(f"list {{{name}}}: a value needs 'in' (and optional 'out')",
                               path, vline)
                    continue
                spoken, out = str(item["in"]), item.get("out", item["in"])
            elif isinstance(item, (str, int, float)):
                spoken, out = str(item), item
            else:
                self.error(f"list {{{name}}}: bad value {item!r}", path, vline)
                continue
            slot_list.values.append(ListValue(spoken, out, vline))
        if not slot_list.is_range and not slot_list.values and not slot_list.external:
            self.error(f"list {{{name}}} has no values and no range", path, line)
        self.lists[name] = slot_list

    def flag(self, body: dict, key: str, where: str, path: Path) -> bool:
        """A yes/no key: ``true`` or ``false``, nothing YAML might have read otherwise."""
        value = body.get(key, False)
        if not isinstance(value, bool):
            self.error(f"{where}: {key} must be true or false, not {value!r}", path,
                       _line(body, key))
            return False
        return value

    def read_range(self, slot_list: SlotList, raw: Any, path: Path, line: int) -> None:
        if not isinstance(raw, dict) or "from" not in raw or "to" not in raw:
            self.error(f"list {{{slot_list.name}}}: range needs 'from' and 'to'", path, line)
            return
        for key in raw:
            if key not in RANGE_KEYS:
                self.error(f"list {{{slot_list.name}}}: unknown range key {key!r}", path,
                           _line(raw, key))
        try:
            slot_list.range_min = float(raw["from"])
            slot_list.range_max = float(raw["to"])
        except (TypeError, ValueError):
            self.error(f"list {{{slot_list.name}}}: range bounds must be numbers", path, line)
            slot_list.range_min = slot_list.range_max = None
            return
        if slot_list.range_min > slot_list.range_max:
            self.error(f"list {{{slot_list.name}}}: range 'from' is above 'to'", path, line)
        slot_list.decimals = bool(raw.get("decimals", False))
        slot_list.unit = str(raw.get("unit", ""))

    # -- compile -----------------------------------------------------------------------------
    def words(self, raw: Any, code: str) -> frozenset[str]:
        """A list of words as the language's words: as written where spaces part words, and
        in a language without spaces each entry's words as the analyser splits them
        ("お願い" is "お" + "願い" in a sentence, so both are fillers)."""
        entries = [str(w) for w in raw or []]
        plain = Language(code=code)
        if plain.spaced:
            return frozenset(entries)
        return frozenset(entries) | {w for e in entries for w in split_words(e, plain)}

    def markers(self, key: str, code: str) -> frozenset[str]:
        """Words that mark a sentence wherever they stand (``question_words``, ``habit_words``):
        each must be one word to the language's analyser, or it would mark by its parts
        (いつも is いつ + も, and も is in every other sentence)."""
        plain = Language(code=code)
        found: set[str] = set()
        for entry in map(str, self.language_raw.get(key) or []):
            parts = [t.text for t in normalise(entry, plain)]
            if len(parts) == 1:
                found.add(parts[0])
                continue
            path, line = self.language_where.get(key, (self.folder, None))
            self.error(f"language: {key}: {entry!r} is {len(parts)} words to the analyser "
                       f"({' + '.join(parts)}): write words it keeps whole", path, line)
        return frozenset(found)

    def phrases(self, key: str, code: str) -> tuple[tuple[str, ...], ...]:
        """The phrases of a language key (lead-ins, tail-outs, negations ...) as normalised
        words, longest first (in letters, for a language without spaces: 「か聞いてる」 before
        「聞いてる」, whatever the analyser cut them into), the same order in every process.
        An entry may be written as a template is, with alternatives and optional parts, so
        that the ways of wrapping a request are written once ("(i was wondering|is it
        possible) [if you could|to]"); it names no slot and no rule. Kept
        without the words a sentence is read without ("if you have a moment" is read "if you
        have moment", as the sentence it is said in is)."""
        plain = Language(code=code)
        ignored = self.words(self.language_raw.get("ignore_words"), code)
        words: set[tuple[str, ...]] = set()
        for entry in map(str, self.language_raw.get(key) or []):
            try:
                sayings = tpl.expand(tpl.parse(entry), _no_rules)
                if any(not isinstance(piece, str) for saying in sayings for piece in saying):
                    raise tpl.TemplateError("a phrase names no slot")
            except tpl.TemplateError as err:
                path, line = self.language_where.get(key, (self.folder, None))
                self.error(f"language: {key}: {entry!r}: {err}", path, line)
                continue
            for saying in sayings:
                words.add(tuple(t.text for t in normalise(" ".join(map(str, saying)), plain)
                                if t.text not in ignored))
        return tuple(sorted((w for w in words if w),
                            key=lambda w: (-len("".join(w)), -len(w), w)))

    def written_words(self, extra_lists: Mapping[str, Iterable[ListValue]] | None
                      ) -> frozenset[str]:
        """The words the templates, rules and lists write apart, with a kanji in them and
        more than one character (圧縮機, 田中研; not はい, which is also the start of はいって):
        in a language without spaces, what the author wrote as one word. And the loanwords
        of three letters or more (デュワー, リットル), which a recogniser or a typist may write
        in hiragana (でゅわー): the analyser knows them in neither writing, and cuts the
        hiragana into letters."""
        texts = [text for text, _, _ in self.rule_text.values()]
        for _, body, _, _ in self.raw_intents:
            for block in (body.get("data") or []) if isinstance(body, dict) else []:
                if isinstance(block, dict) and isinstance(block.get("sentences"), list):
                    texts += map(str, block["sentences"])
        texts += [v.spoken for slot_list in self.lists.values() for v in slot_list.values]
        texts += [v.spoken for extra in (extra_lists or {}).values() for v in extra]
        found: set[str] = set()
        for text in texts:
            try:
                written = tpl.written_words(tpl.parse(text))
            except tpl.TemplateError:
                continue  # reported where the template is compiled
            found.update(w for word in written for w in _PUNCTUATION.split(word)
                         if (len(w) > 1 and _KANJI.search(w))
                         or (len(w) > 2 and japanese.written_in_katakana(w)))
        return frozenset(found)

    def build(self, extra_lists: Mapping[str, Iterable[ListValue]] | None) -> Catalog:
        lang = self.language_raw
        language_code = str(lang.get("code", self.folder.name or "en"))
        negations = self.phrases("negations", language_code)
        language = Language(
            code=language_code,
            spellings={str(k): str(v) for k, v in (lang.get("spellings") or {}).items()
                       if len(str(k).split()) == 1},
            # a key of several words is a run of them, written as the analyser cuts it
            spelled_runs=tuple(sorted(
                ((tuple(str(k).split()), tuple(str(v).split()))
                 for k, v in (lang.get("spellings") or {}).items() if len(str(k).split()) > 1),
                key=lambda run: -len(run[0]))),
            skip_words=self.words(lang.get("skip_words"), language_code),
            negations=frozenset(p[0] for p in negations if len(p) == 1),
            negation_phrases=tuple(p for p in negations if len(p) > 1),
            not_negations=self.phrases("not_negations", language_code),
            asking_negations=self.words(lang.get("asking_negations"), language_code),
            function_words=self.words(lang.get("function_words"), language_code),
            ignore_words=self.words(lang.get("ignore_words"), language_code),
            number_homophones={str(k): int(v) for k, v in
                               (lang.get("number_homophones") or {}).items()},
            wake_soundalikes=frozenset(map(str, lang.get("wake_soundalikes") or [])),
            stop_words=frozenset(map(str, lang.get("stop_words") or [])),
            symbols=UNIVERSAL_SYMBOLS | {str(k): str(v) for k, v in
                                         (lang.get("symbols") or {}).items()},
            lead_ins=self.phrases("lead_ins", language_code),
            tail_outs=self.phrases("tail_outs", language_code),
            clause_openers=self.markers("clause_openers", language_code),
            question_openers=self.markers("question_openers", language_code),
            question_words=self.markers("question_words", language_code),
            whether_words=self.markers("whether_words", language_code),
            habit_words=self.markers("habit_words", language_code),
            later_words=self.markers("later_words", language_code),
            past_words=self.markers("past_words", language_code),
            pronouns=self.markers("pronouns", language_code),
            condition_words=self.markers("condition_words", language_code),
            clause_endings=self.phrases("clause_endings", language_code),
            corrections=self.phrases("corrections", language_code),
            dismissals=self.phrases("dismissals", language_code),
            duty_markers=self.phrases("duty_markers", language_code),
            clock_before=self.phrases("clock_before", language_code),
            clock_after=self.phrases("clock_after", language_code),
            done_phrases=self.phrases("done_phrases", language_code),
            thing_words=self.words(lang.get("thing_words"), language_code),
            describing_words=self.words(lang.get("describing_words"), language_code),
            thing_read_as=str(lang.get("thing_read_as") or ""),
            described_before=bool(lang.get("described_before", False)),
            assistant_names=tuple(str(n) for n in lang.get("assistant_names") or []),
            written_words=frozenset() if Language(code=language_code).spaced
            else self.written_words(extra_lists),
        )
        for name, values in (extra_lists or {}).items():
            target = self.lists.get(name)
            if target is None:
                continue  # the site knows lists this intent folder does not use
            # a site names things in every language it speaks (田中研, Tanaka lab): each
            # catalogue keeps the names its language can say
            target.values = [_sayable(v, language) for v in values]
            target.external = False
            target.from_site = True
        for slot_list in self.lists.values():
            self.compile_list(slot_list, language)

        rules: dict[str, tpl.Sequence] = {}
        for name, (text, path, line) in self.rule_text.items():
            try:
                rules[name] = tpl.parse(text)
            except tpl.TemplateError as exc:
                self.error(f"expansion rule <{name}>: {exc}", path, line)
                rules[name] = ()

        def rule_lookup(name: str) -> tpl.Sequence:
            if name not in rules:
                raise tpl.TemplateError(f"unknown expansion rule <{name}>")
            return rules[name]

        min_default = float(self.settings["min_confidence"])
        min_actuating = float(self.settings["min_confidence_actuating"])
        for name, body, path, line in self.raw_intents:
            if name in self.intents:
                self.error(f"intent {name!r} is defined twice", path, line)
                continue
            if not isinstance(body, dict):
                self.error(f"intent {name!r} must be a mapping with 'data'", path, line)
                continue
            for key in body:
                if key not in INTENT_KEYS:
                    self.error(f"intent {name!r}: unknown key {key!r}", path, _line(body, key))
            actuating = self.flag(body, "actuating", f"intent {name!r}", path)
            intent = Intent(
                name=name,
                actuating=actuating,
                min_confidence=float(body.get(
                    "min_confidence", min_actuating if actuating else min_default)),
                description=str(body.get("description", "")),
                path=path,
                line=line,
                response=str(body.get("response", "")),
                ends_turn=self.flag(body, "ends_turn", f"intent {name!r}", path),
                question=self.flag(body, "question", f"intent {name!r}", path),
            )
            if intent.question and intent.actuating:
                self.error(f"intent {name!r}: a question cannot be actuating", path, line)
            self.intents[name] = intent
            self.read_data(intent, body.get("data"), path, _line(body, "data"), language,
                           rule_lookup)
            self.read_tests(intent, body.get("tests"), path, _line(body, "tests"))

        catalog = Catalog(self.folder, language, self.intents, self.lists, rules, self.reject,
                          self.settings, self.errors)
        return catalog

    def compile_list(self, slot_list: SlotList, language: Language) -> None:
        slot_list.phrases = {}
        for value in slot_list.values:
            try:
                spoken_forms = tpl.expand(tpl.parse(value.spoken), lambda n: ())
            except tpl.TemplateError as exc:
                self.error(f"list {{{slot_list.name}}} value {value.spoken!r}: {exc}",
                           slot_list.path or self.folder, value.line)
                continue
            for words in spoken_forms:
                if any(isinstance(w, tpl.SlotRef) for w in words):
                    self.error(f"list {{{slot_list.name}}}: a value cannot contain a slot",
                               slot_list.path or self.folder, value.line)
                    break
                key = " ".join(t.text for t in normalise(" ".join(map(str, words)), language))
                if not key:
                    continue
                previous = slot_list.phrases.get(key)
                if previous is not None and previous != value.value:
                    self.error(
                        f"list {{{slot_list.name}}}: {key!r} means both {previous!r} and "
                        f"{value.value!r}", slot_list.path or self.folder, value.line)
                slot_list.phrases[key] = value.value
                slot_list.max_words = max(slot_list.max_words, len(key.split()))

    def read_data(self, intent: Intent, data: Any, path: Path, line: int, language: Language,
                  rule_lookup: tpl.RuleLookup) -> None:
        if not isinstance(data, list) or not data:
            self.error(f"intent {intent.name!r} needs 'data': a list of blocks with sentences",
                       path, line)
            return
        for bi, block in enumerate(data):
            bline = _item_line(data, bi)
            if not isinstance(block, dict) or "sentences" not in block:
                self.error(f"intent {intent.name!r}: each data block needs 'sentences'", path,
                           bline)
                continue
            for key in block:
                if key not in DATA_KEYS:
                    self.error(f"intent {intent.name!r}: unknown key {key!r} in a data block",
                               path, _line(block, key))
            fixed = block.get("slots") or {}
            if not isinstance(fixed, dict):
                self.error("slots must be a mapping of slot: value", path, _line(block, "slots"))
                fixed = {}
            sentences = block["sentences"]
            if not isinstance(sentences, list):
                self.error("sentences must be a list", path, _line(block, "sentences"))
                continue
            for si, text in enumerate(sentences):
                sline = _item_line(sentences, si)
                template = Template(str(text), intent.name, path, sline, dict(fixed))
                self.compile_template(template, language, rule_lookup)
                intent.templates.append(template)

    def compile_template(self, template: Template, language: Language,
                         rule_lookup: tpl.RuleLookup) -> None:
        where = (template.path, template.line)

        def normalise_run(text: str) -> list[str]:
            words = self.run_cache.get(text)
            if words is None:
                words = self.run_cache[text] = [t.text for t in normalise(text, language)]
            return words

        try:
            graph = compile_template(tpl.parse(template.text), rule_lookup, normalise_run)
        except tpl.TemplateError as exc:
            col = f" (column {exc.column})" if exc.column else ""
            self.error(f"template {template.text!r}: {exc}{col}", *where)
            return
        unknown = sorted({ref.list_name for ref in graph.slot_refs} - set(self.lists))
        if unknown:
            self.error(f"template {template.text!r}: unknown list {{{unknown[0]}}}", *where)
            return
        template.graph = graph

    def read_tests(self, intent: Intent, tests: Any, path: Path, line: int) -> None:
        if tests is None:
            return
        if not isinstance(tests, list):
            self.error(f"intent {intent.name!r}: tests must be a list", path, line)
            return
        for i, case in enumerate(tests):
            cline = _item_line(tests, i)
            if isinstance(case, str):
                intent.tests.append(TestCase(case, intent.name, {}, path, cline))
            elif isinstance(case, dict) and "text" in case:
                slots = case.get("slots") or {}
                intent.tests.append(TestCase(str(case["text"]), intent.name, dict(slots), path,
                                             cline))
            else:
                self.error(f"intent {intent.name!r}: a test is a sentence or text+slots", path,
                           cline)


def _mapping(value: Any, key: str, path: Path, doc: LocDict, loader: _Loader):
    if value is None:
        return []
    if not isinstance(value, dict):
        loader.error(f"{key} must be a mapping", path, doc.line_of(key))
        return []
    return list(value.items())


def _line(container: Any, key: Any) -> int:
    if isinstance(container, LocDict):
        return container.line_of(key)
    return 0


def _item_line(container: Any, index: int) -> int:
    if isinstance(container, LocList):
        return container.line_of(index)
    return 0


def _sayable(value: ListValue, language: Language) -> ListValue:
    """``value`` with only the alternatives written in the language's script (the id, at
    least, always stays)."""
    inner = value.spoken.strip()
    if not (inner.startswith("(") and inner.endswith(")")):
        return value
    forms = inner[1:-1].split("|")
    kept = [f for f in forms if language.can_write(f)] or forms[:1]
    return ListValue("(" + "|".join(kept) + ")", value.value, value.line)


def load_catalog(folder: Path | str, extra_lists: Mapping[str, Iterable[ListValue]] | None = None,
                 *, strict: bool = True) -> Catalog:
    """Load an intent folder. ``extra_lists`` (from the site config) replace lists by name.

    With ``strict`` any problem raises :class:`CatalogErrors`; otherwise problems are kept in
    ``catalog.errors`` (``wanwan intents check`` reports them all).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise CatalogErrors([YamlError("intent folder not found", folder)])
    loader = _Loader(folder)
    loader.read_folder()
    catalog = loader.build(extra_lists)
    if strict and catalog.errors:
        raise CatalogErrors(catalog.errors)
    return catalog
