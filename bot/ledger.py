"""The bot's own durable state: outbox, processed inbound ids, cursors, audit trail, instances. SQLite here (the
embedded default); PostgreSQL in `bot.ledger_pg` with the same statements (`SqlLedger`).

WAL with synchronous=FULL, because with NORMAL a committed "sent" marker can roll back after a
power loss and the message would go twice (reliability-security.md EO-8); every write runs in an
explicit BEGIN IMMEDIATE transaction (EO-9).
"""

from __future__ import annotations

import base64
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bot.crashpoints import crash_point
from bot.migrations import migrate_sqlite
from bot.ports import (
    Attachment,
    AuditEvent,
    DuplicateKey,
    Instance,
    LedgerStats,
    OutboundMessage,
    OutboxItem,
    OutboxStatus,
)

# file systems on which SQLite's locking and fsync cannot be trusted (sqlite.org/useovernet.html): a share
# mounted from Azure Files or Windows (cifs/smb3), NFS, and FUSE mounts of network or blob storage
NETWORK_FILESYSTEMS = ("cifs", "smb3", "smbfs", "nfs", "nfs4", "9p", "afs", "ceph", "glusterfs", "lustre",
                       "fuse.sshfs", "fuse.blobfuse", "fuse.blobfuse2", "fuse.s3fs", "fuse.rclone", "fuse.azurefile")


