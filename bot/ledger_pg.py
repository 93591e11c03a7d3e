"""The ledger on PostgreSQL (psycopg 3), for a council that runs two or more instances: the same statements as
the SQLite ledger (`SqlLedger`), times as `timestamptz` in UTC, every write in an explicit transaction.

The connection is remade on the next use after it breaks (a server restart, a network blip): the job that was
running fails and is tried again on the next tick, as after any error. The password never comes from the
settings file: libpq reads `PGPASSWORD` (or a `~/.pgpass` file) from the service's environment.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Any

from bot.ledger import SqlLedger, Transactions
from bot.migrations import migrate_postgres

# keepalives: a peer that vanished without closing its socket (a host that lost power) is noticed within about a
# minute, so its advisory lock and connections are released; application_name shows the bot in pg_stat_activity
CONNECT_OPTIONS: dict[str, Any] = {"connect_timeout": 10, "application_name": "cspr-bot", "keepalives": 1,
                                   "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3,
                                   "tcp_user_timeout": 60_000}


class _Row(tuple[Any, ...]):
    """A row readable by position and by column name, like sqlite3.Row."""

    names: dict[str, int]

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self.names[key])
        return tuple.__getitem__(self, key)


def _row_factory(cursor: Any) -> Any:
    names = {c.name: i for i, c in enumerate(cursor.description or ())}
    row_type = type("Row", (_Row,), {"names": names})
    return lambda values: row_type(values)


def connect(url: str) -> Any:
    """An autocommit connection in UTC (transactions are explicit), with keepalives set."""
    import psycopg

    conn = psycopg.connect(url, autocommit=True, row_factory=_row_factory, **CONNECT_OPTIONS)
    conn.execute("SET TIME ZONE 'UTC'")
    return conn


def redact(url: str) -> str:
    """The URL without any password, for messages and logs."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(url)
    except Exception:  # noqa: BLE001 - an unreadable URL is shown as nothing rather than leaked
        return "postgresql://(unreadable)"
    user = f"{parts['user']}@" if parts.get("user") else ""
    return f"postgresql://{user}{parts.get('host', '')}:{parts.get('port', 5432)}/{parts.get('dbname', '')}"


class PostgresLedger(SqlLedger):
    """The Ledger port on a PostgreSQL database (the connection's schema, `public` unless the URL's options set
    `search_path`). Migrations run when it opens."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._conn = connect(url)
        self._tx = Transactions(begin=lambda: self._live().execute("BEGIN"),
                                commit=lambda: self._conn.execute("COMMIT"),
                                rollback=lambda: None if self._conn.broken else self._conn.execute("ROLLBACK"))
        self._lock = self._tx.lock  # statements outside a block wait for a block in another thread
        migrate_postgres(self._conn, redact(url))

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _live(self) -> Any:
        if self._conn.closed or self._conn.broken:
            if self._tx.depth:
                raise ConnectionError("the ledger's connection broke inside a transaction")
            self._conn = connect(self.url)
        return self._conn

    def atomic(self) -> AbstractContextManager[None]:
        return self._tx.atomic()

    def _time(self, value: datetime) -> Any:
        return value

    def _date(self, value: date | None) -> Any:
        return value

    def _run(self, sql: str, args: Sequence[Any] = ()) -> Any:
        with self._lock:
            return self._live().execute(_placeholders(sql), tuple(args))


_CONVERTED: dict[str, str] = {}


def _placeholders(sql: str) -> str:
    """The shared statements use `?`; psycopg wants `%s` (and a literal % doubled)."""
    if sql not in _CONVERTED:
        _CONVERTED[sql] = sql.replace("%", "%%").replace("?", "%s")
    return _CONVERTED[sql]
