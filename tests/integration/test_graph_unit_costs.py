"""What a unit of work costs on Microsoft 365, request by request: a first send is a draft and a send (a later
attempt first looks for the earlier one by key); an inbound message just read from the inbox is moved without
being looked up again; a backlog is read a page at a time with the cursor kept after each page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.handlers.common import queue
from bot.handlers.ingest_mail import CURSOR, ingest_mail
from bot.ports import MailChanges, OutboundMessage
from tests.conftest import london
from tests.integration.graph_rig import MAILBOX, POLICE, REF, SIN, STRANGER, GraphRig, graph_rig, mail


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[GraphRig]:
    yield from graph_rig(tmp_path)


MESSAGE = OutboundMessage(to=(POLICE,), subject="Information request", text="Please return the form.")


def test_a_first_send_is_a_draft_and_a_send(rig: GraphRig) -> None:
    queue(rig.app.ledger, "k:1", MESSAGE, now=london(SIN), case_ref=REF, purpose="test")
    before = len(rig.emulator.requests)
    rig.run("send_outbox", london(SIN, 10))
    assert rig.errors == [] and len(rig.emulator.transmitted) == 1
    made = [(r.method, r.path.rpartition("/")[2]) for r in rig.emulator.requests[before:]]
    assert [m for m, _ in made] == ["POST", "POST"] and made[0][1] == "messages" and made[1][1] == "send"


def test_a_later_attempt_looks_for_the_first_by_key_and_sends_nothing_twice(rig: GraphRig) -> None:
    queue(rig.app.ledger, "k:2", MESSAGE, now=london(SIN), case_ref=REF, purpose="test")
    rig.app.ledger.mark_attempt("k:2", at=london(SIN, 10))  # an attempt began; the process died after the send
    rig.app.mailbox.send(MESSAGE, key="k:2", first_attempt=True)
    before = len(rig.emulator.requests)
    rig.run("send_outbox", london(SIN, 10, 5))
    assert len(rig.emulator.transmitted) == 1  # found in Sent Items by key: not sent again
    assert rig.app.ledger.outbox()[0].status.value == "sent"
    assert [r.method for r in rig.emulator.requests[before:]] == ["GET"]  # the lookup in Sent Items


def test_a_message_just_read_from_the_inbox_is_filed_without_another_look(rig: GraphRig) -> None:
    rig.emulator.deliver(MAILBOX, mail(STRANGER, "A question", "<q-1@elsewhere.example>", "Who do I ask?"))
    ingest_mail(london(SIN, 10), deps=rig.app.deps(), mailbox=rig.app.mailbox)  # creates the folders once
    rig.emulator.deliver(MAILBOX, mail(STRANGER, "Another", "<q-2@elsewhere.example>", "And this?"))
    before = len(rig.emulator.requests)
    ingest_mail(london(SIN, 10, 5), deps=rig.app.deps(), mailbox=rig.app.mailbox)
    mail_calls = [f"{r.method} {r.path.rpartition('/')[2]}" for r in rig.emulator.requests[before:]
                  if "/users/" in r.path]
    assert mail_calls == ["GET delta", "PATCH " + mail_calls[1].split(" ")[1], "POST move"]


def test_a_backlog_is_read_a_page_at_a_time_and_an_interrupted_pass_loses_nothing(rig: GraphRig) -> None:
    for n in range(120):
        rig.emulator.deliver(MAILBOX, mail(STRANGER, f"Question {n}", f"<b-{n}@elsewhere.example>", "Hello"))
    real = rig.app.mailbox.pages
    sizes: list[int] = []

    def first_page_then_outage(cursor: str | None) -> Iterator[MailChanges]:
        for page in real(cursor):
            sizes.append(len(page.messages))
            yield page
            raise ConnectionError("the network went away after the first page")

    rig.app.mailbox.pages = first_page_then_outage  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        ingest_mail(london(SIN, 10), deps=rig.app.deps(), mailbox=rig.app.mailbox)
    assert sizes == [50]  # one page held, acted on and recorded before the next was read
    assert rig.app.ledger.cursor(CURSOR) is None and len(rig.emulator.messages(MAILBOX, "inbox")) == 120
    rig.app.mailbox.pages = real  # type: ignore[method-assign]
    report = ingest_mail(london(SIN, 10, 5), deps=rig.app.deps(), mailbox=rig.app.mailbox)
    assert (report.processed, report.replays) == (70, 50)  # the first 50 recorded once, now only filed
    assert rig.emulator.messages(MAILBOX, "inbox") == []
