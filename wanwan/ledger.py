"""The ledger of litres dispensed and gas recovered, and the append-only audit log.

Both write to the local SQLite store and queue their bus message in the same transaction
(:class:`~wanwan.bus.outbox.Outbox`), so nothing is lost when the broker is away.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import time
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import IO, Any

from wanwan.bus.messages import AuditMessage, LedgerEntryMessage
from wanwan.bus.outbox import Outbox
from wanwan.bus.topics import Topics
from wanwan.store import Store

PERIODS = ("today", "this_week", "last_week", "this_month", "last_month", "this_year")


@dataclass
class LedgerEntry:
    id: int
    key: str
    ts: float
    site: str
    amount: float
    unit: str
    phase: str
    direction: str
    dewar: str | None
    lab: str | None
    heard: str
    undone_ts: float | None

    @property
    def undone(self) -> bool:
        return self.undone_ts is not None

    def message(self) -> LedgerEntryMessage:
        return LedgerEntryMessage(key=self.key, ts=self.ts, site=self.site, amount=self.amount,
                                  unit=self.unit, phase=self.phase, direction=self.direction,
                                  dewar=self.dewar, lab=self.lab, heard=self.heard,
                                  undone=self.undone)


class Ledger:
    """Litres dispensed and gas recovered, each entry written with its outgoing message in
    one transaction; an entry is never deleted, only marked undone."""

    def __init__(self, store: Store, outbox: Outbox, topics: Topics) -> None:
        self.store = store
        self.outbox = outbox
        self.topics = topics

    def log(self, *, site: str, amount: float, unit: str, phase: str, direction: str,
            dewar: str | None = None, lab: str | None = None, heard: str = "",
            ts: float | None = None, key: str | None = None) -> LedgerEntry:
        key = key or uuid.uuid4().hex
        ts = ts if ts is not None else time.time()
        with self.store.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO ledger (key, ts, site, amount, unit, phase, direction, dewar, lab,"
                " heard) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (key, ts, site, amount, unit, phase, direction, dewar, lab, heard))
            entry = LedgerEntry(cur.lastrowid or 0, key, ts, site, amount, unit, phase,
                                direction, dewar, lab, heard, None)
            self.outbox.add(conn, key, self.topics.ledger, entry.message())
        return entry

    def undo_last(self, site: str) -> LedgerEntry | None:
        """Mark the newest live entry of ``site`` as undone (never deleted)."""
        with self.store.transaction() as conn:
            conn.row_factory = None
            row = conn.execute("SELECT * FROM ledger WHERE site = ? AND undone_ts IS NULL "
                               "ORDER BY id DESC LIMIT 1", (site,)).fetchone()
            if row is None:
                return None
            entry = LedgerEntry(*row)
            entry.undone_ts = time.time()
            conn.execute("UPDATE ledger SET undone_ts = ? WHERE id = ?",
                         (entry.undone_ts, entry.id))
            self.outbox.add(conn, f"{entry.key}:undo", self.topics.ledger, entry.message())
        return entry

    def entries(self, since: float | None = None, until: float | None = None,
                include_undone: bool = True) -> list[LedgerEntry]:
        sql = "SELECT * FROM ledger WHERE ts >= ? AND ts < ?"
        if not include_undone:
            sql += " AND undone_ts IS NULL"
        rows = self.store.query(sql + " ORDER BY ts, id",
                                (since if since is not None else 0.0,
                                 until if until is not None else 1e18))
        return [LedgerEntry(*tuple(r)) for r in rows]

    def totals(self, since: float, until: float, litres_to_m3: float) -> dict[str, float]:
        """Live (not undone) totals: supplied litres, recovered m3, and the recovery rate."""
        supplied_l = recovered_m3 = 0.0
        for e in self.entries(since, until, include_undone=False):
            volume_m3 = e.amount if e.unit == "m3" else e.amount * litres_to_m3
            if e.direction == "dispensed":
                supplied_l += e.amount if e.unit == "L" else e.amount / litres_to_m3
            else:
                recovered_m3 += volume_m3
        supplied_m3 = supplied_l * litres_to_m3
        rate = recovered_m3 / supplied_m3 if supplied_m3 else None
        return {"supplied_l": supplied_l, "supplied_m3": supplied_m3,
                "recovered_m3": recovered_m3, "rate": rate if rate is not None else -1.0}

    def export_csv(self, stream: IO[str]) -> int:
        entries = self.entries()
        writer = csv.writer(stream)
        writer.writerow(["id", "time", "site", "amount", "unit", "phase", "direction", "dewar",
                         "lab", "heard", "undone", "key"])
        for e in entries:
            writer.writerow([e.id, _iso(e.ts), e.site, _num(e.amount), e.unit, e.phase,
                             e.direction, e.dewar or "", e.lab or "", e.heard,
                             _iso(e.undone_ts) if e.undone_ts else "", e.key])
        return len(entries)


class Audit:
    """Every heard command, decision, command sent, acknowledgement and alarm (append-only:
    SQLite triggers refuse UPDATE and DELETE)."""

    def __init__(self, store: Store, outbox: Outbox, topics: Topics) -> None:
        self.store = store
        self.outbox = outbox
        self.topics = topics

    def record(self, site: str, kind: str, /, *, intent: str | None = None,
               confidence: float | None = None, **detail: Any) -> None:
        """``site`` and ``kind`` are positional-only so that any detail key (even "kind")
        can be recorded."""
        key = uuid.uuid4().hex
        ts = time.time()
        detail = {k: v for k, v in detail.items() if v is not None}
        with self.store.transaction() as conn:
            conn.execute("INSERT INTO audit (key, ts, site, kind, intent, confidence, detail) "
                         "VALUES (?,?,?,?,?,?,?)",
                         (key, ts, site, kind, intent, confidence,
                          json.dumps(detail, default=str, ensure_ascii=False)))
            message = AuditMessage(key=key, ts=ts, site=site, kind=kind,
                                   detail={"intent": intent, "confidence": confidence, **detail})
            self.outbox.add(conn, key, self.topics.audit(site), message)

    def records(self, site: str | None = None, kind: str | None = None) -> list[dict]:
        sql, params = "SELECT * FROM audit WHERE 1=1", []
        if site:
            sql += " AND site = ?"
            params.append(site)
        if kind:
            sql += " AND kind = ?"
            params.append(kind)
        rows = self.store.query(sql + " ORDER BY id", tuple(params))
        return [{**dict(r), "detail": json.loads(r["detail"])} for r in rows]


def period_bounds(period: str, now: dt.datetime | None = None) -> tuple[float, float, str]:
    """(start, end, words) of a named period in local time."""
    now = now or dt.datetime.now().astimezone()
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "today":
        return today.timestamp(), now.timestamp() + 1, "today"
    if period in ("this_week", "last_week"):
        monday = today - dt.timedelta(days=today.weekday())
        if period == "this_week":
            return monday.timestamp(), now.timestamp() + 1, "this week"
        return (monday - dt.timedelta(days=7)).timestamp(), monday.timestamp(), "last week"
    if period in ("this_month", "last_month"):
        first = today.replace(day=1)
        if period == "this_month":
            return first.timestamp(), now.timestamp() + 1, "this month"
        previous = (first - dt.timedelta(days=1)).replace(day=1)
        return previous.timestamp(), first.timestamp(), "last month"
    if period == "this_year":
        return today.replace(month=1, day=1).timestamp(), now.timestamp() + 1, "this year"
    raise ValueError(f"unknown period {period!r} (one of {', '.join(PERIODS)})")


def _iso(ts: float | None) -> str:
    return dt.datetime.fromtimestamp(ts).astimezone().isoformat(timespec="seconds") if ts else ""


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def as_dicts(entries: Iterable[LedgerEntry]) -> list[dict]:
    return [asdict(e) for e in entries]
