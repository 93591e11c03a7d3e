"""Versioned ledger migrations, one list for both backends, run on start and only ever forward.

Each version means the same on SQLite and PostgreSQL. SQLite keeps its version in `PRAGMA user_version` and
commits each version with its number, so a crash between two leaves the ledger at the earlier one and the next
start carries on; PostgreSQL keeps a `schema_migrations` table and applies every pending version in one
transaction, under a lock, so instances starting together take turns. A ledger newer than this code is
refused (an older cspr-bot must not write to it): see "Upgrade and roll back" in the README.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class SchemaTooNew(RuntimeError):
    """The ledger was written by a newer cspr-bot than this one."""


def too_new(where: str, found: int) -> SchemaTooNew:
    return SchemaTooNew(
        f"{where}: the ledger is at schema version {found}, newer than this cspr-bot knows ({LATEST}): a newer "
        "version has run on it. Fix: run that version again, or restore the ledger backup taken before the "
        "upgrade and then start this version (README, \"Upgrade and roll back\")")


# --- SQLite ----------------------------------------------------------------------------------

_V1_SQLITE = """
CREATE TABLE IF NOT EXISTS outbox (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    key        TEXT NOT NULL UNIQUE,
    case_ref   TEXT NOT NULL,
    purpose    TEXT NOT NULL,
    message    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    status     TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    sent_at    TEXT,
    message_id TEXT NOT NULL DEFAULT '',
    error      TEXT NOT NULL DEFAULT ''
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
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END
"""

_OUTBOX_V2_SQLITE = """
CREATE TABLE outbox (
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
)"""

_INSTANCES_SQLITE = """
CREATE TABLE IF NOT EXISTS instances (
    name         TEXT PRIMARY KEY,
    host         TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    version      TEXT NOT NULL,
    role         TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    seen_at      TEXT NOT NULL,
    last_tick_at TEXT,
    last_tick_id TEXT NOT NULL DEFAULT ''
)"""


def _statements(script: str) -> list[str]:
    """A script's statements, split where SQLite says one is complete (a trigger body keeps its `;`)."""
    out, current = [], ""
    for line in script.strip().splitlines():
        current += line + "\n"
        if sqlite3.complete_statement(current):
            out.append(current.strip())
            current = ""
    if current.strip():
        out.append(current.strip())
    return out


def _sqlite_v1(conn: sqlite3.Connection) -> None:
    for statement in _statements(_V1_SQLITE):
        conn.execute(statement)


def _sqlite_outbox_v2(conn: sqlite3.Connection) -> None:
    """Rebuild the outbox with `due_by` and the `held` status (SQLite cannot change a CHECK in place): ledgers
    made before version 2 may have either, both or neither, as the code of the day added them."""
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'outbox'").fetchone()[0]
    columns = [row[1] for row in conn.execute("PRAGMA table_info(outbox)")]
    if "'held'" in sql and "due_by" in columns:
        return
    keep = ", ".join(c for c in columns if c != "due_by") + (", due_by" if "due_by" in columns else "")
    conn.execute("ALTER TABLE outbox RENAME TO outbox_before_v2")
    conn.execute(_OUTBOX_V2_SQLITE)
    conn.execute(f"INSERT INTO outbox ({keep}) SELECT {keep} FROM outbox_before_v2")
    conn.execute("DROP TABLE outbox_before_v2")
    conn.execute("CREATE INDEX IF NOT EXISTS outbox_status ON outbox (status, seq)")
    # the AUTOINCREMENT counter carries over, so a new row never reuses a sequence number
    conn.execute("UPDATE sqlite_sequence SET seq = (SELECT COALESCE(MAX(seq), 0) FROM outbox) WHERE name = 'outbox'")


def _sqlite_v3(conn: sqlite3.Connection) -> None:
    conn.execute(_INSTANCES_SQLITE)


# --- PostgreSQL ------------------------------------------------------------------------------

_V1_POSTGRES = """
CREATE TABLE outbox (
    seq        BIGSERIAL PRIMARY KEY,
    key        TEXT NOT NULL UNIQUE,
    case_ref   TEXT NOT NULL,
    purpose    TEXT NOT NULL,
    message    TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    status     TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    sent_at    TIMESTAMPTZ,
    message_id TEXT NOT NULL DEFAULT '',
    error      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_status ON outbox (status, seq);
CREATE TABLE inbound (
    message_id TEXT PRIMARY KEY,
    at         TIMESTAMPTZ NOT NULL,
    outcome    TEXT NOT NULL
);
CREATE TABLE cursors (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE audit (
    seq        BIGSERIAL PRIMARY KEY,
    at         TIMESTAMPTZ NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    case_ref   TEXT NOT NULL DEFAULT '',
    agency     TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT '',
    outbox_key TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_case ON audit (case_ref, seq);
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END $$;
CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()
"""

_V2_POSTGRES = """
ALTER TABLE outbox ADD COLUMN due_by DATE;
ALTER TABLE outbox DROP CONSTRAINT outbox_status_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check CHECK (status IN ('held', 'pending', 'sent', 'failed'))
"""

_V3_POSTGRES = """
CREATE TABLE instances (
    name         TEXT PRIMARY KEY,
    host         TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    version      TEXT NOT NULL,
    role         TEXT NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL,
    seen_at      TIMESTAMPTZ NOT NULL,
    last_tick_at TIMESTAMPTZ,
    last_tick_id TEXT NOT NULL DEFAULT ''
)
"""


@dataclass(frozen=True)
class Migration:
    version: int
    what: str
    sqlite: Callable[[sqlite3.Connection], None]
    postgres: str  # statements separated by ";\n" ($$-quoted bodies stay on one line)

    def postgres_statements(self) -> list[str]:
        return [s.strip() for s in self.postgres.strip().split(";\n") if s.strip()]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "outbox, processed inbound ids, cursors, append-only audit trail", _sqlite_v1, _V1_POSTGRES),
    Migration(2, "outbox rows carry the deadline they serve (due_by) and may be held for approval",
              _sqlite_outbox_v2, _V2_POSTGRES),
    Migration(3, "instances: each running bot's role, heartbeat and last tick", _sqlite_v3, _V3_POSTGRES),
)
LATEST = MIGRATIONS[-1].version


def migrate_sqlite(conn: sqlite3.Connection, where: str) -> list[int]:
    """Bring a SQLite ledger to LATEST, one transaction per version; returns the versions applied."""
    applied: list[int] = []
    while True:
        conn.execute("BEGIN IMMEDIATE")  # one writer at a time decides and applies
        try:
            found = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if found > LATEST:
                raise too_new(where, found)
            if found == LATEST:
                conn.execute("COMMIT")
                return applied
            step = MIGRATIONS[found]
            step.sqlite(conn)
            conn.execute(f"PRAGMA user_version={step.version}")
            conn.execute("COMMIT")
            applied.append(step.version)
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def migrate_postgres(conn: Any, where: str) -> list[int]:
    """Bring a PostgreSQL ledger (the connection's schema) to LATEST; instances starting together take turns
    (a transaction-scoped advisory lock), and every pending version commits together, each with its row in
    `schema_migrations`."""
    applied: list[int] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('cspr-bot migrate:' || current_schema(), 0))")
        conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
                     " applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), what TEXT NOT NULL)")
        found = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()[0]
        if found > LATEST:
            raise too_new(where, found)
        for step in MIGRATIONS[found:]:
            with conn.transaction():  # a savepoint: the whole run commits together, under the lock
                for statement in step.postgres_statements():
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_migrations (version, what) VALUES (%s, %s)", (step.version, step.what))
            applied.append(step.version)
    return applied
