"""The bot on Microsoft Graph, end to end: the app built by bootstrap on the Graph emulator, a case whose rapid
review starts, agency replies in the inbox, passes of the real jobs as `cspr-bot run` makes them, and a tally of
what went twice and what went missing. Shared by the Graph fault tests."""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from bot.adapters.graph.client import LoopThread, StaticTokenCredential
from bot.adapters.graph.mailbox import KEY_PROPERTY
from bot.bootstrap import App, build_graph_app, run_job
from bot.domain.casework import computed_fields, derived_stage
from bot.domain.model import Case
from bot.domain.records import case_to_fields
from bot.handlers.ingest_mail import inbound_key
from bot.mail.mime import parse_message
from bot.ports import OutboxStatus
from bot.settings import GraphSettings, Settings, load_settings
from tests.conftest import DEFAULT_CONFIG, london
from tests.graph_emulator import GraphEmulator
from tests.graph_sdk import SITE, SITE_REF, provisioned
from tests.hostile_docs import valid_docx

MAILBOX = "cspr-bot@northshire-scp.example"
REF = "RR-2027-003"
SIN = date(2027, 1, 5)
REPLY_DAY = date(2027, 1, 6)
POLICE = "safeguarding.reviews@northshire-police.example"
STRANGER = "someone@elsewhere.example"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
JOBS = ("ingest_mail", "start_rapid_review", "send_outbox")  # in timetable order, as `cspr-bot run` runs them
KEY_HEADER = "x-cspr-outbox-key"


def graph_settings(base_url: str) -> Settings:
    """The shipped configuration, on the Graph backend at the emulator."""
    settings = load_settings(DEFAULT_CONFIG)
    return settings.model_copy(update={
        "bot": settings.bot.model_copy(update={"backend": "graph"}),
        "graph": GraphSettings(auth="static_token", base_url=base_url, site=SITE_REF)})


@dataclass
class Tally:
    """What a scenario did twice and what it lost, one line each."""

    duplicates: list[str] = field(default_factory=list)
    losses: list[str] = field(default_factory=list)


@dataclass
class GraphRig:
    emulator: GraphEmulator
    app: App
    site: str
    errors: list[str] = field(default_factory=list)  # what each failed job raised, pass by pass
    delivered: list[bytes] = field(default_factory=list)

    @classmethod
    def build(cls, emulator: GraphEmulator, workspace: Path) -> GraphRig:
        """A provisioned site, the bot's mailbox and the app as bootstrap wires it for Microsoft 365."""
        emulator.add_mailbox(MAILBOX)
        site = emulator.add_site(*SITE)
        for title, columns in provisioned_lists():
            emulator.add_list(site, title, list(columns))
        app = build_graph_app(graph_settings(emulator.base_url), workspace,
                              credential=StaticTokenCredential(emulator.token, emulator.base_url))
        return cls(emulator, app, site)

    # ---- the scenario
    def open_case(self, agencies: tuple[str, ...] = ("POL",)) -> str:
        """A case whose SIN was submitted today, added in SharePoint by the business team: its rapid review is
        due to start. Returns the item id."""
        p = self.app.partnership()
        case = Case(ref=REF, partnership=p.id, child="Child A", la_aware=SIN, sin_submitted=SIN, agencies=agencies)
        case = case.with_changes(stage=derived_stage(case))
        fields = {**case_to_fields(case), **computed_fields(case, p, SIN)}
        return self.emulator.add_item(self.site, "Cases", fields, by=p.team_address)

    def passes(self, day: date, count: int = 2) -> None:
        """`count` passes of the jobs, ten minutes apart; a job that raises is logged and the run goes on, so
        whatever a fault broke in one pass the next must put right."""
        for n in range(count):
            now = london(day, 10, 10 * n)
            for job in JOBS:
                self.run(job, now)

    def run(self, job: str, now: datetime) -> None:
        try:
            run_job(self.app, job, now)
        except Exception as exc:  # as `cspr-bot run` does: the next pass must recover
            self.errors.append(f"{job} at {now:%H:%M}: {type(exc).__name__}: {exc}"[:300])

    def deliver_replies(self) -> None:
        """The police return their form (a plain .docx) in reply to the request; a stranger writes about
        something else (it needs a person)."""
        request = next(o.message for o in self.app.ledger.outbox() if o.key == f"request:{REF}:POL")
        back = mail(POLICE, f"RE: {request.subject}", "<return-1@northshire-police.example>",
                    "Please find our completed form attached.", in_reply_to=request.message_id,
                    attachment=("Information request - completed.docx", valid_docx()))
        query = mail(STRANGER, "A question about a review", "<question-1@elsewhere.example>",
                     "Who should I speak to about a review?")
        for raw in (back, query):
            self.emulator.deliver(MAILBOX, raw)
            self.delivered.append(raw)

    def scenario(self) -> None:
        """The rapid review starts and its requests go; replies come in and are acted on; each round in passes."""
        self.passes(SIN)
        self.deliver_replies()
        self.passes(REPLY_DAY)

    # ---- looking behind it
    def transmitted_keys(self) -> Counter[str]:
        """Outbox key -> how many times a message with it actually left the mailbox ("" for none)."""
        return Counter(_key_of(message) for message in self.emulator.transmitted)

    def requests_items(self) -> list[dict[str, object]]:
        return [item["fields"] for item in self.emulator.list_items(self.site, "Agency requests")]

    def inbound_outcomes(self) -> list[str | None]:
        """What the ledger recorded for each delivered message, by the key ingest_mail files it under."""
        return [self.app.ledger.inbound_outcome(inbound_key(parse_message("", raw))) for raw in self.delivered]

    def tally(self) -> Tally:
        """Exactly once, checked from the outside: what left the mailbox, what the lists, the library and the
        mailbox hold, and what the ledger and its audit trail say."""
        tally = Tally()
        for check in (self._outbound, self._register, self._inbound, self._audit):
            check(tally)
        return tally

    def _outbound(self, tally: Tally) -> None:
        sent, rows = self.transmitted_keys(), self.app.ledger.outbox()
        tally.duplicates += [f"outbox key {key} transmitted {n} times" for key, n in sent.items() if n > 1 and key]
        tally.duplicates += [f"{n} message(s) transmitted without an outbox key" for key, n in sent.items() if not key]
        tally.duplicates += [f"draft {_key_of(m) or m['id']} left in Drafts" for m in self.emulator.messages(
            MAILBOX, "drafts")]
        tally.losses += [f"outbox key {row.key} ({row.purpose}) never transmitted" for row in rows
                         if row.status is not OutboxStatus.HELD and sent[row.key] == 0]
        tally.losses += [f"outbox key {row.key} left {row.status.value}" for row in rows
                         if row.status in (OutboxStatus.PENDING, OutboxStatus.FAILED)]

    def _register(self, tally: Tally) -> None:
        cases = [str(item["fields"].get("Title")) for item in self.emulator.list_items(self.site, "Cases")]
        tally.duplicates += _repeats("Cases item", cases)
        tally.duplicates += _repeats("Agency requests item", [f"{f.get('CaseRef')}/{f.get('Agency')}"
                                                              for f in self.requests_items()])
        returns = [path for path in self.emulator.drive_files(self.site) if "/returns/" in path]
        tally.duplicates += [f"return saved again as {path}" for path in returns[1:]]
        tally.losses += [] if returns else ["the police return was never saved to the library"]

    def _inbound(self, tally: Tally) -> None:
        for raw, outcome in zip(self.delivered, self.inbound_outcomes(), strict=True):
            if outcome is None:
                tally.losses += [f"inbound {parse_message('', raw).internet_message_id} never recorded in the ledger"]
        tally.losses += [f"inbound {m['internetMessageId']} left in the inbox"
                         for m in self.emulator.messages(MAILBOX, "inbox")]

    def _audit(self, tally: Tally) -> None:
        """The audit trail records every decision once (LG-3): here, that the review started and what was sent."""
        trail = list(self.app.ledger.audit_trail())
        started = sum(1 for event in trail if event.action == "rapid_review_started")
        tally.losses += [] if started else [f"the audit trail never says that {REF}'s rapid review started"]
        tally.duplicates += [f"the audit trail says {started} times that {REF}'s rapid review started"] * (started > 1)
        sent = Counter(event.outbox_key for event in trail if event.action == "sent")
        tally.duplicates += [f"outbox key {key} audited as sent {n} times" for key, n in sent.items() if n > 1]

    def close(self) -> None:
        self.app.close()


