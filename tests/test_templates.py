from __future__ import annotations

import pytest

from wanwan.nlu.templates import SlotRef, TemplateError, expand, parse


def sentences(template: str, rules: dict[str, str] | None = None) -> set[str]:
    rules = rules or {}
    out = set()
    for words in expand(parse(template), lambda name: parse(rules[name])):
        out.add(" ".join(w if isinstance(w, str) else "{" + w.slot_name + "}" for w in words))
    return out


def test_alternatives_and_optionals():
    assert sentences("(start|begin) [the] transfer") == {
        "start the transfer", "start transfer", "begin the transfer", "begin transfer"}


def test_glued_optional_forms_one_word():
    assert sentences("light[s] on") == {"light on", "lights on"}
    assert sentences("(start|stop)s") == {"starts", "stops"}


def test_permutation():
    assert sentences("log (to {lab}; from {dewar})") == {
        "log to {lab} from {dewar}", "log from {dewar} to {lab}"}


def test_slot_names_and_rules():
    words = expand(parse("fill {vessel:target} <to>"), lambda name: parse("to {pct:level}"))
    assert words == [["fill", SlotRef("vessel", "target"), "to", SlotRef("pct", "level")]]


def test_empty_alternative_and_nested():
    assert sentences("a (b|) c") == {"a b c", "a c"}
    assert sentences("x [y [z]]") == {"x", "x y", "x y z"}


@pytest.mark.parametrize("bad,fragment,column", [
    ("(start|begin transfer", "never closed", 1),
    ("start] transfer", "outside a group", 6),
    ("log {amount litres", "never closed", 5),
    ("log {} litres", "bad name", 5),
    ("(a|b;c)", "mixes", 1),
    ("stop > now", "unexpected", 6),
])
def test_syntax_errors_have_columns(bad, fragment, column):
    with pytest.raises(TemplateError) as info:
        parse(bad)
    assert fragment in str(info.value)
    assert info.value.column == column


def test_unknown_rule_and_explosion():
    with pytest.raises(TemplateError, match="unknown"):
        expand(parse("say <nothing>"), lambda name: (_ for _ in ()).throw(
            TemplateError(f"unknown expansion rule <{name}>")))
    with pytest.raises(TemplateError, match="more than"):
        expand(parse("[a|b|c] " * 12), lambda name: ())
