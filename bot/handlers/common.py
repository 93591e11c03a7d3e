"""What every handler shares: queueing a message through the outbox exactly once, and the
dependencies most handlers need, bundled so handler signatures stay short and explicit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.crashpoints import crash_point
from bot.documents.render import DocumentTemplates
from bot.domain.model import Partnership
from bot.domain.office import OfficeHours
from bot.mail.compose import Composer
from bot.ports import AuditEvent, CaseRegister, DuplicateKey, Ledger, Library, OutboundMessage

BOT_ACTOR = "cspr-bot"


@dataclass(frozen=True)
class Addresses:
    """Addresses from configuration that handlers send to."""

    panel: str
    nccu: str
    mailbox: str
    authserv_id: str = ""
    trust_unauthenticated: bool = False
    ofsted: str = ""
    dfe: str = ""
    secretary_of_state: str = ""
    repository: str = ""


@dataclass(frozen=True)
class Deps:
    register: CaseRegister
    ledger: Ledger
    library: Library
    composer: Composer
    partnerships: dict[str, Partnership]
    addresses: Addresses
    hours: OfficeHours
    documents: dict[str, DocumentTemplates]  # per partnership id


def alert(now: datetime, p: Partnership, deps: Deps, *, key: str, case_ref: str, template: str = "team_alert",
          to: list[str] | None = None, **context: Any) -> int:
    """Tell people something once per `key`: by default the business team, with `team_alert`."""
    message = deps.composer.compose(template, key=f"alert:{key}", to=to or [p.team_address],
                                    classification=p.classification, partnership=p, case_ref=case_ref, **context)
    return int(queue(deps.ledger, f"alert:{key}", message, now=now, case_ref=case_ref, purpose=template))


def queue(ledger: Ledger, key: str, message: OutboundMessage, *, now: datetime, case_ref: str, purpose: str,
          agency: str = "", held: bool = False, due_by: date | None = None, audits: Sequence[AuditEvent] = ()) -> bool:
    """Put a message in the outbox under `key` and audit it (with any further `audits`), in one transaction.
    False if the key was used before: the decision was already made and acted on, so nothing new is sent."""
    if ledger.queued(key):
        return False
    try:
        with ledger.atomic():
            ledger.enqueue(key, message, case_ref=case_ref, purpose=purpose, at=now, held=held, due_by=due_by)
            ledger.audit(AuditEvent(now, "held" if held else "queued", case_ref=case_ref, agency=agency, detail=purpose,
                                    outbox_key=key))
            for event in audits:
                ledger.audit(event)
    except DuplicateKey:
        return False
    crash_point("queue.committed")
    return True
