"""The Ledger contract, run against a SQLite file, an in-memory SQLite ledger and PostgreSQL (see the `ledger`
fixture), plus the durability promises only a file or a server can keep."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.ledger import SqliteLedger
from bot.ports import (
    Attachment,
    AuditEvent,
    DuplicateKey,
    Instance,
    Ledger,
    OutboundMessage,
    OutboxItem,
    OutboxStatus,
)

T0 = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)

FULL_MESSAGE = OutboundMessage(
    to=("designated.lead@health.example", "duty.officer@police.example"),
    cc=("panel.chair@scp.example",),
    subject="Information request: RR-2025-001 – Child A",
    text="Please return the attached form by Friday.\n",
    html="<p>Please return the attached form by <b>Friday</b>.</p>",
    attachments=(
        Attachment("request.pdf", "application/pdf", bytes(range(256)) + b"\x00\r\n"),
        Attachment("notes.txt", "text/plain", "Child A – notes\n".encode()),
    ),
    message_id="<rr-2025-001.request@scp.example>",
    in_reply_to="<thread-0@health.example>",
)


def plain(subject: str = "Chaser: RR-2025-001") -> OutboundMessage:
    return OutboundMessage(to=("designated.lead@health.example",), subject=subject, text="A reminder.")


class TestLedgerContract:
    def test_the_implementation_satisfies_the_port(self, ledger: Ledger) -> None:
        assert isinstance(ledger, Ledger)

    def test_an_enqueued_message_comes_back_intact_as_pending(self, ledger: Ledger) -> None:
        queued = ledger.enqueue("request:RR-2025-001:HEA", FULL_MESSAGE, case_ref="RR-2025-001",
                                purpose="agency-request", at=T0)

        [item] = ledger.outbox(OutboxStatus.PENDING)
        assert item == queued
        assert item == OutboxItem("request:RR-2025-001:HEA", "RR-2025-001", "agency-request", FULL_MESSAGE, T0)
        assert item.message.attachments[0].data == bytes(range(256)) + b"\x00\r\n"
        assert item.message.html == FULL_MESSAGE.html
        assert item.message.cc == ("panel.chair@scp.example",)
        assert item.status is OutboxStatus.PENDING
        assert item.sent_at is None

    def test_an_attempt_is_noted_on_a_pending_row_and_never_on_a_sent_one(self, ledger: Ledger) -> None:
        ledger.enqueue("k1", plain(), case_ref="RR-1", purpose="chaser", at=T0)
        ledger.enqueue("k2", plain("other"), case_ref="RR-1", purpose="chaser", at=T0)
        ledger.mark_sent("k2", at=T0, message_id="<k2@scp.example>")
        ledger.mark_attempt("k1", at=T0 + timedelta(minutes=1))
        ledger.mark_attempt("k2", at=T0 + timedelta(minutes=1))
        one, two = ledger.outbox()
        assert (one.status, one.error) == (OutboxStatus.PENDING, f"attempted {(T0 + timedelta(minutes=1)).isoformat()}")
        assert (two.status, two.error) == (OutboxStatus.SENT, "")

    def test_a_message_without_optional_parts_comes_back_intact(self, ledger: Ledger) -> None:
        ledger.enqueue("k1", plain(), case_ref="RR-1", purpose="chaser", at=T0)
        [item] = ledger.outbox()
        assert item.message == plain()
        assert item.message.html is None
        assert item.message.message_id is None

    def test_the_outbox_lists_rows_in_the_order_they_were_queued(self, ledger: Ledger) -> None:
        # queued later but stamped earlier: order is queue order, not timestamp or key order
        ledger.enqueue("z", plain("first"), case_ref="RR-1", purpose="p", at=T0 + timedelta(hours=1))
        ledger.enqueue("a", plain("second"), case_ref="RR-1", purpose="p", at=T0)
        ledger.enqueue("m", plain("third"), case_ref="RR-2", purpose="p", at=T0 + timedelta(hours=2))

        assert [i.key for i in ledger.outbox()] == ["z", "a", "m"]
        assert [i.key for i in ledger.outbox(OutboxStatus.PENDING)] == ["z", "a", "m"]

    def test_a_duplicate_key_raises_duplicate_key_and_keeps_the_first_row(self, ledger: Ledger) -> None:
        ledger.enqueue("request:RR-1:POL", plain("original"), case_ref="RR-1", purpose="p", at=T0)

        with pytest.raises(DuplicateKey):
            ledger.enqueue("request:RR-1:POL", plain("duplicate"), case_ref="RR-2", purpose="q", at=T0)

        [item] = ledger.outbox()
        assert item.message.subject == "original"
        assert item.case_ref == "RR-1"

    def test_a_key_that_was_ever_used_stays_used_after_sending(self, ledger: Ledger) -> None:
        ledger.enqueue("request:RR-1:POL", plain(), case_ref="RR-1", purpose="p", at=T0)
        ledger.mark_sent("request:RR-1:POL", at=T0, message_id="<m1@scp.example>")

        with pytest.raises(DuplicateKey):
            ledger.enqueue("request:RR-1:POL", plain(), case_ref="RR-1", purpose="p", at=T0)

    def test_mark_sent_moves_the_row_to_sent_with_its_message_id(self, ledger: Ledger) -> None:
        ledger.enqueue("a", plain(), case_ref="RR-1", purpose="p", at=T0)
        ledger.enqueue("b", plain(), case_ref="RR-1", purpose="p", at=T0)
        sent_at = T0 + timedelta(minutes=1)

        ledger.mark_sent("a", at=sent_at, message_id="<a@scp.example>")

        assert [i.key for i in ledger.outbox(OutboxStatus.PENDING)] == ["b"]
        [sent] = ledger.outbox(OutboxStatus.SENT)
        assert sent.key == "a"
        assert sent.status is OutboxStatus.SENT
        assert sent.sent_at == sent_at
        assert sent.message_id == "<a@scp.example>"
        assert sent.message == plain()

    def test_mark_failed_moves_the_row_to_failed_with_the_error(self, ledger: Ledger) -> None:
        ledger.enqueue("a", plain(), case_ref="RR-1", purpose="p", at=T0)

        ledger.mark_failed("a", at=T0 + timedelta(minutes=1), error="550 mailbox unavailable")

        assert ledger.outbox(OutboxStatus.PENDING) == []
        [failed] = ledger.outbox(OutboxStatus.FAILED)
        assert failed.status is OutboxStatus.FAILED
        assert "550 mailbox unavailable" in failed.error
        assert failed.sent_at is None
        assert ledger.outbox(OutboxStatus.SENT) == []

    @pytest.mark.parametrize("mark", ["sent", "failed"])
    def test_marking_an_unknown_key_raises_key_error_and_changes_nothing(self, ledger: Ledger, mark: str) -> None:
        ledger.enqueue("known", plain(), case_ref="RR-1", purpose="p", at=T0)
        with pytest.raises(KeyError):
            if mark == "sent":
                ledger.mark_sent("unknown", at=T0, message_id="<x@scp.example>")
            else:
                ledger.mark_failed("unknown", at=T0, error="boom")
        assert [(i.key, i.status) for i in ledger.outbox()] == [("known", OutboxStatus.PENDING)]

    def test_record_inbound_is_true_the_first_time_and_false_after(self, ledger: Ledger) -> None:
        assert ledger.inbound_seen("msg-1") is False

        assert ledger.record_inbound("msg-1", at=T0, outcome="processed") is True
        assert ledger.record_inbound("msg-1", at=T0 + timedelta(minutes=1), outcome="processed") is False
        assert ledger.record_inbound("msg-1", at=T0 + timedelta(minutes=2), outcome="quarantined") is False

        assert ledger.inbound_seen("msg-1") is True
        assert ledger.inbound_seen("msg-2") is False
        assert ledger.record_inbound("msg-2", at=T0, outcome="quarantined") is True

    def test_cursors_start_unset_and_can_be_set_and_overwritten(self, ledger: Ledger) -> None:
        assert ledger.cursor("mail") is None

        ledger.set_cursor("mail", "c1")
        ledger.set_cursor("register:cases", "17")
        assert ledger.cursor("mail") == "c1"

        ledger.set_cursor("mail", "c2")
        assert ledger.cursor("mail") == "c2"
        assert ledger.cursor("register:cases") == "17"
        assert ledger.cursor("register:agencies") is None

    def test_the_audit_trail_returns_events_in_order_and_filters_by_case(self, ledger: Ledger) -> None:
        events = [
            AuditEvent(at=T0, action="case-opened", case_ref="RR-1"),
            AuditEvent(at=T0 + timedelta(minutes=1), action="request-queued", case_ref="RR-2", agency="POL",
                       detail="agency request", outbox_key="request:RR-2:POL", actor="coordinator"),
            AuditEvent(at=T0 + timedelta(minutes=2), action="return-received", case_ref="RR-1", agency="HEA"),
            AuditEvent(at=T0 + timedelta(minutes=3), action="tick"),
        ]
        for event in events:
            ledger.audit(event)

        assert list(ledger.audit_trail()) == events
        assert list(ledger.audit_trail("RR-1")) == [events[0], events[2]]
        assert list(ledger.audit_trail("RR-2")) == [events[1]]
        assert list(ledger.audit_trail("RR-9")) == []

    def test_audit_count_counts_a_case_action_for_one_agency_the_case_itself_or_any_agency(
            self, ledger: Ledger) -> None:
        for agency in ("POL", "POL", "HLT", ""):
            ledger.audit(AuditEvent(at=T0, action="return_saved", case_ref="RR-1", agency=agency))
        ledger.audit(AuditEvent(at=T0, action="return_saved", case_ref="RR-2", agency="POL"))
        ledger.audit(AuditEvent(at=T0, action="chaser-sent", case_ref="RR-1", agency="POL"))
        assert ledger.audit_count("return_saved", case_ref="RR-1", agency="POL") == 2
        assert ledger.audit_count("return_saved", case_ref="RR-1") == 1
        assert ledger.audit_count("return_saved", case_ref="RR-1", agency=None) == 4
        assert ledger.audit_count("return_saved", case_ref="RR-3", agency=None) == 0

    def test_audit_appends_even_identical_events(self, ledger: Ledger) -> None:
        event = AuditEvent(at=T0, action="chaser-sent", case_ref="RR-1", agency="POL")
        ledger.audit(event)
        ledger.audit(event)
        assert list(ledger.audit_trail("RR-1")) == [event, event]

    def test_atomic_rolls_back_every_write_inside_it_on_an_exception(self, ledger: Ledger) -> None:
        ledger.set_cursor("mail", "before")

        with pytest.raises(RuntimeError, match="crash mid-tick"):
            with ledger.atomic():
                ledger.enqueue("k", plain(), case_ref="RR-1", purpose="p", at=T0)
                ledger.audit(AuditEvent(at=T0, action="request-queued", case_ref="RR-1", outbox_key="k"))
                ledger.record_inbound("msg-1", at=T0, outcome="processed")
                ledger.set_cursor("mail", "after")
                raise RuntimeError("crash mid-tick")

        assert ledger.outbox() == []
        assert list(ledger.audit_trail()) == []
        assert ledger.inbound_seen("msg-1") is False
        assert ledger.cursor("mail") == "before"

    def test_atomic_commits_every_write_inside_it_when_the_block_ends(self, ledger: Ledger) -> None:
        with ledger.atomic():
            ledger.enqueue("k", plain(), case_ref="RR-1", purpose="p", at=T0)
            ledger.audit(AuditEvent(at=T0, action="request-queued", case_ref="RR-1", outbox_key="k"))

        assert [i.key for i in ledger.outbox()] == ["k"]
        assert [e.action for e in ledger.audit_trail()] == ["request-queued"]

    def test_the_ledger_is_usable_after_a_rolled_back_block(self, ledger: Ledger) -> None:
        with pytest.raises(ValueError):
            with ledger.atomic():
                ledger.enqueue("k", plain(), case_ref="RR-1", purpose="p", at=T0)
                raise ValueError("no")

        ledger.enqueue("k", plain(), case_ref="RR-1", purpose="p", at=T0)
        with ledger.atomic():
            ledger.mark_sent("k", at=T0, message_id="<k@scp.example>")
        assert [(i.key, i.status) for i in ledger.outbox()] == [("k", OutboxStatus.SENT)]

    def test_a_failed_mark_inside_atomic_rolls_back_the_whole_block(self, ledger: Ledger) -> None:
        with pytest.raises(KeyError):
            with ledger.atomic():
                ledger.enqueue("k", plain(), case_ref="RR-1", purpose="p", at=T0)
                ledger.mark_sent("no-such-key", at=T0, message_id="<x@scp.example>")
        assert ledger.outbox() == []

    def test_a_nested_atomic_block_joins_the_outer_one(self, ledger: Ledger) -> None:
        with pytest.raises(RuntimeError):
            with ledger.atomic():
                ledger.enqueue("outer", plain(), case_ref="RR-1", purpose="p", at=T0)
                with ledger.atomic():
                    ledger.enqueue("inner", plain(), case_ref="RR-1", purpose="p", at=T0)
                    ledger.audit(AuditEvent(at=T0, action="inner"))
                # the inner block has ended: its writes must not be committed on their own
                raise RuntimeError("outer fails after the inner block finished")

        assert ledger.outbox() == []
        assert list(ledger.audit_trail()) == []

    def test_an_exception_in_a_nested_block_rolls_back_the_outer_one_too(self, ledger: Ledger) -> None:
        with pytest.raises(RuntimeError):
            with ledger.atomic():
                ledger.enqueue("outer", plain(), case_ref="RR-1", purpose="p", at=T0)
                with ledger.atomic():
                    ledger.enqueue("inner", plain(), case_ref="RR-1", purpose="p", at=T0)
                    raise RuntimeError("inner fails")

        assert ledger.outbox() == []

    def test_nested_blocks_commit_together_when_the_outer_one_ends(self, ledger: Ledger) -> None:
        with ledger.atomic():
            ledger.enqueue("outer", plain(), case_ref="RR-1", purpose="p", at=T0)
            with ledger.atomic():
                ledger.enqueue("inner", plain(), case_ref="RR-1", purpose="p", at=T0)
            ledger.set_cursor("mail", "c")

        assert [i.key for i in ledger.outbox()] == ["outer", "inner"]
        assert ledger.cursor("mail") == "c"


class TestInstancesAndStats:
    """What operators see: each instance's role and heartbeat, and counts without loading a message."""

    def test_a_heartbeat_keeps_the_last_tick_until_a_newer_one_is_given(self, ledger: Ledger) -> None:
        first = Instance("bot-a", "host-a", 101, "0.2.0", "leader", started_at=T0, seen_at=T0,
                         last_tick_at=T0, last_tick_id="t1")
        ledger.heartbeat(first)
        later = Instance("bot-a", "host-a", 101, "0.2.0", "standby", started_at=T0,
                         seen_at=T0 + timedelta(seconds=30))
        ledger.heartbeat(later)

        (seen,) = ledger.instances()
        assert (seen.role, seen.seen_at, seen.last_tick_at, seen.last_tick_id) == (
            "standby", T0 + timedelta(seconds=30), T0, "t1")

        ledger.heartbeat(Instance("bot-a", "host-a", 101, "0.2.0", "leader", started_at=T0,
                                  seen_at=T0 + timedelta(minutes=5), last_tick_at=T0 + timedelta(minutes=5),
                                  last_tick_id="t2"))
        assert ledger.instances()[0].last_tick_id == "t2"

    def test_instances_come_most_recently_seen_first(self, ledger: Ledger) -> None:
        for n, name in enumerate(["old", "newest", "middle"]):
            seen = T0 + timedelta(seconds={"old": 0, "newest": 20, "middle": 10}[name])
            ledger.heartbeat(Instance(name, f"h{n}", n, "0.2.0", "standby", started_at=T0, seen_at=seen))
        assert [i.name for i in ledger.instances()] == ["newest", "middle", "old"]

    def test_stats_count_the_outbox_by_status_and_name_the_oldest_unsent(self, ledger: Ledger) -> None:
        ledger.enqueue("a", plain(), case_ref="RR-1", purpose="p", at=T0 + timedelta(hours=2))
        ledger.enqueue("b", plain(), case_ref="RR-1", purpose="p", at=T0 + timedelta(hours=1))
        ledger.enqueue("c", plain(), case_ref="RR-1", purpose="p", at=T0)
        ledger.enqueue("d", plain(), case_ref="RR-1", purpose="p", at=T0, held=True)
        ledger.mark_sent("c", at=T0, message_id="<c@x.example>")
        ledger.record_inbound("m1", at=T0, outcome="return:processed")
        ledger.record_inbound("m2", at=T0, outcome="hostile:quarantine")

        stats = ledger.stats()
        assert dict(stats.outbox) == {"held": 1, "pending": 2, "sent": 1, "failed": 0}
        assert stats.oldest_unsent == T0 + timedelta(hours=1)
        assert (stats.sent, stats.inbound, stats.quarantined) == (1, 2, 1)

    def test_a_new_ledger_is_at_the_latest_schema_version(self, ledger: Ledger) -> None:
        from bot.migrations import LATEST

        assert ledger.schema_version() == LATEST

    def test_an_empty_ledger_has_no_oldest_unsent(self, ledger: Ledger) -> None:
        stats = ledger.stats()
        assert (stats.oldest_unsent, stats.sent, stats.inbound, stats.quarantined, sum(stats.outbox.values())) == (
            None, 0, 0, 0, 0)

    def test_a_duplicate_key_inside_a_block_leaves_the_block_usable(self, ledger: Ledger) -> None:
        ledger.enqueue("k", plain(), case_ref="RR-1", purpose="p", at=T0)
        with ledger.atomic():
            with pytest.raises(DuplicateKey):
                ledger.enqueue("k", plain(), case_ref="RR-1", purpose="p", at=T0)
            ledger.set_cursor("after", "still committed")  # PostgreSQL would refuse this after a failed statement
        assert ledger.cursor("after") == "still committed"


