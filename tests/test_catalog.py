"""The shipped catalogue's own test sentences, its size, and the contract of intents.md."""

from __future__ import annotations

from collections import Counter

import pytest

from wanwan.data import intents_folder
from wanwan.nlu import load_catalog

CATALOG = load_catalog(intents_folder("en"))
INTENT_CASES = [t for i in CATALOG.intents.values() for t in i.tests]
CONTRACT = {
    "start_transfer": True, "stop_transfer": False, "transfer_status": False,
    "read_level": False, "read_pressure": False, "days_until_empty": False,
    "log_volume": False, "undo_log": True, "stock_query": False, "recovery_summary": False,
    "gas_status": False, "compressor_control": True, "read_oxygen": False,
    "convert_units": False, "set_level_alert": False, "confirm": False, "cancel": False,
    "repeat": False, "help": False, "stop": False,
}


def test_contract_intents_present_with_actuating_flags():
    for name, actuating in CONTRACT.items():
        assert name in CATALOG.intents, name
        assert CATALOG.intents[name].actuating is actuating, name
        if actuating:
            assert CATALOG.intents[name].min_confidence > 0.85


def test_at_least_ten_varied_tests_per_intent():
    for intent in CATALOG.intents.values():
        texts = {t.text.lower() for t in intent.tests}
        assert len(texts) >= 10, f"{intent.name} has {len(texts)} test sentences"


def test_out_of_domain_set_is_large():
    assert len({t.text for t in CATALOG.reject_tests}) >= 200


@pytest.mark.parametrize("case", INTENT_CASES, ids=lambda c: f"{c.intent}:{c.text}")
def test_intent_sentences(engine, case):
    result = engine.parse(case.text)
    assert result.intent == case.intent, result.reason
    assert result.slots == case.slots
    for value in result.slots.values():
        assert not isinstance(value, float) or not value.is_integer()  # 50, never 50.0


@pytest.mark.parametrize("case", CATALOG.reject_tests, ids=lambda c: c.text)
def test_out_of_domain_rejected(engine, case):
    result = engine.parse(case.text)
    assert result.intent is None, f"accepted as {result.intent} ({result.confidence:.2f})"
    assert result.slots == {}


def test_reject_reasons_are_given(engine):
    reasons = Counter(engine.parse(t.text).reason is not None for t in CATALOG.reject_tests)
    assert reasons[True] == len(CATALOG.reject_tests)
