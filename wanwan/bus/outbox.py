"""Durable outbox: what must not be lost (ledger entries, audit records) is written to SQLite in
the same transaction as the record itself, then published (QoS 1) when the broker is there.

A row is ``pending`` until handed to paho, ``inflight`` until the broker's PUBACK, then
``delivered``. paho re-sends unacknowledged QoS 1 messages after a reconnect; after a restart of
wanwan itself, ``inflight`` rows go back to ``pending``. Each payload carries an idempotency key
so consumers keep exactly one copy even if a PUBACK was lost with the broker.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time

from wanwan.bus.client import Bus
from wanwan.bus.messages import Message
from wanwan.store import Store

log = logging.getLogger(__name__)

BATCH = 200


class Outbox:
    """Messages that must not be lost, written to SQLite with their record and published by a
    thread of their own when the broker is there (states: pending, inflight, delivered)."""

    PURGE_EVERY_S = 600.0

    def __init__(self, store: Store, *, keep_delivered_s: float = 7 * 86400) -> None:
        """``keep_delivered_s``: how long a delivered message stays (for a look at what went
        out); then it is removed, so a server that runs for months keeps a small outbox."""
        self.store = store
        self.keep_delivered_s = keep_delivered_s
        self._purged_at = 0.0
        with store.transaction() as conn:
            conn.execute("UPDATE outbox SET state = 'pending' WHERE state = 'inflight'")
        self.bus: Bus | None = None
        self._wake = threading.Event()
        self._acks: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._inflight: dict[int, int] = {}  # paho mid -> outbox row id (drain thread only)
        self._early_acks: set[int] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._drained = threading.Condition()

    def add(self, conn: sqlite3.Connection, key: str, topic: str, message: Message,
            qos: int = 1) -> None:
        """Queue a message inside the caller's transaction (the record and its message commit
        together)."""
        conn.execute(
            "INSERT OR IGNORE INTO outbox (key, topic, payload, qos, created) VALUES (?,?,?,?,?)",
            (key, topic, message.dump(), qos, time.time()))
        self._wake.set()

    def attach(self, bus: Bus) -> None:
        self.bus = bus
        bus.on_connected(self._wake.set)
        bus.on_published(self._on_published)
        self._thread = threading.Thread(target=self._run, name="outbox", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(5)

    def counts(self) -> dict[str, int]:
        rows = self.store.query("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state")
        out = {"pending": 0, "inflight": 0, "delivered": 0}
        out.update({r["state"]: r["n"] for r in rows})
        return out

    def wait_drained(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            counts = self.counts()
            if counts["pending"] == 0 and counts["inflight"] == 0:
                return True
            self._wake.set()
            time.sleep(0.02)
        return False

    def purge(self, now: float | None = None) -> int:
        """Remove delivered messages older than ``keep_delivered_s``; how many went."""
        self._purged_at = time.monotonic()
        cutoff = (time.time() if now is None else now) - self.keep_delivered_s
        with self.store.transaction() as conn:
            removed = conn.execute("DELETE FROM outbox WHERE state = 'delivered' AND "
                                   "delivered < ?", (cutoff,)).rowcount
        if removed:
            log.info("outbox: removed %d delivered messages older than %.1f days", removed,
                     self.keep_delivered_s / 86400)
        return removed

    # -- drain thread ------------------------------------------------------------------------
    def _on_published(self, mid: int) -> None:
        self._acks.put(mid)  # paho's thread: no locks here, the drain thread settles it
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(0.5)
            self._wake.clear()
            try:
                self._settle_acks()
                if self.bus is not None and self.bus.connected:
                    self._drain()
                if time.monotonic() - self._purged_at >= self.PURGE_EVERY_S:
                    self.purge()
            except Exception:  # keep draining whatever one bad row does
                log.exception("outbox drain failed")
                time.sleep(0.5)

    def _settle_acks(self) -> None:
        delivered: list[int] = []
        while True:
            try:
                mid = self._acks.get_nowait()
            except queue.Empty:
                break
            row = self._inflight.pop(mid, None)
            if row is None:
                self._early_acks.add(mid)
            else:
                delivered.append(row)
        if delivered:
            now = time.time()
            with self.store.transaction() as conn:
                conn.executemany("UPDATE outbox SET state = 'delivered', delivered = ? "
                                 "WHERE id = ?", [(now, r) for r in delivered])

    def _drain(self) -> None:
        assert self.bus is not None
        rows = self.store.query("SELECT id, topic, payload, qos FROM outbox "
                                "WHERE state = 'pending' ORDER BY id LIMIT ?", (BATCH,))
        if not rows:
            return
        sent: list[int] = []
        for row in rows:
            if not self.bus.connected:
                break
            info = self.bus.client.publish(row["topic"], row["payload"], qos=row["qos"])
            if info.mid in self._early_acks:
                self._early_acks.discard(info.mid)
                self._acks.put(info.mid)
            self._inflight[info.mid] = row["id"]
            sent.append(row["id"])
        if sent:
            with self.store.transaction() as conn:
                conn.executemany("UPDATE outbox SET state = 'inflight' WHERE id = ?",
                                 [(r,) for r in sent])
        self._settle_acks()
        if len(rows) == BATCH:
            self._wake.set()
