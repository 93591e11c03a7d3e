"""The case register in business words: partnerships, agencies, leads, cases and agency requests."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from bot.domain.deadlines import KeyDates, Policy
from bot.domain.rules import ClockStart


class Stage(StrEnum):
    """A case's life, from referral to closure (process.md §1.1 T1-T23)."""

    REFERRED = "referred"
    SIN_SUBMITTED = "sin_submitted"
    RAPID_REVIEW_IN_PROGRESS = "rapid_review_in_progress"
    REPORT_DRAFTED = "report_drafted"
    APPROVED = "approved"
    SUBMITTED_TO_PANEL = "submitted_to_panel"
    PANEL_RESPONDED = "panel_responded"
    LCSPR_COMMISSIONED = "lcspr_commissioned"
    LCSPR_NOT_COMMISSIONED = "lcspr_not_commissioned"
    LCSPR_REPORT_SENT_PRE_PUBLICATION = "lcspr_report_sent_pre_publication"
    PUBLISHED = "published"
    ACTION_PLAN_MONITORING = "action_plan_monitoring"
    CLOSED = "closed"


class AgencyKind(StrEnum):
    POLICE = "police"
    HEALTH = "health"
    EDUCATION = "education"
    SOCIAL_CARE = "social_care"
    DOMESTIC_ABUSE = "domestic_abuse"
    PROBATION = "probation"
    HOUSING = "housing"
    OTHER = "other"


class RequestStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    RETURNED = "returned"
    NIL_RETURN = "nil_return"
    UNDELIVERABLE = "undeliverable"

    @property
    def is_closed(self) -> bool:
        """A return or nil return has been recorded: chasing stops."""
        return self in (RequestStatus.RETURNED, RequestStatus.NIL_RETURN)


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    kind: AgencyKind
    lead_address: str
    escalation_address: str
    allowed_domains: tuple[str, ...]


@dataclass(frozen=True)
class Lead:
    role: str
    name: str
    address: str
    can_approve: bool = False


@dataclass(frozen=True)
class Partnership:
    id: str
    name: str
    local_authorities: tuple[str, ...]
    classification: str
    team_address: str
    agencies: tuple[Agency, ...]
    leads: tuple[Lead, ...]
    policy: Policy = field(default_factory=Policy)
    case_prefix: str = "RR"
    domestic_abuse_service: str | None = None
    panel_format: str = "docx"
    retention_years: int = 25  # after closure; the partnership's retention schedule (settings.py)

    def agency(self, code: str) -> Agency | None:
        return next((a for a in self.agencies if a.code == code), None)

    @property
    def clock(self) -> ClockStart:
        return self.policy.clock


@dataclass(frozen=True)
class Case:
    """One serious incident and the reviews that follow it; the child appears only by pseudonym."""

    ref: str
    partnership: str
    child: str
    la_aware: date | None = None
    incident: date | None = None
    sin_submitted: date | None = None
    sin_reference: str = ""
    looked_after: bool = False
    care_leaver: bool = False
    domestic_abuse: bool = False
    home_office_input: bool = False
    agencies: tuple[str, ...] = ()
    stage: Stage = Stage.REFERRED
    rapid_review_started: bool = False
    approved: bool = False
    approved_by: str = ""
    delay_reason: str = ""
    revised_due: date | None = None
    submitted_to_panel: datetime | None = None
    lcspr_decision: date | None = None
    publication: date | None = None
    pre_publication_sent: date | None = None
    published: date | None = None
    action_plan_signed_off: date | None = None
    attention: str = ""  # why the bot wants a person to look (e.g. an approval it refused)
    subjects: tuple[str, ...] = ()  # other people agencies should search for (names go only into forms)

    def key_dates(self) -> KeyDates:
        return KeyDates(
            la_aware=self.la_aware, sin_submitted=self.sin_submitted, decision=self.lcspr_decision,
            publication=self.publication, action_plan_signed_off=self.action_plan_signed_off,
            submitted_to_panel=self.submitted_to_panel.date() if self.submitted_to_panel else None,
            pre_publication_sent=self.pre_publication_sent, published=self.published,
        )

    def with_changes(self, **changes: object) -> Case:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class AgencyRequest:
    """One information request to one agency for one case."""

    case_ref: str
    agency: str
    token: str
    status: RequestStatus = RequestStatus.QUEUED
    sent: date | None = None
    due: date | None = None
    chases: int = 0
    returned: date | None = None
    note: str = ""