class TestFileLedger:
    """Durability promises only a ledger file can keep (not parametrized)."""

    def test_a_committed_outbox_row_survives_closing_and_reopening_the_file(self, tmp_path: Path) -> None:
        path = tmp_path / "ledger.sqlite"
        ledger = SqliteLedger(path)
        ledger.enqueue("request:RR-1:POL", FULL_MESSAGE, case_ref="RR-1", purpose="agency-request", at=T0)
        ledger.mark_sent("request:RR-1:POL", at=T0, message_id="<m@scp.example>")
        ledger.enqueue("chaser:RR-1:POL", plain(), case_ref="RR-1", purpose="chaser", at=T0)
        ledger.set_cursor("mail", "c9")
        ledger.record_inbound("msg-1", at=T0, outcome="processed")
        ledger.audit(AuditEvent(at=T0, action="request-sent", case_ref="RR-1"))
        before = ledger.outbox()
        ledger.close()

        reopened = SqliteLedger(path)
        try:
            assert reopened.outbox() == before
            assert reopened.outbox(OutboxStatus.SENT)[0].message == FULL_MESSAGE
            assert reopened.cursor("mail") == "c9"
            assert reopened.inbound_seen("msg-1") is True
            assert [e.action for e in reopened.audit_trail("RR-1")] == ["request-sent"]
            with pytest.raises(DuplicateKey):
                reopened.enqueue("chaser:RR-1:POL", plain(), case_ref="RR-1", purpose="chaser", at=T0)
        finally:
            reopened.close()

    def test_a_rolled_back_block_leaves_nothing_in_the_file(self, tmp_path: Path) -> None:
        path = tmp_path / "ledger.sqlite"
        ledger = SqliteLedger(path)
        with pytest.raises(RuntimeError):
            with ledger.atomic():
                ledger.enqueue("k", plain(), case_ref="RR-1", purpose="p", at=T0)
                raise RuntimeError("crash")
        ledger.close()

        with sqlite3.connect(path) as raw:
            assert raw.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0

    def test_the_journal_is_wal_and_synchronous_is_full(self, tmp_path: Path) -> None:
        path = tmp_path / "ledger.sqlite"
        ledger = SqliteLedger(path)
        try:
            assert str(ledger.pragma("journal_mode")).lower() == "wal"
            assert ledger.pragma("synchronous") == 2  # FULL
            # WAL is a property of the file: another connection sees it too
            raw = sqlite3.connect(path)
            try:
                assert raw.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
            finally:
                raw.close()
        finally:
            ledger.close()

    @pytest.mark.parametrize("statement", [
        "UPDATE audit SET detail = 'rewritten'",
        "UPDATE audit SET case_ref = '' WHERE case_ref = 'RR-1'",
        "DELETE FROM audit",
        "DELETE FROM audit WHERE case_ref = 'RR-1'",
    ])
    def test_the_audit_trail_is_append_only_even_for_raw_sql(self, tmp_path: Path, statement: str) -> None:
        path = tmp_path / "ledger.sqlite"
        ledger = SqliteLedger(path)
        event = AuditEvent(at=T0, action="request-sent", case_ref="RR-1", detail="original")
        ledger.audit(event)

        raw = sqlite3.connect(path, isolation_level=None)
        try:
            with pytest.raises(sqlite3.DatabaseError):  # IntegrityError is a DatabaseError
                raw.execute(statement)
        finally:
            raw.close()

        try:
            assert list(ledger.audit_trail()) == [event]
        finally:
            ledger.close()


