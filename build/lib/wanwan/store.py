"""The local SQLite file: ledger, append-only audit log and the bus outbox, in one database so
that a ledger entry and its outgoing message are written in one transaction."""

from __future__ import annotations

import os
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path

from platformdirs import user_data_dir

from wanwan.errors import UserError

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
    undone_ts REAL
);
CREATE INDEX IF NOT EXISTS ledger_site ON ledger(site, id);
CREATE INDEX IF NOT EXISTS ledger_ts ON ledger(ts);

CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    ts REAL NOT NULL,
    site TEXT NOT NULL,
    kind TEXT NOT NULL,
    intent TEXT,
    confidence REAL,
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

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
"""


class Store:
    """One SQLite file shared by threads (one connection, one lock; WAL for readers)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30,
                                        isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise UserError(f"{self.path}: cannot open the wanwan database ({exc})") from None
        self.lock = threading.RLock()

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

    def close(self) -> None:
        with self.lock:
            self.conn.close()


def default_store_path(configured: str | None = None) -> Path:
    """Where the database lives: ``WANWAN_DB``, else the config's ``ledger_path``, else the
    user's data folder (one rule, so ``ask`` and ``ledger export`` read the same file)."""
    if os.environ.get("WANWAN_DB"):
        return Path(os.environ["WANWAN_DB"]).expanduser()
    if configured:
        return Path(configured).expanduser()
    return Path(user_data_dir("wanwan")) / "wanwan.sqlite3"
