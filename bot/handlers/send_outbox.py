"""send_outbox: the one sender. Drains pending outbox rows through the mailbox with each row's
idempotency key, refusing any recipient that configuration does not name, and (for staging)
redirecting everything to one address. A send that fails stays pending for the next tick."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from bot.crashpoints import crash_point
from bot.ports import AuditEvent, Ledger, Mailbox, OutboundMessage, OutboxStatus

log = logging.getLogger("cspr_bot.send_outbox")


@dataclass(frozen=True)
class AllowList:
    """Every address configuration names; the bot sends to nobody else."""

    addresses: frozenset[str]

    def refused(self, message: OutboundMessage) -> list[str]:
        return [a for a in message.recipients if a.lower() not in self.addresses]


@dataclass
class SendReport:
    sent: int = 0
    refused: int = 0
    failed: int = 0
    purposes: dict[str, int] = field(default_factory=dict)


def redirected(message: OutboundMessage, to: str) -> OutboundMessage:
    """Staging: the whole message to one address, the real recipients named at the top of the body."""
    note = f"[cspr-bot staging: this message was for {', '.join(message.to)}"
    note += f"; cc {', '.join(message.cc)}]" if message.cc else "]"
    html = f"<p><em>{note.replace('<', '&lt;')}</em></p>{message.html}" if message.html else None
    return replace(message, to=(to,), cc=(), text=f"{note}\n\n{message.text}", html=html)


def send_outbox(now: datetime, *, ledger: Ledger, mailbox: Mailbox, allow: AllowList,
                redirect_to: str | None = None) -> SendReport:
    report = SendReport()
    # earliest deadline first, so after an outage the Panel submission does not wait behind digests;
    # one message at a time keeps well inside the mailbox's 4 concurrent requests
    pending = sorted(ledger.outbox(OutboxStatus.PENDING), key=lambda i: (i.due_by or date.max, i.created_at))
    for item in pending:
        refused = allow.refused(item.message)
        if refused:
            with ledger.atomic():
                ledger.mark_failed(item.key, at=now, error=f"{len(refused)} recipient(s) not named in configuration")
                ledger.audit(AuditEvent(now, "recipient_refused", case_ref=item.case_ref, detail=item.purpose,
                                        outbox_key=item.key))
            report.refused += 1
            continue
        message = redirected(item.message, redirect_to) if redirect_to else item.message
        crash_point("send.before_transmit")
        first = not item.error  # no attempt ever begun: nothing to look for in the mailbox first
        try:
            if first:
                ledger.mark_attempt(item.key, at=now)
            receipt = mailbox.send(message, key=item.key, at=now, first_attempt=first)
        except Exception as exc:  # transient or not, it stays pending and the next tick retries by key
            log.warning("send of %s failed (%s); it stays in the outbox", item.key, type(exc).__name__)
            report.failed += 1
            continue
        crash_point("send.transmitted")
        with ledger.atomic():
            ledger.mark_sent(item.key, at=now, message_id=receipt.message_id)
            crash_point("send.marked_uncommitted")
            ledger.audit(AuditEvent(now, "sent", case_ref=item.case_ref, detail=item.purpose, outbox_key=item.key))
        crash_point("send.marked")
        report.sent += 1
        report.purposes[item.purpose] = report.purposes.get(item.purpose, 0) + 1
    return report
