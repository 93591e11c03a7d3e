"""Ledger migrations: versioned, run on start, forward only; a ledger from the first schema upgrades in place on
both backends (frozen fixtures in tests/fixtures/), and a ledger newer than the code is refused."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.ledger import SqliteLedger
from bot.migrations import LATEST, MIGRATIONS, SchemaTooNew
from bot.ports import DuplicateKey, Instance, Ledger, OutboundMessage, OutboxStatus
from tests.postgres import fresh_schema

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
T1 = datetime(2025, 3, 11, 9, 0, tzinfo=UTC)
MESSAGE = OutboundMessage(to=("lead@scp.example",), subject="Notice", text="Held for approval.")


def sqlite_v1(path: Path) -> Path:
    with sqlite3.connect(path) as raw:
        raw.executescript((FIXTURES / "ledger-v1.sqlite.sql").read_text())
    return path


def check_upgraded(ledger: Ledger) -> None:
    """Everything the first schema held is still there, and what later versions added works."""
    rows = {i.key: i for i in ledger.outbox()}
    assert rows["request:RR-2025-001:POL"].status is OutboxStatus.SENT
    assert rows["request:RR-2025-001:POL"].sent_at == datetime(2025, 3, 4, 9, 1, tzinfo=UTC)
    assert rows["request:RR-2025-001:POL"].message.to == ("duty.officer@police.example",)
    assert rows["chaser:RR-2025-001:POL:1"].status is OutboxStatus.PENDING
    assert rows["chaser:RR-2025-001:POL:1"].due_by is None
    assert ledger.inbound_outcome("<reply-1@health.example>") == "return"
    assert ledger.cursor("mail") == "cursor-17"
    assert [e.outbox_key for e in ledger.audit_trail("RR-2025-001")] == ["request:RR-2025-001:POL"]
    with pytest.raises(DuplicateKey):
        ledger.enqueue("request:RR-2025-001:POL", MESSAGE, case_ref="RR-2025-001", purpose="p", at=T1)
    # version 2: a held row with the deadline it serves (the first schema's CHECK refused 'held')
    ledger.enqueue("notice:RR-2025-001", MESSAGE, case_ref="RR-2025-001", purpose="notice", at=T1, held=True,
                   due_by=date(2025, 3, 20))
    held = ledger.outbox(OutboxStatus.HELD)
    assert [(i.key, i.due_by) for i in held] == [("notice:RR-2025-001", date(2025, 3, 20))]
    assert [i.key for i in ledger.outbox()][-1] == "notice:RR-2025-001"  # queued after the old rows
    # version 3: instances
    ledger.heartbeat(Instance("a", "h", 1, "x", "leader", started_at=T1, seen_at=T1))
    assert [i.name for i in ledger.instances()] == ["a"]


class TestSqlite:
    def test_a_first_schema_ledger_upgrades_in_place(self, tmp_path: Path) -> None:
        path = sqlite_v1(tmp_path / "ledger.sqlite")
        ledger = SqliteLedger(path)
        try:
            assert ledger.pragma("user_version") == LATEST
            check_upgraded(ledger)
        finally:
            ledger.close()
        with sqlite3.connect(path) as raw:  # the rebuilt outbox kept its index; the audit trail its triggers
            names = {r[0] for r in raw.execute("SELECT name FROM sqlite_master")}
            assert {"outbox_status", "audit_no_update", "audit_no_delete", "instances"} <= names
            assert "outbox_before_v2" not in names

    def test_a_ledger_upgraded_before_migrations_existed_gets_the_held_status(self, tmp_path: Path) -> None:
        """Before versioned migrations, opening a first-schema ledger added due_by and set version 2 but kept
        the old CHECK, so a held notice could never be queued; version 2's rebuild repairs that."""
        path = sqlite_v1(tmp_path / "ledger.sqlite")
        with sqlite3.connect(path) as raw:
            raw.execute("ALTER TABLE outbox ADD COLUMN due_by TEXT")
            raw.execute("PRAGMA user_version = 1")
        ledger = SqliteLedger(path)
        try:
            check_upgraded(ledger)
        finally:
            ledger.close()

    def test_opening_again_applies_nothing(self, tmp_path: Path) -> None:
        path = tmp_path / "ledger.sqlite"
        SqliteLedger(path).close()
        from bot.ledger import connect
        from bot.migrations import migrate_sqlite

        conn = connect(path)
        try:
            assert migrate_sqlite(conn, str(path)) == []
        finally:
            conn.close()

    def test_a_newer_ledger_is_refused_with_the_fix(self, tmp_path: Path) -> None:
        path = tmp_path / "ledger.sqlite"
        SqliteLedger(path).close()
        with sqlite3.connect(path) as raw:
            raw.execute(f"PRAGMA user_version = {LATEST + 1}")
        with pytest.raises(SchemaTooNew, match=f"schema version {LATEST + 1}.*Fix: .*restore the ledger backup"):
            SqliteLedger(path)

    def test_a_failed_migration_leaves_the_ledger_at_its_old_version(self, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
        path = sqlite_v1(tmp_path / "ledger.sqlite")

        def broken(conn: sqlite3.Connection) -> None:
            conn.execute("CREATE TABLE half_done (x)")
            raise RuntimeError("disk full")

        import dataclasses

        import bot.migrations

        steps = (*MIGRATIONS[:2], dataclasses.replace(MIGRATIONS[2], sqlite=broken))  # version 3 fails
        monkeypatch.setattr(bot.migrations, "MIGRATIONS", steps)
        with pytest.raises(RuntimeError, match="disk full"):
            SqliteLedger(path)
        with sqlite3.connect(path) as raw:
            assert raw.execute("PRAGMA user_version").fetchone()[0] == 2  # version 2 committed, 3 rolled back
            assert raw.execute("SELECT name FROM sqlite_master WHERE name = 'half_done'").fetchone() is None
        monkeypatch.undo()
        ledger = SqliteLedger(path)  # the next start carries on
        try:
            check_upgraded(ledger)
        finally:
            ledger.close()


class TestPostgres:
    def test_a_first_schema_ledger_upgrades_in_place(self) -> None:
        import psycopg

        from bot.ledger_pg import PostgresLedger

        with fresh_schema() as url:
            with psycopg.connect(url, autocommit=True) as raw:
                raw.execute((FIXTURES / "ledger-v1.postgres.sql").read_text())  # type: ignore[arg-type]
            ledger = PostgresLedger(url)
            try:
                check_upgraded(ledger)
            finally:
                ledger.close()
            with psycopg.connect(url) as raw:
                versions = [r[0] for r in raw.execute("SELECT version FROM schema_migrations ORDER BY version")]
                assert versions == [m.version for m in MIGRATIONS]

    def test_a_newer_ledger_is_refused_with_the_fix(self) -> None:
        import psycopg

        from bot.ledger_pg import PostgresLedger

        with fresh_schema() as url:
            PostgresLedger(url).close()
            with psycopg.connect(url, autocommit=True) as raw:
                raw.execute("INSERT INTO schema_migrations (version, what) VALUES (%s, 'from the future')",
                            (LATEST + 1,))
            with pytest.raises(SchemaTooNew, match="Fix: "):
                PostgresLedger(url)

    def test_two_instances_starting_together_migrate_once(self) -> None:
        from concurrent.futures import ThreadPoolExecutor

        import psycopg

        from bot.ledger_pg import PostgresLedger

        with fresh_schema() as url:
            with ThreadPoolExecutor(4) as pool:
                ledgers = list(pool.map(lambda _: PostgresLedger(url), range(4)))
            for ledger in ledgers:
                ledger.close()
            with psycopg.connect(url) as raw:
                assert raw.execute("SELECT COUNT(*) FROM schema_migrations").fetchone() == (LATEST,)
