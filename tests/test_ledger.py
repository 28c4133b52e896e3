"""The ledger, the append-only audit log and the outbox, on a real SQLite file."""

from __future__ import annotations

import csv
import datetime as dt
import io
import sqlite3

import pytest

from wanwan.bus.outbox import Outbox
from wanwan.bus.topics import Topics
from wanwan.ledger import Audit, Ledger, period_bounds
from wanwan.store import Store


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "ledger.sqlite3")
    yield s
    s.close()


def test_log_undo_export(store):
    outbox = Outbox(store)
    ledger = Ledger(store, outbox, Topics())
    ledger.log(site="a", amount=50, unit="L", phase="liquid", direction="dispensed",
               lab="tanaka", dewar="12", heard="log fifty litres to tanaka lab")
    ledger.log(site="b", amount=3, unit="m3", phase="gas", direction="recovered")
    ledger.log(site="a", amount=12.5, unit="L", phase="liquid", direction="dispensed")
    undone = ledger.undo_last("a")
    assert undone.amount == 12.5 and undone.undone
    assert ledger.undo_last("a").amount == 50
    assert ledger.undo_last("a") is None  # nothing left at site a
    assert [e.undone for e in ledger.entries()] == [True, False, True]  # kept, marked
    out = io.StringIO()
    assert ledger.export_csv(out) == 3
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows[0]["amount"] == "50" and rows[0]["lab"] == "tanaka" and rows[0]["undone"]
    assert rows[2]["amount"] == "12.5"
    # every entry and every undo is queued for the bus, once, with its key
    assert outbox.counts()["pending"] == 5


def test_totals_and_recovery_rate(store):
    ledger = Ledger(store, Outbox(store), Topics())
    for amount in (100, 100):
        ledger.log(site="a", amount=amount, unit="L", phase="liquid", direction="dispensed")
    ledger.log(site="a", amount=112, unit="m3", phase="gas", direction="recovered")
    ledger.log(site="a", amount=999, unit="L", phase="liquid", direction="dispensed")
    ledger.undo_last("a")
    t = ledger.totals(0, 1e12, 0.7)
    assert t["supplied_l"] == 200 and t["recovered_m3"] == 112
    assert t["rate"] == pytest.approx(112 / 140)


def test_audit_is_append_only(store):
    audit = Audit(store, Outbox(store), Topics())
    audit.record("bay", "heard", intent="stop", confidence=0.9, text="stop", kind="any key")
    assert audit.records("bay")[0]["detail"]["kind"] == "any key"
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.conn.execute("UPDATE audit SET site = 'x'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.conn.execute("DELETE FROM audit")


def test_inflight_rows_are_resent_after_a_restart(tmp_path):
    store = Store(tmp_path / "x.sqlite3")
    Ledger(store, Outbox(store), Topics()).log(site="a", amount=1, unit="L", phase="liquid",
                                               direction="dispensed")
    store.conn.execute("UPDATE outbox SET state = 'inflight'")
    assert Outbox(store).counts() == {"pending": 1, "inflight": 0, "delivered": 0}


def test_period_bounds():
    now = dt.datetime(2026, 11, 28, 15, 0).astimezone()
    start, end, words = period_bounds("last_month", now)
    assert dt.datetime.fromtimestamp(start).date() == dt.date(2026, 10, 1)
    assert dt.datetime.fromtimestamp(end).date() == dt.date(2026, 11, 1)
    start, _, _ = period_bounds("this_week", now)
    assert dt.datetime.fromtimestamp(start).date() == dt.date(2026, 11, 23)  # a Monday
    start, end, words = period_bounds("last_week", now)
    assert (end - start) == pytest.approx(7 * 86400, abs=3601) and words == "last week"
    with pytest.raises(ValueError):
        period_bounds("yesterday", now)
