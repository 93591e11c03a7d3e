"""The Graph adapter under faults: every mutating endpoint the bot uses, times every fault the emulator scripts,
injected once into a rapid review that starts, sends its requests and takes in the replies, through the real
handlers and the real msgraph-sdk over HTTP. Whatever fails, the next pass recovers, and exactly once holds:
each outbox key leaves once, nothing stays pending, every reply is recorded once and filed, a person's edit
is never overwritten by a stale write (reliability-security.md §1, EO-3 to EO-6, EO-13)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.graph.mailbox import GraphMailbox
from bot.handlers.common import queue
from bot.ports import Attachment, CaseRegister, OutboundMessage, OutboxStatus
from tests.conftest import london
from tests.integration.graph_rig import (
    DOCX_TYPE,
    MAILBOX,
    POLICE,
    REF,
    REPLY_DAY,
    SIN,
    GraphRig,
    Tally,
    graph_rig,
)


@dataclass(frozen=True)
class Endpoint:
    """A mutating Graph request the bot makes, as the emulator matches it (method, regex on the path)."""

    name: str
    method: str
    pattern: str


ENDPOINTS = (
    Endpoint("create_draft", "POST", r"/users/[^/]+/messages$"),
    Endpoint("send", "POST", r"/messages/[^/]+/send$"),
    Endpoint("move", "POST", r"/messages/[^/]+/move$"),
    Endpoint("categorise", "PATCH", r"/users/[^/]+/messages/[^/]+$"),
    Endpoint("add_item", "POST", r"/lists/[^/]+/items$"),
    Endpoint("update_fields", "PATCH", r"/items/[^/]+/fields$"),
    Endpoint("put_content", "PUT", r"/items/[^/]+/content$"),
)
# id -> (emulator kind, after): "reset" drops the connection before the action, "reset_after" once it is done
FAULTS = {"429": ("429", False), "503": ("503", False), "504": ("504", False), "503_after": ("503_after", False),
          "504_after": ("504_after", False), "202_retry_after": ("202_retry_after", False),
          "reset": ("reset", False), "reset_after": ("reset", True)}
EXPECTED_PURPOSES = ["acknowledgement", "information_request", "rapid_review_started", "team_alert"]


@pytest.fixture(autouse=True)
def instant_sdk_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK's retry handler still decides whether and how often to retry, but does not sleep out the
    Retry-After second before it does: the matrix runs in under a minute instead of two."""
    import kiota_http.middleware.retry_handler as retry_handler

    async def sleep(delay: float) -> None:
        await asyncio.sleep(0)

    monkeypatch.setattr(retry_handler, "asyncio", type("InstantAsyncio", (), {"sleep": staticmethod(sleep)}))


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[GraphRig]:
    """A fresh emulator, provisioned, with the bot's mailbox and the app on it: nothing carries over a case."""
    yield from graph_rig(tmp_path)


class TestGraphAdapterUnderFaults:
    @pytest.mark.parametrize("fault", FAULTS)
    @pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
    def test_one_fault_anywhere_neither_duplicates_nor_loses_anything(self, rig: GraphRig, endpoint: Endpoint,
                                                                      fault: str) -> None:
        rig.open_case()
        kind, after = FAULTS[fault]
        rig.emulator.fault(endpoint.method, endpoint.pattern, kind, after=after)
        rig.scenario()
        assert rig.emulator.count(endpoint.method, endpoint.pattern) >= 1, "the faulted endpoint was never called"
        tally = rig.tally()
        assert tally.duplicates == [], rig.errors
        assert tally.losses == [], rig.errors
        assert rig.app.ledger.outbox(OutboxStatus.PENDING) == []
        assert sorted(o.purpose for o in rig.app.ledger.outbox()) == EXPECTED_PURPOSES, rig.errors
        assert outcomes(rig) == ["agency_return", "needs_attention"], rig.errors
        assert [f.get("Status") for f in rig.requests_items()] == ["returned"], rig.errors

    def test_without_a_fault_the_scenario_runs_clean_so_each_fault_is_measured_from_a_working_baseline(
            self, rig: GraphRig) -> None:
        rig.open_case()
        rig.scenario()
        assert rig.errors == []
        assert rig.tally() == Tally()
        assert outcomes(rig) == ["agency_return", "needs_attention"]
        assert len(rig.emulator.messages(MAILBOX, "cspr-bot/processed")) == 1
        (attention,) = rig.emulator.messages(MAILBOX, "cspr-bot/needs-attention")
        assert "cspr-bot" in attention["categories"]

    def test_every_mail_request_prefers_immutable_ids(self, rig: GraphRig) -> None:
        rig.open_case()
        rig.scenario()
        mail_requests = [r for r in rig.emulator.requests if r.immutable_id is not None]
        assert {r.method for r in mail_requests} >= {"GET", "POST", "PATCH"}
        assert rig.emulator.immutable_id_violations == []