class TestPostgresLedger:
    """Promises only a server can keep (not parametrized): a new connection sees what was committed, the audit
    trail refuses raw SQL, and a connection the server dropped is remade on the next use."""

    def test_a_committed_row_is_seen_by_a_new_connection_and_a_rolled_back_one_is_not(self, pg_url: str) -> None:
        from bot.ledger_pg import PostgresLedger

        ledger = PostgresLedger(pg_url)
        ledger.enqueue("request:RR-1:POL", FULL_MESSAGE, case_ref="RR-1", purpose="agency-request", at=T0)
        with pytest.raises(RuntimeError), ledger.atomic():
            ledger.enqueue("lost", plain(), case_ref="RR-1", purpose="p", at=T0)
            raise RuntimeError("crash")
        other = PostgresLedger(pg_url)
        try:
            assert [(i.key, i.message) for i in other.outbox()] == [("request:RR-1:POL", FULL_MESSAGE)]
        finally:
            other.close()
            ledger.close()

    @pytest.mark.parametrize("statement", ["UPDATE audit SET detail = 'rewritten'", "DELETE FROM audit",
                                           "TRUNCATE audit"])
    def test_the_audit_trail_is_append_only_even_for_raw_sql(self, pg_url: str, statement: str) -> None:
        import psycopg

        from bot.ledger_pg import PostgresLedger

        ledger = PostgresLedger(pg_url)
        event = AuditEvent(at=T0, action="request-sent", case_ref="RR-1", detail="original")
        ledger.audit(event)
        with psycopg.connect(pg_url, autocommit=True) as raw, pytest.raises(psycopg.errors.RaiseException):
            raw.execute(statement)  # type: ignore[arg-type]
        try:
            assert list(ledger.audit_trail()) == [event]
        finally:
            ledger.close()

    def test_a_dropped_connection_fails_one_call_and_is_remade_on_the_next(self, pg_url: str) -> None:
        import psycopg

        from bot.ledger_pg import PostgresLedger

        ledger = PostgresLedger(pg_url)
        ledger.set_cursor("mail", "before")
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (ledger._conn.info.backend_pid,))
        with pytest.raises(psycopg.OperationalError):
            ledger.cursor("mail")
        try:
            assert ledger.cursor("mail") == "before"  # the next tick: a new connection
        finally:
            ledger.close()
