"""The local SQLite file: the ledger and the audit log (append-only, hash-chained) and the bus
outbox, in one database so that a record and its outgoing message are written in one
transaction."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from platformdirs import user_data_dir

from wanwan.errors import UserError
from wanwan.keys import SiteKey, mac, same

SCHEMA = """
CREATE TABLE IF NOT EXISTS ledger (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    ts REAL NOT NULL,
    site TEXT NOT NULL,
    amount REAL NOT NULL,
    unit TEXT NOT NULL,
    phase TEXT NOT NULL,
    direction TEXT NOT NULL,
    dewar TEXT,
    lab TEXT,
    heard TEXT NOT NULL DEFAULT '',
    undoes TEXT,  -- a correction: the key of the entry it undoes
    prev_hash TEXT NOT NULL,
    row_hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_site ON ledger(site, id);
CREATE INDEX IF NOT EXISTS ledger_ts ON ledger(ts);
CREATE INDEX IF NOT EXISTS ledger_undoes ON ledger(undoes);

CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    ts REAL NOT NULL,
    site TEXT NOT NULL,
    kind TEXT NOT NULL,
    intent TEXT,
    confidence REAL,
    detail TEXT NOT NULL DEFAULT '{}',
    prev_hash TEXT NOT NULL,
    row_hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_site ON audit(site, kind, id);

CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    qos INTEGER NOT NULL DEFAULT 1,
    created REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    delivered REAL
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(state, id);

-- the head of each chain (count, last hash, and a MAC of both): removing the newest rows
-- cannot be hidden without the site key
CREATE TABLE IF NOT EXISTS chain_head (
    name TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    last_hash TEXT NOT NULL,
    mac TEXT NOT NULL
);
"""

# Records are never changed: corrections are new rows. Dropping these is noticed (see Store).
TRIGGERS = {
    f"{table}_no_{verb.lower()}": f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()} "
    f"BEFORE {verb} ON {table} BEGIN SELECT RAISE(ABORT, 'the {table} is append-only'); END;"
    for table in ("ledger", "audit") for verb in ("UPDATE", "DELETE")
}

# The columns each chained row hashes, in order
CHAINED = {
    "ledger": ("key", "ts", "site", "amount", "unit", "phase", "direction", "dewar", "lab",
               "heard", "undoes"),
    "audit": ("key", "ts", "site", "kind", "intent", "confidence", "detail"),
}
GENESIS = "0" * 64


class Store:
    """One SQLite file shared by threads (one connection, one lock; WAL for readers).

    The ledger and the audit log are append-only (triggers refuse UPDATE and DELETE) and
    hash-chained: each row holds the previous row's hash and an HMAC, keyed with the site key,
    of that hash and its own content, so a row changed, removed or slipped in by hand breaks
    the chain at that row (:meth:`verify`). Triggers found missing at start are put back and
    the fact is recorded in the audit chain, where :meth:`verify` reports it.
    """

    def __init__(self, path: Path | str, key: SiteKey | None = None) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30,
                                        isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.DatabaseError as exc:
            raise UserError(f"{self.path}: cannot open the wanwan database ({exc})") from None
        self.lock = threading.RLock()
        self.key = (key or SiteKey.load(self.path.with_suffix(".key"))).derive("records")
        try:
            fresh = not self._has_table("ledger")
            if not fresh and "row_hash" not in self._columns("ledger"):
                self._migrate_v1()
                fresh = True  # the new tables' triggers are made now, not found missing
            for statement in _statements(SCHEMA):
                self.conn.execute(statement)
            missing = [name for name in TRIGGERS if not self._has_trigger(name)]
            for name in missing:
                self.conn.execute(TRIGGERS[name])
            if missing and not fresh:
                with self.transaction() as conn:
                    self.append(conn, "audit", {
                        "key": uuid.uuid4().hex, "ts": time.time(), "site": "-",
                        "kind": "integrity", "intent": None, "confidence": None,
                        "detail": json.dumps({"triggers_missing": missing})})
        except sqlite3.DatabaseError as exc:
            raise UserError(f"{self.path}: cannot open the wanwan database ({exc})") from None

    def _has_table(self, name: str) -> bool:
        return bool(self.conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND "
                                      "name=?", (name,)).fetchone())

    def _has_trigger(self, name: str) -> bool:
        return bool(self.conn.execute("SELECT 1 FROM sqlite_master WHERE type='trigger' AND "
                                      "name=?", (name,)).fetchone())

    def _columns(self, table: str) -> set[str]:
        return {row[1] for row in self.conn.execute(f"PRAGMA table_info({table})")}

    @contextmanager
    def transaction(self):
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def query(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        with self.lock:
            cur = self.conn.execute(sql, params)
            cur.row_factory = sqlite3.Row
            return cur.fetchall()

    # -- the chains ------------------------------------------------------------------------------
    def _row_hash(self, table: str, prev: str, row: dict) -> str:
        # numbers as SQLite gives them back (REAL): 10 written is 10.0 read
        values = [v if v is None or isinstance(v, str) else float(v)
                  for v in (row.get(c) for c in CHAINED[table])]
        content = json.dumps([table, *values], ensure_ascii=False)
        return mac(self.key, prev, content)

    def _head_mac(self, table: str, count: int, last: str) -> str:
        return mac(self.key, "head", table, str(count), last)

    def append(self, conn: sqlite3.Connection, table: str, row: dict) -> dict:
        """Insert a row into a chained table inside the caller's transaction; returns it with
        its id and hashes."""
        head = conn.execute("SELECT count, last_hash FROM chain_head WHERE name=?",
                            (table,)).fetchone()
        count, prev = head if head else (0, GENESIS)
        full = {**row, "prev_hash": prev, "row_hash": self._row_hash(table, prev, row)}
        columns = [*CHAINED[table], "prev_hash", "row_hash"]
        cur = conn.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                           f"({', '.join('?' * len(columns))})",
                           [full.get(c) for c in columns])
        conn.execute("INSERT OR REPLACE INTO chain_head (name, count, last_hash, mac) VALUES "
                     "(?,?,?,?)", (table, count + 1, full["row_hash"],
                                   self._head_mac(table, count + 1, full["row_hash"])))
        return {**full, "id": cur.lastrowid}

    def verify(self) -> list[str]:
        """What has been changed by hand, first broken row of each chain first; [] if nothing."""
        findings: list[str] = []
        with self.lock:
            for name in TRIGGERS:
                if not self._has_trigger(name):
                    findings.append(f"trigger {name} is missing: rows may be changed unseen")
            for table in CHAINED:
                findings += self._verify_chain(table)
            for row in self.query("SELECT id, ts, detail FROM audit WHERE kind='integrity' "
                                  "ORDER BY id"):
                missing = json.loads(row["detail"]).get("triggers_missing", [])
                findings.append(f"audit row {row['id']}: at {_when(row['ts'])} the triggers "
                                f"{', '.join(missing)} were found missing and put back")
        return findings

    def _verify_chain(self, table: str) -> list[str]:
        prev, count = GENESIS, 0
        cur = self.conn.execute(f"SELECT * FROM {table} ORDER BY id")
        names = [d[0] for d in cur.description]
        for values in cur:
            row = dict(zip(names, values, strict=True))
            count += 1
            if row["prev_hash"] != prev:
                return [f"{table} row {row['id']}: the row before it was removed, changed or "
                        "slipped in (its link does not match)"]
            if not same(row["row_hash"], self._row_hash(table, prev, row)):
                return [f"{table} row {row['id']}: changed after it was written (its hash "
                        "does not match its content)"]
            prev = row["row_hash"]
        head = self.conn.execute("SELECT count, last_hash, mac FROM chain_head WHERE name=?",
                                 (table,)).fetchone()
        if head is None:
            return [] if count == 0 else [f"{table}: the chain's head record is missing"]
        if not same(head[2], self._head_mac(table, head[0], head[1])):
            return [f"{table}: the chain's head record was changed"]
        if (head[0], head[1]) != (count, prev):
            return [f"{table}: {head[0] - count} row(s) after row {count} were removed"
                    if head[0] > count else f"{table}: rows were added without the site key"]
        return []

    # -- the first schema --------------------------------------------------------------------------
    def _migrate_v1(self) -> None:
        """A database of the first schema (unchained, undo as an update) is chained: its tables
        are kept as ledger_v1 and audit_v1, their rows copied in order into the new ones, and
        every undo becomes a correction row. Nothing is lost."""
        self.conn.execute("BEGIN IMMEDIATE")
        for statement in ("ALTER TABLE ledger RENAME TO ledger_v1",
                          "ALTER TABLE audit RENAME TO audit_v1",
                          # the old triggers went with the table: under their own names now
                          "DROP TRIGGER IF EXISTS audit_no_update",
                          "DROP TRIGGER IF EXISTS audit_no_delete",
                          *(f"CREATE TRIGGER {t}_v1_no_{v.lower()} BEFORE {v} ON {t}_v1 BEGIN "
                            f"SELECT RAISE(ABORT, 'kept as it was'); END"
                            for t in ("ledger", "audit") for v in ("UPDATE", "DELETE")),
                          "DROP INDEX IF EXISTS ledger_site", "DROP INDEX IF EXISTS ledger_ts",
                          *_statements(SCHEMA)):
            self.conn.execute(statement)
        old = self.conn.execute("SELECT * FROM ledger_v1 ORDER BY id").fetchall()
        undone = []
        for row in old:
            (_, key, ts, site, amount, unit, phase, direction, dewar, lab, heard,
             undone_ts) = row
            entry = {"key": key, "ts": ts, "site": site, "amount": amount, "unit": unit,
                     "phase": phase, "direction": direction, "dewar": dewar, "lab": lab,
                     "heard": heard, "undoes": None}
            self.append(self.conn, "ledger", entry)
            if undone_ts is not None:
                undone.append({**entry, "key": f"{key}:undo", "ts": undone_ts,
                               "heard": "(undone before the records were chained)",
                               "undoes": key})
        for correction in sorted(undone, key=lambda r: r["ts"]):
            self.append(self.conn, "ledger", correction)
        for row in self.conn.execute("SELECT key, ts, site, kind, intent, confidence, detail "
                                     "FROM audit_v1 ORDER BY id").fetchall():
            self.append(self.conn, "audit", dict(zip(CHAINED["audit"], row, strict=True)))
        self.conn.execute("COMMIT")

    def close(self) -> None:
        with self.lock:
            self.conn.close()


def _statements(script: str) -> list[str]:
    """The statements of a script without triggers (run one by one, inside a transaction)."""
    lines = [line.split("--")[0] for line in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


def default_store_path(configured: str | None = None) -> Path:
    """Where the database lives: ``WANWAN_DB``, else the config's ``ledger_path``, else the
    user's data folder (one rule, so ``ask`` and ``ledger export`` read the same file)."""
    if os.environ.get("WANWAN_DB"):
        return Path(os.environ["WANWAN_DB"]).expanduser()
    if configured:
        return Path(configured).expanduser()
    return Path(user_data_dir("wanwan")) / "wanwan.sqlite3"