class TestStaleWrites:
    def test_a_person_adding_an_agency_while_the_bot_starts_the_review_keeps_their_edit(self, rig: GraphRig) -> None:
        case_id = rig.open_case(agencies=("POL",))
        rig.app.register = PersonEditsFirst(rig.app.register, lambda: rig.emulator.edit_item(
            rig.site, "Cases", case_id, {"Agencies": ["POL", "HLT"]}, by="business.manager@northshire-scp.example"))
        rig.passes(SIN)
        (case,) = rig.emulator.list_items(rig.site, "Cases")
        assert case["fields"]["Agencies"] == ["POL", "HLT"]
        assert case["fields"]["Stage"] == "rapid_review_in_progress"
        assert sorted(str(f.get("Agency")) for f in rig.requests_items()) == ["HLT", "POL"]  # the edit was seen
        assert rig.emulator.count("PATCH", r"/items/[^/]+/fields$") >= 2, "the stale write was never tried"


class TestLargeFiles:
    def test_uploads_of_a_document_over_4_mb_and_an_attachment_over_3_mb_never_carry_the_token(
            self, rig: GraphRig) -> None:
        report = bytes(range(256)) * (17 * 1024 + 7)  # 4.25 MiB and a bit: the library's upload session
        rig.app.library.save(REF, "reports/Rapid Review Report - draft.docx", report)
        chronology = bytes(range(256)) * (13 * 1024)  # 3.25 MiB: the draft's attachment upload session
        message = OutboundMessage(to=(POLICE,), subject="Chronology", text="Attached.",
                                  attachments=(Attachment("chronology.docx", DOCX_TYPE, chronology),))
        queue(rig.app.ledger, "large:1", message, now=london(REPLY_DAY), case_ref=REF, purpose="test")
        rig.run("send_outbox", london(REPLY_DAY))
        assert rig.errors == []
        assert rig.emulator.drive_files(rig.site)[f"{REF}/reports/Rapid Review Report - draft.docx"] == report
        (sent,) = rig.emulator.transmitted
        assert [(a["name"], a["size"]) for a in sent["attachments"]] == [("chronology.docx", len(chronology))]
        assert rig.emulator.count("POST", r"/items/[^/]+/createUploadSession$") == 1
        assert rig.emulator.count("POST", r"/attachments/createUploadSession$") == 1
        assert rig.emulator.upload_auth_violations == []
        assert rig.emulator.count("PUT", r"^/upload/") >= 3  # the chunks went to the upload URLs, no token

    def test_a_draft_left_short_of_its_large_attachment_by_a_crash_is_made_again_not_sent_short(
            self, rig: GraphRig) -> None:
        chronology = bytes(range(256)) * (13 * 1024)  # 3.25 MiB: uploaded after the draft is created
        letter = Attachment("letter.docx", DOCX_TYPE, b"PK small")
        message = OutboundMessage(to=(POLICE,), subject="Chronology", text="Attached.",
                                  attachments=(letter, Attachment("chronology.docx", DOCX_TYPE, chronology)))
        mailbox = rig.app.mailbox
        assert isinstance(mailbox, GraphMailbox)
        # what a SIGKILL during the upload session leaves: the attempt noted in the ledger (send_outbox does
        # that before anything leaves), the draft with its key and the small attachment only
        queue(rig.app.ledger, "large:2", message, now=london(REPLY_DAY), case_ref=REF, purpose="test")
        rig.app.ledger.mark_attempt("large:2", at=london(REPLY_DAY))
        short = OutboundMessage(to=message.to, subject=message.subject, text=message.text, attachments=(letter,))
        mailbox.loop.run(mailbox._create_draft(short, "large:2"))
        rig.run("send_outbox", london(REPLY_DAY))
        assert rig.errors == []
        (sent,) = rig.emulator.transmitted
        assert sorted((a["name"], a["size"]) for a in sent["attachments"]) == [
            ("chronology.docx", len(chronology)), ("letter.docx", len(b"PK small"))]
        assert rig.emulator.messages(MAILBOX, "drafts") == []
        assert rig.emulator.count("DELETE", r"/messages/[^/]+$") == 1


def outcomes(rig: GraphRig) -> list[str]:
    """The outcome ingest_mail recorded for each delivered message, without the folder."""
    return [str(outcome).partition(":")[0] for outcome in rig.inbound_outcomes()]


class PersonEditsFirst:
    """The register, except that a person edits in SharePoint just before the bot's first write: the bot
    writes with the eTag of what it read, which is stale by then."""

    def __init__(self, register: CaseRegister, edit: Callable[[], object]) -> None:
        self._register: CaseRegister = register
        self._edit: Callable[[], object] | None = edit

    def update(self, *args: Any, **kwargs: Any) -> Any:
        if self._edit is not None:
            edit, self._edit = self._edit, None
            edit()
        return self._register.update(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._register, name)
