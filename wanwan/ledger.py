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
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import IO, Any

from wanwan.bus.messages import AuditMessage, LedgerEntryMessage
from wanwan.bus.outbox import Outbox
from wanwan.bus.topics import Topics
from wanwan.listeners import Listeners
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
    undone_ts: float | None  # when a correction row undid it
    row_hash: str = ""

    @property
    def undone(self) -> bool:
        return self.undone_ts is not None

    def message(self) -> LedgerEntryMessage:
        return LedgerEntryMessage(key=self.key, ts=self.ts, site=self.site, amount=self.amount,
                                  unit=self.unit, phase=self.phase, direction=self.direction,
                                  dewar=self.dewar, lab=self.lab, heard=self.heard,
                                  undone=self.undone, hash=self.row_hash or None)


# an entry with when it was undone: the earliest correction row that undoes it
_ENTRIES = ("SELECT l.id, l.key, l.ts, l.site, l.amount, l.unit, l.phase, l.direction, "
            "l.dewar, l.lab, l.heard, (SELECT MIN(c.ts) FROM ledger c WHERE c.undoes = l.key),"
            " l.row_hash FROM ledger l WHERE l.undoes IS NULL")


class Ledger:
    """Litres dispensed and gas recovered, each entry written with its outgoing message in
    one transaction. Rows are never changed: an undo is a correction row that names the entry
    it undoes, so the record says what was logged and when it was taken back."""

    def __init__(self, store: Store, outbox: Outbox, topics: Topics) -> None:
        self.store = store
        self.outbox = outbox
        self.topics = topics
        self._listeners: Listeners[[LedgerEntry]] = Listeners("ledger listener")

    def on_entry(self, listener: Callable[[LedgerEntry], None]) -> Callable[[], None]:
        """Call ``listener`` with every entry written or undone (after its transaction);
        returns the function that removes it. A failing listener loses no record."""
        return self._listeners.add(listener)

    def log(self, *, site: str, amount: float, unit: str, phase: str, direction: str,
            dewar: str | None = None, lab: str | None = None, heard: str = "",
            ts: float | None = None, key: str | None = None) -> LedgerEntry:
        key = key or uuid.uuid4().hex
        ts = ts if ts is not None else time.time()
        with self.store.transaction() as conn:
            row = self.store.append(conn, "ledger", {
                "key": key, "ts": ts, "site": site, "amount": amount, "unit": unit,
                "phase": phase, "direction": direction, "dewar": dewar, "lab": lab,
                "heard": heard, "undoes": None})
            entry = LedgerEntry(row["id"], key, ts, site, amount, unit, phase, direction, dewar,
                                lab, heard, None, row["row_hash"])
            self.outbox.add(conn, key, self.topics.ledger, entry.message())
        self._listeners.call(entry)
        return entry

    def last_live(self, site: str) -> LedgerEntry | None:
        """The newest entry of ``site`` that is not undone."""
        rows = self.store.query(_ENTRIES + " AND l.site = ? AND NOT EXISTS (SELECT 1 FROM "
                                "ledger c WHERE c.undoes = l.key) ORDER BY l.id DESC LIMIT 1",
                                (site,))
        return LedgerEntry(*tuple(rows[0])) if rows else None

    def undo_last(self, site: str, heard: str = "") -> LedgerEntry | None:
        """Undo the newest live entry of ``site`` with a correction row (nothing is deleted)."""
        with self.store.transaction() as conn:  # the entry found is the entry undone
            entry = self.last_live(site)
            if entry is None:
                return None
            entry.undone_ts = time.time()
            self.store.append(conn, "ledger", {
                "key": f"{entry.key}:undo", "ts": entry.undone_ts, "site": site,
                "amount": entry.amount, "unit": entry.unit, "phase": entry.phase,
                "direction": entry.direction, "dewar": entry.dewar, "lab": entry.lab,
                "heard": heard, "undoes": entry.key})
            self.outbox.add(conn, f"{entry.key}:undo", self.topics.ledger, entry.message())
        self._listeners.call(entry)
        return entry

    def entries(self, since: float | None = None, until: float | None = None,
                include_undone: bool = True, *, lab: str | None = None,
                dewar: str | None = None, direction: str | None = None) -> list[LedgerEntry]:
        """Entries in time order; ``lab``, ``dewar``, ``direction``: only those."""
        sql = _ENTRIES + " AND l.ts >= ? AND l.ts < ?"
        params: list[object] = [since if since is not None else 0.0,
                                until if until is not None else 1e18]
        if not include_undone:
            sql += " AND NOT EXISTS (SELECT 1 FROM ledger c WHERE c.undoes = l.key)"
        for column, value in (("lab", lab), ("dewar", dewar), ("direction", direction)):
            if value:
                sql += f" AND l.{column} = ?"
                params.append(value)
        rows = self.store.query(sql + " ORDER BY l.ts, l.id", tuple(params))
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

    def export_csv(self, stream: IO[str], entries: list[LedgerEntry] | None = None) -> int:
        """``entries`` (default: all of them) as CSV; returns how many rows were written."""
        entries = self.entries() if entries is None else entries
        writer = csv.writer(stream)
        writer.writerow(["id", "time", "site", "amount", "unit", "phase", "direction", "dewar",
                         "lab", "heard", "undone", "key"])
        for e in entries:
            writer.writerow([e.id, _iso(e.ts), e.site, _num(e.amount), e.unit, e.phase,
                             e.direction, e.dewar or "", e.lab or "", e.heard,
                             _iso(e.undone_ts) if e.undone_ts else "", e.key])
        return len(entries)


class Audit:
    """Every heard command, decision, command sent, acknowledgement and alarm (append-only and
    hash-chained: see :class:`~wanwan.store.Store`)."""

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
            row = self.store.append(conn, "audit", {
                "key": key, "ts": ts, "site": site, "kind": kind, "intent": intent,
                "confidence": confidence,
                "detail": json.dumps(detail, default=str, ensure_ascii=False)})
            message = AuditMessage(key=key, ts=ts, site=site, kind=kind,
                                   detail={"intent": intent, "confidence": confidence, **detail},
                                   hash=row["row_hash"])
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
        hidden = ("prev_hash", "row_hash")
        return [{**{k: v for k, v in dict(r).items() if k not in hidden},
                 "detail": json.loads(r["detail"])} for r in rows]


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