def network_filesystem(path: Path, mounts: str | None = None) -> str | None:
    """The network file system `path` is on (e.g. "cifs"), or None for a local disk. Reads /proc/mounts (pass
    `mounts` to test); a system without it (not Linux) is taken as local."""
    if mounts is None:
        try:
            mounts = Path("/proc/mounts").read_text()
        except OSError:
            return None
    target = str(path.resolve())
    best, fstype = "", ""
    for line in mounts.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        point = parts[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, fstype = point, parts[2]
    return fstype if fstype in NETWORK_FILESYSTEMS else None


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
    """Explicit BEGIN / COMMIT around a block, one thread at a time; nested blocks join the outer transaction.
    SQLite begins IMMEDIATE (the write lock at once); PostgreSQL passes its own begin and rollback."""

    def __init__(self, conn: sqlite3.Connection | None = None, *, begin: Callable[[], Any] | None = None,
                 commit: Callable[[], Any] | None = None, rollback: Callable[[], Any] | None = None) -> None:
        if conn is not None:
            begin, commit, rollback = (lambda: conn.execute("BEGIN IMMEDIATE"), lambda: conn.execute("COMMIT"),
                                       lambda: conn.execute("ROLLBACK"))
        assert begin and commit and rollback
        self._begin, self._commit, self._rollback = begin, commit, rollback
        self.depth = 0
        self.lock = threading.RLock()

    @contextmanager
    def atomic(self) -> Iterator[None]:
        with self.lock:
            if self.depth:
                self.depth += 1
                try:
                    yield
                finally:
                    self.depth -= 1
                return
            self._begin()
            self.depth = 1
            try:
                yield
            except BaseException:
                self._rollback()
                raise
            else:
                self._commit()
            finally:
                self.depth = 0


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


class SqlLedger:
    """The Ledger port in SQL, shared by the SQLite and PostgreSQL flavours: each says how it runs a statement,
    and stores a time; the statements are the same."""

    def atomic(self) -> AbstractContextManager[None]:
        raise NotImplementedError

    def _run(self, sql: str, args: tuple[Any, ...] = ()) -> Any:
        """Execute one statement (`?` placeholders); returns a cursor with rowcount and fetchone/fetchall."""
        raise NotImplementedError

    def _time(self, value: datetime) -> Any:
        return value.isoformat()

    def _date(self, value: date | None) -> Any:
        return value.isoformat() if value else None

    @staticmethod
    def _as_time(value: Any) -> datetime | None:
        return datetime.fromisoformat(value) if isinstance(value, str) else value

    @staticmethod
    def _as_date(value: Any) -> date | None:
        return date.fromisoformat(value) if isinstance(value, str) else value

    # outbox
    def enqueue(self, key: str, message: OutboundMessage, *, case_ref: str, purpose: str,
                at: datetime, held: bool = False, due_by: date | None = None) -> OutboxItem:
        status = OutboxStatus.HELD if held else OutboxStatus.PENDING
        with self.atomic():  # DO NOTHING, not an error: on PostgreSQL an error would spoil an outer transaction
            cur = self._run("INSERT INTO outbox (key, case_ref, purpose, message, created_at, status, due_by)"
                            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
                            (key, case_ref, purpose, message_to_json(message), self._time(at), status.value,
                             self._date(due_by)))
            if cur.rowcount != 1:
                raise DuplicateKey(key)
            crash_point("ledger.enqueue.uncommitted")
        return OutboxItem(key, case_ref, purpose, message, at, status=status, due_by=due_by)

    def release(self, key: str, *, at: datetime) -> None:
        self._set_status(key, "UPDATE outbox SET status='pending' WHERE key=? AND status='held'", (key,))

    def queued(self, key: str) -> bool:
        return self.queued_at(key) is not None

    def queued_at(self, key: str) -> datetime | None:
        row = self._run("SELECT created_at FROM outbox WHERE key=?", (key,)).fetchone()
        return self._as_time(row[0]) if row else None

    def outbox(self, status: OutboxStatus | None = None) -> list[OutboxItem]:
        sql, args = "SELECT * FROM outbox", tuple[str, ...]()
        if status is not None:
            sql, args = sql + " WHERE status = ?", (status.value,)
        return [self._outbox_item(r) for r in self._run(sql + " ORDER BY seq", args).fetchall()]

    def mark_sent(self, key: str, *, at: datetime, message_id: str) -> None:
        self._set_status(key, "UPDATE outbox SET status='sent', sent_at=?, message_id=? WHERE key=?",
                         (self._time(at), message_id, key))

    def mark_attempt(self, key: str, *, at: datetime) -> None:
        with self.atomic():
            self._run("UPDATE outbox SET error=? WHERE key=? AND status='pending'",
                      (f"attempted {at.isoformat()}", key))

    def mark_failed(self, key: str, *, at: datetime, error: str) -> None:
        self._set_status(key, "UPDATE outbox SET status='failed', sent_at=NULL, error=? WHERE key=?",
                         (f"{at.isoformat()} {error}", key))

    def _set_status(self, key: str, sql: str, args: tuple[Any, ...]) -> None:
        with self.atomic():
            if self._run(sql, args).rowcount != 1:
                raise KeyError(f"no outbox row with key {key!r}")

    def _outbox_item(self, r: Any) -> OutboxItem:
        return OutboxItem(
            key=r["key"], case_ref=r["case_ref"], purpose=r["purpose"],
            message=message_from_json(r["message"]), created_at=self._as_time(r["created_at"]),  # type: ignore[arg-type]
            status=OutboxStatus(r["status"]), sent_at=self._as_time(r["sent_at"]), message_id=r["message_id"],
            error=r["error"], due_by=self._as_date(r["due_by"]),
        )

    # inbound
    def record_inbound(self, message_id: str, *, at: datetime, outcome: str) -> bool:
        with self.atomic():
            cur = self._run("INSERT INTO inbound (message_id, at, outcome) VALUES (?, ?, ?)"
                            " ON CONFLICT (message_id) DO NOTHING", (message_id, self._time(at), outcome))
            crash_point("ledger.inbound.uncommitted")
        return bool(cur.rowcount == 1)

    def inbound_seen(self, message_id: str) -> bool:
        return self._run("SELECT 1 FROM inbound WHERE message_id=?", (message_id,)).fetchone() is not None

    def inbound_outcome(self, message_id: str) -> str | None:
        row = self._run("SELECT outcome FROM inbound WHERE message_id=?", (message_id,)).fetchone()
        return row[0] if row else None

    # cursors
    def cursor(self, name: str) -> str | None:
        row = self._run("SELECT value FROM cursors WHERE name=?", (name,)).fetchone()
        return row[0] if row else None

    def set_cursor(self, name: str, value: str) -> None:
        with self.atomic():
            self._run("INSERT INTO cursors (name, value) VALUES (?, ?)"
                      " ON CONFLICT (name) DO UPDATE SET value=excluded.value", (name, value))
            crash_point("ledger.cursor.uncommitted")

    # audit
    def audit(self, event: AuditEvent) -> None:
        with self.atomic():
            self._run("INSERT INTO audit (at, actor, action, case_ref, agency, detail, outbox_key)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?)",
                      (self._time(event.at), event.actor, event.action, event.case_ref, event.agency, event.detail,
                       event.outbox_key))
            crash_point("ledger.audit.uncommitted")

    def audit_count(self, action: str, *, case_ref: str, agency: str | None = "") -> int:
        """How many audit rows of `action` a case has for `agency` ("" the case itself, None any agency)."""
        if agency is None:
            return int(self._run("SELECT COUNT(*) FROM audit WHERE case_ref=? AND action=?",
                                 (case_ref, action)).fetchone()[0])
        return int(self._run("SELECT COUNT(*) FROM audit WHERE case_ref=? AND action=? AND agency=?",
                             (case_ref, action, agency)).fetchone()[0])

    def audit_trail(self, case_ref: str | None = None) -> Iterator[AuditEvent]:
        sql, args = "SELECT * FROM audit", tuple[str, ...]()
        if case_ref is not None:
            sql, args = sql + " WHERE case_ref = ?", (case_ref,)
        for r in self._run(sql + " ORDER BY seq", args).fetchall():
            yield AuditEvent(
                at=self._as_time(r["at"]), action=r["action"], case_ref=r["case_ref"],  # type: ignore[arg-type]
                agency=r["agency"], detail=r["detail"], outbox_key=r["outbox_key"], actor=r["actor"],
            )

    # instances and counts, for operators
    def heartbeat(self, instance: Instance) -> None:
        i = instance
        with self.atomic():
            self._run(
                "INSERT INTO instances (name, host, pid, version, role, started_at, seen_at, last_tick_at,"
                " last_tick_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
                " host=excluded.host, pid=excluded.pid, version=excluded.version, role=excluded.role,"
                " started_at=excluded.started_at, seen_at=excluded.seen_at,"
                " last_tick_at=COALESCE(excluded.last_tick_at, instances.last_tick_at),"
                " last_tick_id=CASE WHEN excluded.last_tick_at IS NULL THEN instances.last_tick_id"
                " ELSE excluded.last_tick_id END",
                (i.name, i.host, i.pid, i.version, i.role, self._time(i.started_at), self._time(i.seen_at),
                 self._time(i.last_tick_at) if i.last_tick_at else None, i.last_tick_id))

    def instances(self) -> list[Instance]:
        return [Instance(name=r["name"], host=r["host"], pid=int(r["pid"]), version=r["version"], role=r["role"],
                         started_at=self._as_time(r["started_at"]),  # type: ignore[arg-type]
                         seen_at=self._as_time(r["seen_at"]),  # type: ignore[arg-type]
                         last_tick_at=self._as_time(r["last_tick_at"]), last_tick_id=r["last_tick_id"])
                for r in self._run("SELECT * FROM instances ORDER BY seen_at DESC, name").fetchall()]

    def stats(self) -> LedgerStats:
        counts = {s.value: 0 for s in OutboxStatus}
        counts.update({r[0]: int(r[1]) for r in
                       self._run("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall()})
        oldest = self._run("SELECT MIN(created_at) FROM outbox WHERE status='pending'").fetchone()[0]
        inbound, quarantined = self._run("SELECT COUNT(*), COALESCE(SUM(CASE WHEN outcome LIKE '%:quarantine'"
                                         " THEN 1 ELSE 0 END), 0) FROM inbound").fetchone()
        return LedgerStats(outbox=counts, oldest_unsent=self._as_time(oldest), inbound=int(inbound),
                           sent=counts[OutboxStatus.SENT.value], quarantined=int(quarantined))


    def schema_version(self) -> int:
        return int(self._run("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()[0])


class SqliteLedger(SqlLedger):
    """The Ledger port on one SQLite file (or ":memory:" for tests)."""

    def __init__(self, path: Path | str) -> None:
        self.path = path
        self._conn = connect(path)
        self._tx = Transactions(self._conn)
        migrate_sqlite(self._conn, str(path))

    def close(self) -> None:
        self._conn.close()

    def atomic(self) -> AbstractContextManager[None]:
        return self._tx.atomic()

    def pragma(self, name: str) -> Any:
        return self._conn.execute(f"PRAGMA {name}").fetchone()[0]

    def _run(self, sql: str, args: tuple[Any, ...] = ()) -> Any:
        return self._conn.execute(sql, args)

    def schema_version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])
