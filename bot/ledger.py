"""The bot's own durable state in SQLite: outbox, processed inbound ids, cursors, audit trail.

WAL with synchronous=FULL, because with NORMAL a committed "sent" marker can roll back after a
power loss and the message would go twice (reliability-security.md EO-8); every write runs in an
explicit BEGIN IMMEDIATE transaction (EO-9).
"""

from __future__ import annotations

import base64
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bot.crashpoints import crash_point
from bot.ports import (
    Attachment,
    AuditEvent,
    DuplicateKey,
    OutboundMessage,
    OutboxItem,
    OutboxStatus,
)

SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    key        TEXT NOT NULL UNIQUE,
    case_ref   TEXT NOT NULL,
    purpose    TEXT NOT NULL,
    message    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    status     TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('held', 'pending', 'sent', 'failed')),
    sent_at    TEXT,
    message_id TEXT NOT NULL DEFAULT '',
    error      TEXT NOT NULL DEFAULT '',
    due_by     TEXT
);
CREATE INDEX IF NOT EXISTS outbox_status ON outbox (status, seq);
CREATE TABLE IF NOT EXISTS inbound (
    message_id TEXT PRIMARY KEY,
    at         TEXT NOT NULL,
    outcome    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cursors (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    case_ref   TEXT NOT NULL DEFAULT '',
    agency     TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT '',
    outbox_key TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS audit_case ON audit (case_ref, seq);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
"""


def connect(path: Path | str) -> sqlite3.Connection:
    """An autocommit connection with the durability pragmas set and checked (shared by the register)."""
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=5.0)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=5000")
    conn.execute("PRAGMA foreign_keys=ON")
    if conn.execute("PRAGMA synchronous").fetchone()[0] != 2:  # 2 == FULL
        raise RuntimeError(f"{path}: SQLite refused synchronous=FULL")
    return conn


class Transactions:
    """Explicit BEGIN IMMEDIATE / COMMIT around a block; nested blocks join the outer transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._depth = 0
        self._lock = threading.RLock()

    @contextmanager
    def atomic(self) -> Iterator[None]:
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self.conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            else:
                self.conn.execute("COMMIT")
            finally:
                self._depth = 0


def message_to_json(message: OutboundMessage) -> str:
    data: dict[str, Any] = {
        "to": list(message.to), "cc": list(message.cc), "subject": message.subject,
        "text": message.text, "html": message.html, "message_id": message.message_id,
        "in_reply_to": message.in_reply_to,
        "attachments": [
            {"name": a.name, "content_type": a.content_type, "data": base64.b64encode(a.data).decode()}
            for a in message.attachments
        ],
    }
    return json.dumps(data, sort_keys=True)


def message_from_json(raw: str) -> OutboundMessage:
    d = json.loads(raw)
    return OutboundMessage(
        to=tuple(d["to"]), cc=tuple(d["cc"]), subject=d["subject"], text=d["text"], html=d["html"],
        message_id=d["message_id"], in_reply_to=d["in_reply_to"],
        attachments=tuple(Attachment(a["name"], a["content_type"], base64.b64decode(a["data"]))
                          for a in d["attachments"]),
    )


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class SqliteLedger:
    """The Ledger port on one SQLite file (or ":memory:" for tests)."""

    def __init__(self, path: Path | str) -> None:
        self.path = path
        self._conn = connect(path)
        self._tx = Transactions(self._conn)
        # executescript commits on its own; every statement is IF NOT EXISTS, so a re-run is a no-op
        self._conn.executescript(_SCHEMA)
        columns = {row[1] for row in self._conn.execute("PRAGMA table_info(outbox)")}
        if "due_by" not in columns:  # a ledger made before outbox rows carried their deadline
            self._conn.execute("ALTER TABLE outbox ADD COLUMN due_by TEXT")
        self._conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def close(self) -> None:
        self._conn.close()

    def atomic(self) -> AbstractContextManager[None]:
        return self._tx.atomic()

    def pragma(self, name: str) -> Any:
        return self._conn.execute(f"PRAGMA {name}").fetchone()[0]

    # outbox
    def enqueue(self, key: str, message: OutboundMessage, *, case_ref: str, purpose: str,
                at: datetime, held: bool = False, due_by: date | None = None) -> OutboxItem:
        status = OutboxStatus.HELD if held else OutboxStatus.PENDING
        with self.atomic():
            try:
                self._conn.execute(
                    "INSERT INTO outbox (key, case_ref, purpose, message, created_at, status, due_by)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (key, case_ref, purpose, message_to_json(message), at.isoformat(), status.value,
                     due_by.isoformat() if due_by else None),
                )
                crash_point("ledger.enqueue.uncommitted")
            except sqlite3.IntegrityError as exc:
                raise DuplicateKey(key) from exc
        return OutboxItem(key, case_ref, purpose, message, at, status=status, due_by=due_by)

    def release(self, key: str, *, at: datetime) -> None:
        self._set_status(key, "UPDATE outbox SET status='pending' WHERE key=? AND status='held'", (key,))

    def queued(self, key: str) -> bool:
        return self.queued_at(key) is not None

    def queued_at(self, key: str) -> datetime | None:
        row = self._conn.execute("SELECT created_at FROM outbox WHERE key=?", (key,)).fetchone()
        return datetime.fromisoformat(row[0]) if row else None

    def outbox(self, status: OutboxStatus | None = None) -> list[OutboxItem]:
        sql, args = "SELECT * FROM outbox", tuple[str, ...]()
        if status is not None:
            sql, args = sql + " WHERE status = ?", (status.value,)
        return [self._outbox_item(r) for r in self._conn.execute(sql + " ORDER BY seq", args)]

    def mark_sent(self, key: str, *, at: datetime, message_id: str) -> None:
        self._set_status(key, "UPDATE outbox SET status='sent', sent_at=?, message_id=? WHERE key=?",
                         (at.isoformat(), message_id, key))

    def mark_failed(self, key: str, *, at: datetime, error: str) -> None:
        self._set_status(key, "UPDATE outbox SET status='failed', sent_at=NULL, error=? WHERE key=?",
                         (f"{at.isoformat()} {error}", key))

    def _set_status(self, key: str, sql: str, args: tuple[Any, ...]) -> None:
        with self.atomic():
            if self._conn.execute(sql, args).rowcount != 1:
                raise KeyError(f"no outbox row with key {key!r}")

    @staticmethod
    def _outbox_item(r: sqlite3.Row) -> OutboxItem:
        return OutboxItem(
            key=r["key"], case_ref=r["case_ref"], purpose=r["purpose"],
            message=message_from_json(r["message"]), created_at=datetime.fromisoformat(r["created_at"]),
            status=OutboxStatus(r["status"]), sent_at=_dt(r["sent_at"]), message_id=r["message_id"],
            error=r["error"], due_by=date.fromisoformat(r["due_by"]) if r["due_by"] else None,
        )

    # inbound
    def record_inbound(self, message_id: str, *, at: datetime, outcome: str) -> bool:
        with self.atomic():
            cur = self._conn.execute(
                "INSERT OR IGNORE INTO inbound (message_id, at, outcome) VALUES (?, ?, ?)",
                (message_id, at.isoformat(), outcome),
            )
            crash_point("ledger.inbound.uncommitted")
        return cur.rowcount == 1

    def inbound_seen(self, message_id: str) -> bool:
        return self._conn.execute("SELECT 1 FROM inbound WHERE message_id=?", (message_id,)).fetchone() is not None

    def inbound_outcome(self, message_id: str) -> str | None:
        row = self._conn.execute("SELECT outcome FROM inbound WHERE message_id=?", (message_id,)).fetchone()
        return row[0] if row else None

    # cursors
    def cursor(self, name: str) -> str | None:
        row = self._conn.execute("SELECT value FROM cursors WHERE name=?", (name,)).fetchone()
        return row[0] if row else None

    def set_cursor(self, name: str, value: str) -> None:
        with self.atomic():
            self._conn.execute(
                "INSERT INTO cursors (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value=excluded.value",
                (name, value),
            )
            crash_point("ledger.cursor.uncommitted")

    # audit
    def audit(self, event: AuditEvent) -> None:
        with self.atomic():
            self._conn.execute(
                "INSERT INTO audit (at, actor, action, case_ref, agency, detail, outbox_key)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (event.at.isoformat(), event.actor, event.action, event.case_ref, event.agency, event.detail,
                 event.outbox_key),
            )
            crash_point("ledger.audit.uncommitted")

    def audit_count(self, action: str, *, case_ref: str, agency: str = "") -> int:
        """How many audit rows of `action` a case (and agency) has."""
        return int(self._conn.execute("SELECT COUNT(*) FROM audit WHERE case_ref=? AND action=? AND agency=?",
                                      (case_ref, action, agency)).fetchone()[0])

    def audit_trail(self, case_ref: str | None = None) -> Iterator[AuditEvent]:
        sql, args = "SELECT * FROM audit", tuple[str, ...]()
        if case_ref is not None:
            sql, args = sql + " WHERE case_ref = ?", (case_ref,)
        for r in self._conn.execute(sql + " ORDER BY seq", args).fetchall():
            yield AuditEvent(
                at=datetime.fromisoformat(r["at"]), action=r["action"], case_ref=r["case_ref"],
                agency=r["agency"], detail=r["detail"], outbox_key=r["outbox_key"], actor=r["actor"],
            )