@functools.cache
def provisioned_lists() -> tuple[tuple[str, tuple[dict[str, object], ...]], ...]:
    """The lists `cspr-bot provision` creates, as the bodies it posts: the Provisioner runs once, on a scratch
    emulator, and each case replays them (the SDK takes about half a second to read back the columns)."""
    with GraphEmulator() as scratch:
        scratch.add_site(*SITE)
        loop = LoopThread()
        try:
            provisioned(scratch, loop)
        finally:
            loop.close()
        bodies = [json.loads(r.body) for r in scratch.requests if r.method == "POST" and r.path.endswith("/lists")]
    assert bodies, "the Provisioner created no list"
    return tuple((str(b["displayName"]), tuple(b.get("columns") or ())) for b in bodies)


def _key_of(message: dict[str, Any]) -> str:
    """The outbox key a message carries: in its X-CSPR-Outbox-Key header, else in the extended property."""
    for header in message.get("internetMessageHeaders") or []:
        if str(header["name"]).lower() == KEY_HEADER:
            return str(header["value"])
    for prop in message.get("singleValueExtendedProperties") or []:
        if str(prop["id"]).lower() == KEY_PROPERTY.lower():
            return str(prop["value"])
    return ""


def _repeats(what: str, names: Iterable[str]) -> list[str]:
    return [f"{what} {name} stored {n} times" for name, n in Counter(names).items() if n > 1]


def mail(sender: str, subject: str, message_id: str, text: str, *, in_reply_to: str | None = None,
         attachment: tuple[str, bytes] | None = None) -> bytes:
    """An inbound message as RFC 5322 bytes (fictional people only)."""
    mime = EmailMessage()
    mime["From"], mime["To"], mime["Subject"] = sender, MAILBOX, subject
    mime["Date"] = "Wed, 06 Jan 2027 10:00:00 +0000"
    mime["Message-ID"] = message_id
    if in_reply_to:
        mime["In-Reply-To"] = mime["References"] = in_reply_to
    mime.set_content(text)
    if attachment:
        mime.add_attachment(attachment[1], maintype="application", subtype=DOCX_TYPE.partition("/")[2],
                            filename=attachment[0])
    return bytes(mime)


def graph_rig(workspace: Path) -> Iterator[GraphRig]:
    """A fresh emulator and app for one case (for a fixture to yield from)."""
    with GraphEmulator() as emulator:
        rig = GraphRig.build(emulator, workspace)
        try:
            yield rig
        finally:
            rig.close()
