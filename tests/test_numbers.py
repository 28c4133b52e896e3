"""Spoken numbers <-> values, including property tests against num2words as an oracle."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from num2words import num2words

from wanwan.asr.constrained import NUMBER_WORDS, number_ends, number_step
from wanwan.nlu.numbers_en import number_to_words, parse_number_at
from wanwan.nlu.text import UNIVERSAL_SYMBOLS, Language, normalise, tokens_text

EN = Language()


def value_of(text: str):
    tokens = normalise(text, EN)
    assert len(tokens) == 1 and tokens[0].is_number, tokens_text(tokens)
    return tokens[0].value


@pytest.mark.parametrize("text,value", [
    ("zero", 0), ("seven", 7), ("twelve", 12), ("fifty", 50), ("ninety nine", 99),
    ("one hundred and twenty five", 125), ("one hundred twenty five", 125),
    ("a hundred", 100), ("a thousand", 1000), ("twelve hundred", 1200),
    ("two thousand and fifty", 2050), ("one hundred thousand", 100000),
    ("ninety nine thousand nine hundred and ninety nine", 99999),
    ("twelve point five", 12.5), ("point five", 0.5), ("twelve point two five", 12.25),
    ("twelve and a half", 12.5), ("three and a quarter", 3.25),
    ("three and three quarters", 3.75), ("point oh five", 0.05),
    ("12.5", 12.5), ("50", 50), ("1,000", 1000), ("100000", 100000), (".5", 0.5),
    ("twenty-five", 25),
    # a fraction said alone, with its article: "half a cubic metre of gas"
    ("half a", 0.5), ("a quarter of a", 0.25), ("quarter of an", 0.25),
])
def test_number_words(text, value):
    assert value_of(text) == value


@pytest.mark.parametrize("text,expected", [
    ("log 50L", "log #50 l"),
    ("85%", "#85 percent"),
    ("Dewar 12.", "dewar #12"),
    ("what's the level in D-12?", "whats level in d #12"),
    ("twenty twenty", "#20 #20"),  # two numbers, not 2020 or 40
    ("five six", "#5 #6"),
    ("one two", "#1 #2"),
    ("oh no", "oh no"),  # "oh" alone is not zero
    ("and a half", "and half"),  # no number to attach to
    ("half full", "half full"),  # a fraction without its article is no amount
    ("point", "point"),
    ("3 m³", "#3 m #3"),
    ("Liters", "litres"),
])
def test_normalisation(text, expected):
    language = Language(spellings={"liters": "litres"}, ignore_words=frozenset({"the", "a"}),
                        symbols=UNIVERSAL_SYMBOLS | {"%": "percent"})
    assert tokens_text(normalise(text, language)) == expected


@settings(max_examples=400, deadline=None)
@given(st.integers(min_value=0, max_value=100_000))
def test_integer_words_round_trip(n):
    words = num2words(n, lang="en")  # "one hundred and twenty-five"
    assert value_of(words.replace(",", "")) == n
    assert value_of(str(n)) == n


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=9999), st.integers(min_value=1, max_value=99))
def test_decimal_words_round_trip(whole, frac):
    digits = f"{frac:02d}".rstrip("0")
    spoken = num2words(whole, lang="en").replace(",", "") + " point " + " ".join(
        num2words(int(d)) for d in digits)
    expected = float(f"{whole}.{digits}")
    assert value_of(spoken) == pytest.approx(expected)
    assert value_of(f"{whole}.{digits}") == pytest.approx(expected)


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=1, max_value=999))
def test_and_a_half(n):
    assert value_of(num2words(n).replace(",", "") + " and a half") == n + 0.5


def _said_by_grammar(words: list[str]) -> bool:
    kind = "n"
    for word in words:
        kind = number_step(kind, word)
        if kind is None:
            return False
    return number_ends(kind)


def test_numbers_the_whisper_grammar_lets_through_are_read_whole_by_the_parser():
    """The grammar's numbers in words are a subset of what the parser reads as one number:
    "twelve point and a" or "seven two" left sentences no intent could parse."""
    frontier, accepted = [("n", [])], 0
    for _ in range(4):
        frontier = [(after, [*words, word]) for kind, words in frontier for word in NUMBER_WORDS
                    if (after := number_step(kind, word)) is not None]
        for kind, words in frontier:
            if number_ends(kind):
                accepted += 1
                parsed = parse_number_at(words, 0)
                assert parsed is not None and parsed[1] == len(words), words
    assert accepted > 10_000
    for refused in ("seven two", "twelve point", "twelve point and a", "hundred", "oh five",
                    "a", "twenty thirty", "one hundred two hundred", "and a half"):
        assert not _said_by_grammar(refused.split()), refused


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.integers(0, 99_999), st.decimals(0, 999, places=2).map(float)))
def test_the_whisper_grammar_lets_every_number_be_said(value):
    for text in (number_to_words(value), num2words(value)):
        words = text.replace("-", " ").replace(",", "").split()
        assert _said_by_grammar(words), text
    for text in ("a hundred and fifty", "twelve and a half", "three and three quarters",
                 "point five", "fifteen hundred", "two thousand five hundred"):
        assert _said_by_grammar(text.split()), text
