"""The demo's day-by-day timeline, read back from the audit trail (so it shows what the bot
recorded, not what the demo hoped), and the closing summary of files produced."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime

from bot.adapters.local.maildir import MaildirMailbox
from bot.bootstrap import App
from bot.ports import AuditEvent, OutboxStatus

QUEUED = {
    "information_request": "information request with form to {agency}",
    "rapid_review_started": "'rapid review started' notice with the key dates to the leads and scrutineer",
    "nccu_notification": "Home Office NCCU notification held for a lead's approval",
    "acknowledgement": "acknowledgement to {agency}",
    "team_alert": "alert to the business team",
    "chase_reminder": "reminder to {agency} (return due tomorrow)",
    "chase_chaser": "chaser to {agency} on the due day",
    "chase_escalation": "escalation of {agency}'s overdue return to the case review group lead",
    "chase_overdue": "overdue chaser to {agency}",
    "lead_digest": "morning deadline digest to each lead",
    "deadline_reminder": "deadline reminder to the leads",
    "urgent_approval": "URGENT alert to the leads: due tomorrow, not approved",
    "delay_reason_missing": "alert to the leads: overdue, no delay reason recorded",
    "delay_notice": "delay notice to the Panel",
    "panel_submission": "rapid review report emailed to the Panel mailbox",
    "lcspr_commissioning_notice": "commissioning notice to the Panel, Ofsted and DfE drafted, held for approval",
    "lcspr_notification_letter": "notification letter to {agency} drafted, held for approval",
    "lcspr_progress": "monthly progress check to the case review group",
    "lcspr_delay_notice": "local review delay notice to the Panel (new revised date)",
    "pre_publication_submission": "final report and cover letter to the Panel, Secretary of State and Ofsted",
    "action_reminder": "reminder to an action's owner",
}
RECORDED = {
    "request_returned": "{agency}'s return saved to the case library; request marked returned",
    "request_nil_return": "{agency}'s nil return recorded, for the team to confirm",
    "request_undeliverable": "request to {agency} marked undeliverable (bounce)",
    "request_sent": "{agency} is out of office: chasing goes to its escalation contact",
    "approval_refused": "approval refused: not by a lead allowed to approve",
    "needs_attention": "a message needs a person: {detail}",
    "stage_changed": "stage {detail}",
    "panel_replied": "the Panel's reply recorded on the case",
    "report_drafted": "new draft of the rapid review report with the merged chronology: {detail}",
    "quarantined": "a return was quarantined ({detail}); the request stays open",
    "referral_received": "a referral form read: case opened at stage referred, SIN decision deadline set",
    "released": "approved: {detail} released to go",
    "lcspr_report_sent_pre_publication": "final report recorded as sent before publication",
}


class Timeline:
    def __init__(self, app: App, sin_day: date, echo: Callable[[str], None]) -> None:
        self.app, self.sin_day, self.echo = app, sin_day, echo
        self.seen = 0
        self.day: date | None = None
        self.after_rapid_review = False
        self.quiet: set[str] = set()

    def later(self, *, quiet: set[str]) -> None:
        """From here on days are labelled by date only, and `quiet` purposes are counted, not printed."""
        self.after_rapid_review, self.quiet = True, quiet

    def _header(self, when: datetime) -> None:
        d = self.app.today(when)
        if d != self.day:
            self.day = d
            cal = self.app.partnership().policy.calendar
            label = (f"working day {cal.working_days_between(self.sin_day, d)} of the rapid review"
                     if d >= self.sin_day else f"day {(d - self.sin_day).days + 2} after the LA became aware")
            if self.after_rapid_review:
                label = ""
            kind = "" if cal.is_working_day(d) else "  (not a working day)"
            self.echo(f"\n{d:%a %d %b %Y}  {label}{kind}".rstrip())

    def event(self, when: datetime, who: str, what: str) -> None:
        self._header(when)
        self.echo(f"  {self.app.hours.local(when):%H:%M}  {who:<5} {what}")

    def bot(self, now: datetime) -> None:
        trail = list(self.app.ledger.audit_trail())
        new, self.seen = trail[self.seen:], len(trail)
        lines: list[str] = []
        for e in new:
            if e.detail in self.quiet:
                continue
            line = self._describe(e)
            if line and line not in lines:
                lines.append(line)
        if lines:
            self._header(now)
        for line in lines:
            self.echo(f"  {self.app.hours.local(now):%H:%M}  bot   {line}")

    @staticmethod
    def _describe(e: AuditEvent) -> str | None:
        if e.action in ("queued", "held"):
            template = QUEUED.get(e.detail)
        else:
            template = RECORDED.get(e.action)
        agency = "a statutory safeguarding partner" if e.agency.startswith("lead-") else e.agency or "?"
        return template.format(agency=agency, detail=e.detail) if template else None

    def summary(self, ref: str, *, brief: bool = False) -> None:
        app = self.app
        sent = app.ledger.outbox(OutboxStatus.SENT)
        purposes = Counter(i.purpose for i in sent)
        self.echo(f"\nWhat the bot did for {ref}: {len(sent)} messages sent")
        for purpose, n in sorted(purposes.items()):
            self.echo(f"  {n:>3}  {purpose}")
        held = app.ledger.outbox(OutboxStatus.HELD)
        if held:
            self.echo(f"  and {len(held)} held for approval: cspr-bot outbox list --status held")
        mailbox = app.mailbox
        local = isinstance(mailbox, MaildirMailbox) and app.workspace is not None
        if brief and local and app.workspace is not None:
            self.echo(f"\nSent mail: one .eml per message in {app.workspace.mail / 'sent' / 'new'}")
        else:
            self.echo("\nSent mail, in the order it went" + (" (one .eml per message):" if local else ":"))
        for item in [] if brief else sent:
            where = f"{mailbox.sent_path(item.key)}  " if isinstance(mailbox, MaildirMailbox) else ""
            self.echo(f"  {where}{' '.join(item.message.subject.split())}")
        self.echo("\nDocuments (case library):")
        for doc in app.library.list(ref):
            self.echo(f"  {app.workspace.library / ref / doc.path}" if local and app.workspace else f"  {doc.path}")
