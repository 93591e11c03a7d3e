"""Referral intake (process.md §2.3): a partner agency's serious incident referral form, emailed to the
shared mailbox, starts a case at stage "referred". The SIN decision deadline (5 working days from the LA
becoming aware) is then on the case, so it is in the leads' digest from the next morning.

Called by ingest_mail for a message that names no request and carries a Word document. The form is read
only after the document passed the same checks as an agency return; the sender must be a partner (an
agency's mail domain, a lead or the business team) and pass sender authentication. What the form cannot
tell the bot (an unreadable date, an agency it does not know) goes into the case's NeedsAttention and the
team's alert, never into a log.

Exactly once: the case reference chosen for a message is recorded (ledger cursor) before the case is added,
so a replay after a crash finds it and adds nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from bot.cases import CaseError, add_case
from bot.documents.referral import ParsedReferral, is_referral_form, parse_referral
from bot.documents.sniff import checked_kind
from bot.domain.casework import next_reference
from bot.domain.model import Case, Partnership
from bot.domain.records import CASES
from bot.domain.rules import sin_notification_due
from bot.handlers.common import Deps, alert
from bot.mail.classify import return_kind
from bot.ports import AuditEvent, FieldValue, InboundMessage, Mailbox

MISSING_CHILD = "Child (not given)"


@dataclass(frozen=True)
class Intake:
    """A case started ("referral"), or why a person must look ("needs_attention")."""

    name: str
    reason: str = ""


def referral_form(m: InboundMessage, mailbox: Mailbox) -> bytes | None:
    """The first Word attachment that is a referral form; raises UnsafeDocument (bot.documents.safety) for a
    refused document."""
    for info in m.attachments:
        if return_kind(info) != "docx":
            continue
        data = mailbox.attachment(m.id, info.id)
        if checked_kind(data) == "docx" and is_referral_form(data):
            return data
    return None


def referring_partnership(sender: str, partnerships: dict[str, Partnership]) -> tuple[Partnership, str] | None:
    """The partnership a sender refers to, and the agency code ("" for a lead or the team), if a partner."""
    sender = sender.lower()
    domain = sender.rpartition("@")[2]
    for p in partnerships.values():
        for agency in p.agencies:
            if domain in agency.allowed_domains:
                return p, agency.code
        if sender == p.team_address.lower() or any(sender == lead.address.lower() for lead in p.leads):
            return p, ""
    return None


def take_referral(now: datetime, m: InboundMessage, data: bytes, stamp: str, p: Partnership, referrer: str,
                  deps: Deps) -> Intake:
    """Add the case the form describes (once per message), keep the form, tell the team and the leads."""
    form = parse_referral(data)
    case, problems = _case_from(form, p, deps.hours.today(m.received))
    cursor = f"referral:{stamp}"
    ref = deps.ledger.cursor(cursor)
    items = {str(i.fields.get("Title", "")): i.fields for i in deps.register.items(CASES)}
    if ref is None or not _is_this(items.get(ref), case):
        taken = set(items)
        if ref is not None and ref in items:  # reserved, then used by a person for another case
            ref = None
        for _attempt in range(3):  # a person may add a case under the same next reference at the same moment
            ref = ref or next_reference(p.case_prefix, (case.la_aware or now.date()).year, sorted(taken))
            deps.ledger.set_cursor(cursor, ref)  # before the case: a replay after a crash finds it, adds nothing
            try:
                add_case(deps.register, p, case.with_changes(ref=ref, attention="; ".join(problems)), by=m.sender,
                         at=now)
                break
            except CaseError as exc:
                if "already exists" not in str(exc):
                    return Intake("needs_attention", reason=f"the referral form could not start a case: {exc}")
                taken.add(ref)
                ref = None
        else:
            return Intake("needs_attention", reason="the referral form could not be given a free case reference")
        deps.ledger.audit(AuditEvent(now, "referral_received", case_ref=ref, agency=referrer,
                                     detail="with problems" if problems else ""))
    assert ref is not None
    deps.library.save(ref, f"referral/Referral - {ref} - {deps.hours.today(m.received):%Y%m%d}-{stamp[:8]}.docx",
                      data)
    agency = p.agency(referrer)
    assert case.la_aware is not None
    due = sin_notification_due(case.la_aware, p.policy.calendar)
    alert(now, p, deps, key=f"referral:{stamp}", case_ref=ref, to=[p.team_address, *(lead.address for lead in p.leads)],
          what=f"a serious incident referral from {agency.name if agency else m.sender} started case {ref} "
               f"({case.child}) at stage referred; the decision on a serious incident notification is due by "
               f"{due:%A %d %B %Y}", action=_action(problems))
    return Intake("referral")


def _is_this(fields: Mapping[str, FieldValue] | None, case: Case) -> bool:
    """Whether the register item under a reserved reference is the case this referral started (a person
    may have used the reference for another case between the reservation and a crash)."""
    return fields is not None and fields.get("ChildPseudonym") == case.child and fields.get("LAAwareDate") == (
        case.la_aware.isoformat() if case.la_aware else None)


def _action(problems: list[str]) -> str:
    steps = "the safeguarding partners decide whether to notify the Panel; enter the SIN date when it is submitted"
    if problems:
        return f"check the case first: {'; '.join(problems)}. Then {steps}"
    return steps[0].upper() + steps[1:]


def _case_from(form: ParsedReferral, p: Partnership, received: date) -> tuple[Case, list[str]]:
    problems = [f"referral form: {flag}" for flag in form.flags]
    codes, unknown = _agency_codes(form.agencies, p)
    if unknown:
        problems.append(f"agencies not recognised: {', '.join(unknown)} (add them by code)")
    la_aware = form.la_aware
    if la_aware is None:
        problems.append("no readable date the LA became aware: the day the referral arrived is used; correct it")
        la_aware = received
    incident = form.incident if form.incident is None or form.incident <= la_aware else None
    if form.incident is not None and incident is None:
        problems.append("so the incident date is left blank: enter it")
    case = Case(ref="", partnership=p.id, child=form.child[:60] or MISSING_CHILD, la_aware=la_aware,
                incident=incident, looked_after=bool(form.looked_after), care_leaver=bool(form.care_leaver),
                domestic_abuse=bool(form.domestic_abuse), agencies=codes, age=form.age,
                incident_la=form.incident_la[:120], residence_la=form.residence_la[:120],
                responsible_la=form.responsible_la[:120])
    return case, problems


def _agency_codes(written: tuple[str, ...], p: Partnership) -> tuple[tuple[str, ...], list[str]]:
    """Agencies as written on the form (a code or a name) -> this partnership's codes, and the unknown ones."""
    codes: list[str] = []
    unknown: list[str] = []
    for text in written:
        wanted = text.strip().lower()
        agency = next((a for a in p.agencies if wanted in (a.code.lower(), a.name.lower())), None)
        if agency is None:
            unknown.append(text[:40])
        elif agency.code not in codes:
            codes.append(agency.code)
    return tuple(codes), unknown

