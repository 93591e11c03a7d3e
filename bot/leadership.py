"""Who may tick: exactly one instance at a time.

With the ledger on PostgreSQL, two or more instances may run (on different hosts, or as container replicas);
the leader is the one holding a session-level advisory lock on its own connection to the ledger's database.
The server releases the lock the moment that session ends, so when the leader dies (its socket closes, or
keepalives notice a vanished host) a standby's next attempt, within one poll, takes it. The leader checks its
session is alive before every job, so a leader cut off from the database stops acting.

With SQLite only one process can use the workspace (an OS lock on the workspace, `cli_run.workspace_lock`), so
that one process is always the leader.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Protocol

log = logging.getLogger("cspr_bot.leader")

LOCK_SQL = "SELECT pg_try_advisory_lock(hashtextextended('cspr-bot leader:' || current_schema(), 0))"


class Leadership(Protocol):
    kind: str

    def ensure(self) -> bool:
        """True if this instance is the leader now (still, or just became); never raises."""
        ...

    def release(self) -> None: ...


class SoleInstance:
    """SQLite: the workspace lock already makes this process the only one."""

    kind = "sole instance (SQLite, workspace lock)"

    def ensure(self) -> bool:
        return True

    def release(self) -> None:
        pass


class AdvisoryLock:
    """PostgreSQL: a session-level advisory lock, keyed by the ledger's schema, on a connection of its own."""

    kind = "PostgreSQL advisory lock"

    def __init__(self, url: str) -> None:
        self.url = url
        self.held = False
        self._conn: Any = None
        self._lock = threading.Lock()

    def ensure(self) -> bool:
        import psycopg

        from bot.ledger_pg import connect

        with self._lock:
            try:
                if self.held:
                    self._conn.execute("SELECT 1")  # the session is alive, so the lock is still ours
                    return True
                if self._conn is None or self._conn.closed or self._conn.broken:
                    self._conn = connect(self.url)
                self.held = bool(self._conn.execute(LOCK_SQL).fetchone()[0])
                return self.held
            except psycopg.Error as exc:
                if self.held:
                    log.warning("leadership lost: the lock's connection failed (%s)", type(exc).__name__)
                self.held = False
                self._close()
                return False

    def release(self) -> None:
        with self._lock:
            self.held = False
            self._close()  # ending the session releases its advisory locks

    def _close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None


def leadership_for(ledger_url: str | None) -> Leadership:
    return AdvisoryLock(ledger_url) if ledger_url else SoleInstance()
