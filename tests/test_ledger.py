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


# --- records with evidence -----------------------------------------------------------------

def tamper(path, *statements):
    """What someone with the database file and sqlite3 can do: drop a trigger, change rows."""
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in statements:
        conn.execute(statement)
    conn.close()


@pytest.fixture
def written(tmp_path):
    path = tmp_path / "wanwan.sqlite3"
    store = Store(path)
    ledger = Ledger(store, Outbox(store), Topics())
    audit = Audit(store, Outbox(store), Topics())
    for n in (10, 20, 30):
        ledger.log(site="bay", amount=n, unit="L", phase="liquid", direction="dispensed",
                   lab="tanaka")
        audit.record("bay", "heard", text=f"log {n} litres")
    ledger.undo_last("bay", heard="undo that")
    assert store.verify() == []
    store.close()
    return path


@pytest.mark.parametrize(("statements", "finding"), [
    (["DROP TRIGGER ledger_no_update", "UPDATE ledger SET amount = 500 WHERE id = 2"],
     "ledger row 2: changed after it was written"),
    (["DROP TRIGGER ledger_no_delete", "DELETE FROM ledger WHERE id = 2"],
     "ledger row 3: the row before it was removed"),
    (["DROP TRIGGER ledger_no_delete", "DELETE FROM ledger WHERE id = 4"],
     "ledger: 1 row(s) after row 3 were removed"),
    (["INSERT INTO ledger (key, ts, site, amount, unit, phase, direction, prev_hash, row_hash)"
      " VALUES ('x', 1, 'bay', 99, 'L', 'liquid', 'dispensed', 'a', 'b')"],
     "ledger row 5: the row before it was removed, changed or slipped in"),
    (["DROP TRIGGER audit_no_update", "UPDATE audit SET detail = '{}' WHERE id = 1",
      "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'x'); "
      "END"], "audit row 1: changed after it was written"),
    (["DROP TRIGGER audit_no_delete"], "the triggers audit_no_delete were found missing"),
])
def test_a_record_changed_by_hand_is_named(written, statements, finding):
    tamper(written, *statements)
    store = Store(written)
    findings = store.verify()
    store.close()
    assert findings and finding in findings[0] + " ".join(findings)


def test_rows_cannot_be_changed_through_the_triggers(written):
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        tamper(written, "UPDATE ledger SET amount = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        tamper(written, "DELETE FROM audit")


def test_ledger_verify_and_export_from_the_command_line(written, monkeypatch):
    from tests.conftest import run_cli

    monkeypatch.setenv("WANWAN_DB", str(written))
    assert run_cli("ledger", "verify").returncode == 0
    assert run_cli("ledger", "export", "--csv").returncode == 0
    tamper(written, "DROP TRIGGER ledger_no_update", "UPDATE ledger SET amount = 5 WHERE id=1")
    proc = run_cli("ledger", "verify")
    assert proc.returncode == 1 and b"ledger row 1: changed" in proc.stdout
    refused = run_cli("ledger", "export", "--csv")
    assert refused.returncode == 2 and b"changed by hand" in refused.stderr
    forced = run_cli("ledger", "export", "--csv", "--force")
    assert forced.returncode == 0 and b",5," in forced.stdout


def test_a_database_of_the_first_schema_is_chained_and_loses_nothing(tmp_path):
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE ledger (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, ts REAL NOT NULL,
            site TEXT NOT NULL, amount REAL NOT NULL, unit TEXT NOT NULL, phase TEXT NOT NULL,
            direction TEXT NOT NULL, dewar TEXT, lab TEXT, heard TEXT NOT NULL DEFAULT '',
            undone_ts REAL);
        CREATE TABLE audit (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, ts REAL NOT NULL,
            site TEXT NOT NULL, kind TEXT NOT NULL, intent TEXT, confidence REAL,
            detail TEXT NOT NULL DEFAULT '{}');
        INSERT INTO ledger VALUES (1, 'a', 100, 'bay', 50, 'L', 'liquid', 'dispensed', '12',
            'tanaka', 'log fifty', NULL);
        INSERT INTO ledger VALUES (2, 'b', 200, 'bay', 7, 'L', 'liquid', 'dispensed', NULL,
            NULL, 'log seven', 250);
        INSERT INTO audit VALUES (1, 'k', 100, 'bay', 'heard', 'log_volume', 1.0, '{}');
    """)
    conn.close()
    store = Store(path)
    ledger = Ledger(store, Outbox(store), Topics())
    entries = ledger.entries()
    assert [(e.key, e.amount, e.undone, e.undone_ts) for e in entries] == [
        ("a", 50, False, None), ("b", 7, True, 250)]
    assert store.verify() == []
    assert len(store.query("SELECT * FROM ledger_v1")) == 2  # the old table is kept
    assert len(Audit(store, Outbox(store), Topics()).records()) == 1
    store.close()
