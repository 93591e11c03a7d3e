"""ingest_mail: every new inbound message, exactly once. Match it to its request (token in the
subject, else In-Reply-To/References), classify it, act, record it, file it out of the inbox.

Acting is idempotent (a saved return overwrites itself, a closed request stays closed, messages are
keyed), so a crash before the message is recorded only repeats harmless work. A message is known by
its sender and Message-ID, so a second copy of it (a sending server's retry) is filed, not acted on
again. A sender whose domain is not one of the agency's can never complete a request; display names
are never read.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime

from bot.cases import RequestRecord, find_case, requests_of, save_case, update_request
from bot.crashpoints import crash_point
from bot.documents.safety import UnsafeDocument
from bot.documents.sniff import checked_kind
from bot.domain.correlation import CASE_REF, Token, message_id_for
from bot.domain.model import Partnership, RequestStatus, Stage
from bot.handlers.common import BOT_ACTOR, Deps, alert, queue
from bot.handlers.referrals import referral_form, referring_partnership, take_referral
from bot.handlers.start_rapid_review import request_key
from bot.mail.authentication import sender_problem
from bot.mail.classify import Classification, Kind, classify, return_kind
from bot.ports import AuditEvent, InboundMessage, Mailbox, MailFolder, StaleItem

CURSOR = "mailbox:inbox"
_MESSAGE_ID = re.compile(r"^<[^<>\s@]+@[^<>\s@]+>$")


@dataclass
class IngestReport:
    processed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    replays: int = 0


@dataclass(frozen=True)
class Outcome:
    name: str
    folder: MailFolder
    reason: str = ""


def ingest_mail(now: datetime, *, deps: Deps, mailbox: Mailbox) -> IngestReport:
    report = IngestReport()
    requests = {r.request.token: r for r in requests_of(deps.register)}
    by_message_id = {message_id_for(request_key(r.request.case_ref, r.request.agency), deps.composer.domain): r
                     for r in requests.values()}
    done: set[str] = set()  # a message the mailbox repeats within the pass is handled once
    filing: list[tuple[str, MailFolder, str, bool]] = []
    cursor = deps.ledger.cursor(CURSOR)
    # a page at a time (a backlog after an outage is never held whole); each message is acted on and
    # recorded as its page comes, and filed out of the inbox once the last page is read: moving messages
    # while the delta round is still being paged could shift the pages under it. A pass that stops half-way
    # starts again from the same cursor; what it recorded is then only filed.
    for page in mailbox.pages(cursor):
        for message in page.messages:
            if message.id not in done:
                done.add(message.id)
                filing.append(_one(now, message, requests, by_message_id, deps, mailbox, report))
        cursor = page.cursor
    for message_id, folder, reason, fresh in filing:  # a replay is looked up first: it may be filed already
        mailbox.move(message_id, folder, reason=reason, just_read=fresh)
        crash_point("ingest.filed")
    if cursor is not None:
        deps.ledger.set_cursor(CURSOR, cursor)
    return report


def _one(now: datetime, message: InboundMessage, requests: dict[str, RequestRecord],
         by_message_id: dict[str, RequestRecord], deps: Deps, mailbox: Mailbox,
         report: IngestReport) -> tuple[str, MailFolder, str, bool]:
    """Act on one message and record it (or see it was recorded before); where to file it, and why."""
    key = inbound_key(message)
    seen = deps.ledger.inbound_outcome(key) or deps.ledger.inbound_outcome(message.id)
    if seen is not None:  # recorded before a crash, replayed by the mailbox, or a second copy: file it
        report.replays += 1
        return message.id, MailFolder(seen.partition(":")[2] or MailFolder.PROCESSED), "", False
    crash_point("ingest.before_act")
    outcome = _handle(now, message, requests, by_message_id, deps, mailbox)
    crash_point("ingest.acted")
    deps.ledger.record_inbound(key, at=now, outcome=f"{outcome.name}:{outcome.folder.value}")
    crash_point("ingest.recorded")
    report.processed += 1
    report.outcomes[outcome.name] = report.outcomes.get(outcome.name, 0) + 1
    return message.id, outcome.folder, outcome.reason, True


def inbound_key(m: InboundMessage) -> str:
    """What identifies a message across copies: its sender and Message-ID. Mail servers deliver the
    same message twice after a timed-out retry, with a new mailbox id each time. Without a usable
    Message-ID, the mailbox id."""
    if _MESSAGE_ID.match(m.internet_message_id):
        return f"{m.sender} {m.internet_message_id}"
    return m.id


def _stamp(m: InboundMessage, length: int) -> str:
    return hashlib.sha256(inbound_key(m).encode()).hexdigest()[:length]


def _current(deps: Deps, record: RequestRecord | None) -> RequestRecord | None:
    """The request as the register holds it now: an earlier message of this run may have changed it."""
    if record is None:
        return None
    return next((r for r in requests_of(deps.register, record.request.case_ref)
                 if r.request.agency == record.request.agency), None)


def _reply_token(m: InboundMessage, by_message_id: dict[str, RequestRecord]) -> Token | None:
    for ref in (m.in_reply_to, *m.references):
        record = by_message_id.get(ref.strip())
        if record is not None:
            return Token.parse(record.request.token)
    return None


def _handle(now: datetime, m: InboundMessage, requests: dict[str, RequestRecord],
            by_message_id: dict[str, RequestRecord], deps: Deps, mailbox: Mailbox) -> Outcome:
    c = classify(m, panel_address=deps.addresses.panel, reply_token=_reply_token(m, by_message_id))
    record = _current(deps, requests.get(c.token.value) if c.token else None)
    p = deps.partnerships.get(_partnership_of(record, deps)) or next(iter(deps.partnerships.values()))
    if c.kind is Kind.PANEL_REPLY:
        problem = _sender_problem(m, deps)
        if problem:
            return _untrusted(now, m, p, deps, problem, case_ref=c.token.case_ref if c.token else "")
        return _panel_reply(now, m, c, p, deps, mailbox)
    if c.kind is Kind.DELAYED:  # nothing to do: a real failure comes later as a bounce, a success as a reply
        return Outcome("delivery_delayed", MailFolder.PROCESSED)
    if c.kind is Kind.AUTO_REPLY:
        if record and not record.request.status.is_closed:
            _note(now, record, deps, note=f"out of office {deps.hours.today(now)}")
        return Outcome("auto_reply", MailFolder.PROCESSED)
    if c.kind is Kind.UNKNOWN and c.token is None and any(return_kind(a) == "docx" for a in m.attachments):
        referral = _referral(now, m, p, deps, mailbox)
        if referral is not None:
            return referral
    if record is None:
        return _attention(now, m, p, deps, c.reason if c.token is None else "request reference not recognised")
    agency = p.agency(record.request.agency)
    if c.kind is Kind.BOUNCE:
        if not record.request.status.is_closed:  # a late bounce (of a chaser, an acknowledgement) reopens nothing
            _note(now, record, deps, status=RequestStatus.UNDELIVERABLE, note="address bounced")
        alert(now, p, deps, key=f"bounce:{record.request.case_ref}:{record.request.agency}",
               case_ref=record.request.case_ref, what=f"the request to {agency.name if agency else '?'} bounced",
               action="check the agency's safeguarding lead address in the configuration and resend by hand")
        return Outcome("bounce", MailFolder.PROCESSED)
    if agency is None or m.sender.lower().rpartition("@")[2] not in agency.allowed_domains:
        return _attention(now, m, p, deps, "sender is not at one of the agency's mail domains",
                          case_ref=record.request.case_ref)
    problem = _sender_problem(m, deps) if c.kind in (Kind.AGENCY_RETURN, Kind.NIL_RETURN) else None
    if problem:
        return _untrusted(now, m, p, deps, problem, case_ref=record.request.case_ref)
    if c.kind is Kind.AGENCY_RETURN:
        return _agency_return(now, m, record, p, deps, mailbox)
    if c.kind is Kind.NIL_RETURN and record.request.status is RequestStatus.RETURNED:
        return _attention(now, m, p, deps, "a nil return for a request whose return was already received",
                          case_ref=record.request.case_ref)
    if c.kind is Kind.NIL_RETURN:
        _note(now, record, deps, status=RequestStatus.NIL_RETURN, note="nil return by email: team to confirm",
              returned=deps.hours.today(now))
        alert(now, p, deps, key=f"nil:{record.request.case_ref}:{record.request.agency}",
               case_ref=record.request.case_ref, what=f"{agency.name} says it had no involvement (nil return)",
               action="confirm the nil return; the rapid review report must explain any agency not involved")
        _acknowledge(now, m, record, p, deps, nil=True)
        return Outcome("nil_return", MailFolder.PROCESSED)
    return _attention(now, m, p, deps, c.reason, case_ref=record.request.case_ref)


def _partnership_of(record: RequestRecord | None, deps: Deps) -> str:
    if record is None:
        return ""
    try:
        return find_case(deps.register, record.request.case_ref).case.partnership
    except Exception:  # the case row may be unreadable; the default partnership's team is told
        return ""


def _agency_return(now: datetime, m: InboundMessage, record: RequestRecord, p: Partnership, deps: Deps,
                   mailbox: Mailbox) -> Outcome:
    req, today = record.request, deps.hours.today(now)
    stamp, received = _stamp(m, 8), deps.hours.today(m.received)
    documents = []
    for info in m.attachments:  # every document is checked, by its bytes, before any is kept or opened
        if not return_kind(info):
            continue
        data = mailbox.attachment(m.id, info.id)
        try:
            documents.append((checked_kind(data), data))
        except UnsafeDocument as exc:
            return _quarantine(now, m, p, deps, record, exc)
    for n, (kind, data) in enumerate(documents):
        # a generated name: the sender's file name is never used as a path; the same for a replay of the
        # message after a crash, whenever that is, so the return is never kept twice
        name = f"returns/{req.agency}-{received:%Y%m%d}-{stamp}-{n + 1}.{kind}"
        deps.library.save(req.case_ref, name, data)
        deps.ledger.audit(AuditEvent(now, "return_saved", case_ref=req.case_ref, agency=req.agency, detail=name))
        crash_point("ingest.return_saved")
    if not req.status.is_closed:
        _note(now, record, deps, status=RequestStatus.RETURNED, note="", returned=today)
        crash_point("ingest.return_marked")
    _acknowledge(now, m, record, p, deps, nil=False)
    return Outcome("agency_return", MailFolder.PROCESSED)


def _referral(now: datetime, m: InboundMessage, p: Partnership, deps: Deps, mailbox: Mailbox) -> Outcome | None:
    """A serious incident referral form starts a case (bot.handlers.referrals); None if there is no form."""
    try:
        data = referral_form(m, mailbox)
    except UnsafeDocument as exc:
        alert(now, p, deps, key=f"quarantine:{_stamp(m, 16)}", case_ref="",
              what=f"a document sent to the shared mailbox without a case reference was quarantined: {exc.reason}",
              action="open the cspr-bot/quarantine folder; if it is a referral, ask the sender for a plain Word copy")
        deps.ledger.audit(AuditEvent(now, "quarantined", detail=exc.code))
        return Outcome("quarantined", MailFolder.QUARANTINE, exc.reason)
    if data is None:
        return None
    who = referring_partnership(m.sender, deps.partnerships)
    if who is None:
        return _attention(now, m, p, deps, "a referral form from a sender who is not a partner agency, a lead or "
                                           "the business team")
    p, code = who
    problem = _sender_problem(m, deps)
    if problem:
        return _untrusted(now, m, p, deps, problem, case_ref="")
    intake = take_referral(now, m, data, _stamp(m, 16), p, code, deps)
    if intake.name != "referral":
        return _attention(now, m, p, deps, intake.reason)
    return Outcome("referral", MailFolder.PROCESSED)


def _sender_problem(m: InboundMessage, deps: Deps) -> str | None:
    return sender_problem(m, authserv_id=deps.addresses.authserv_id,
                          trust_unauthenticated=deps.addresses.trust_unauthenticated)


def _untrusted(now: datetime, m: InboundMessage, p: Partnership, deps: Deps, reason: str, *,
               case_ref: str) -> Outcome:
    """A reply that cannot be trusted as its sender's: quarantined with the reason, the team told, and
    never an automatic reply to the claimed sender (that would confirm the address to a spoofer)."""
    alert(now, p, deps, key=f"untrusted:{_stamp(m, 16)}", case_ref=case_ref,
          what=f"a message was quarantined: {reason}",
          action="check it with the agency by phone before relying on it; the request stays open")
    deps.ledger.audit(AuditEvent(now, "quarantined", case_ref=case_ref, detail="sender_authentication"))
    return Outcome("quarantined", MailFolder.QUARANTINE, reason)


def _quarantine(now: datetime, m: InboundMessage, p: Partnership, deps: Deps, record: RequestRecord,
                exc: UnsafeDocument) -> Outcome:
    """A refused document: the message goes to quarantine with the reason, the request stays open (so
    it is still chased) and the team is told, never the claimed sender."""
    req = record.request
    agency = p.agency(req.agency)
    alert(now, p, deps, key=f"quarantine:{_stamp(m, 16)}", case_ref=req.case_ref,
          what=f"a return from {agency.name if agency else req.agency} was quarantined: {exc.reason}",
          action="ask the agency, through its safeguarding lead, for a plain Word or PDF copy")
    deps.ledger.audit(AuditEvent(now, "quarantined", case_ref=req.case_ref, agency=req.agency, detail=exc.code))
    return Outcome("quarantined", MailFolder.QUARANTINE, exc.reason)


def _panel_reply(now: datetime, m: InboundMessage, c: Classification, p: Partnership, deps: Deps,
                 mailbox: Mailbox) -> Outcome:
    refs = [c.token.case_ref] if c.token else CASE_REF.findall(m.subject)
    try:
        case = find_case(deps.register, refs[0]) if refs else None
    except Exception:
        case = None
    if case is None:
        return _attention(now, m, p, deps, "a message from the Panel that names no known case")
    for n, info in enumerate(m.attachments):
        name = f"panel/{deps.hours.today(m.received):%Y%m%d}-{_stamp(m, 8)}-{n + 1}"
        deps.library.save(case.case.ref, name + (f".{return_kind(info)}" if return_kind(info) else ".bin"),
                          mailbox.attachment(m.id, info.id))
    deps.ledger.audit(AuditEvent(now, "panel_replied", case_ref=case.case.ref))
    if case.case.stage is Stage.SUBMITTED_TO_PANEL:
        try:
            save_case(deps.register, case, by=BOT_ACTOR, at=now, stage=Stage.PANEL_RESPONDED,
                      panel_responded=deps.hours.today(now))
        except StaleItem:
            pass  # the stage is a convenience; the audit trail holds the fact
    alert(now, p, deps, key=f"panel-reply:{m.id}", case_ref=case.case.ref, what="the Panel replied",
           action="read the Panel's reply (filed in the shared mailbox) and record its decision")
    return Outcome("panel_reply", MailFolder.PROCESSED)


def _note(now: datetime, record: RequestRecord, deps: Deps, *, note: str, status: RequestStatus | None = None,
          returned: object = None) -> None:
    """Write `note` (and `status`, `returned` when given) on the request; without `status` it keeps its own."""
    changes: dict[str, object] = {"note": note}
    if status is not None:
        changes["status"] = status
    if returned is not None:
        changes["returned"] = returned
    try:
        written = update_request(deps.register, record, by=BOT_ACTOR, at=now, **changes)
    except StaleItem:  # re-read once: the request item is the bot's own, a conflict is another tick
        fresh = _current(deps, record)
        if fresh is None:
            raise
        written = update_request(deps.register, fresh, by=BOT_ACTOR, at=now, **changes)
    deps.ledger.audit(AuditEvent(now, f"request_{written.request.status.value}", case_ref=record.request.case_ref,
                                 agency=record.request.agency))


def _acknowledge(now: datetime, m: InboundMessage, record: RequestRecord, p: Partnership, deps: Deps, *,
                 nil: bool) -> None:
    req = record.request
    agency = p.agency(req.agency)
    if agency is None:
        return
    key = f"ack:{req.case_ref}:{req.agency}:{_stamp(m, 12)}"
    message = deps.composer.compose(
        "acknowledgement", key=key, to=[agency.lead_address], classification=p.classification,
        token=Token.parse(req.token), in_reply_to=m.internet_message_id or None,
        case_ref=req.case_ref, agency=agency, partnership=p, nil=nil, received=deps.hours.today(now))
    queue(deps.ledger, key, message, now=now, case_ref=req.case_ref, purpose="acknowledgement", agency=req.agency)


def _attention(now: datetime, m: InboundMessage, p: Partnership, deps: Deps, reason: str,
               case_ref: str = "") -> Outcome:
    alert(now, p, deps, key=f"attention:{m.id}", case_ref=case_ref, what=f"a message needs a person: {reason}",
           action="open the cspr-bot/needs-attention folder of the shared mailbox")
    deps.ledger.audit(AuditEvent(now, "needs_attention", case_ref=case_ref, detail=reason))
    return Outcome("needs_attention", MailFolder.NEEDS_ATTENTION, reason)

