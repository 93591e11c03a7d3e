"""The case register in business words: partnerships, agencies, leads, cases and agency requests."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from bot.domain.deadlines import KeyDates, Policy
from bot.domain.rules import ClockStart


class LcsprOutcome(StrEnum):
    """The safeguarding partners' decision on a local child safeguarding practice review."""

    UNDECIDED = ""
    COMMISSIONED = "commissioned"
    NOT_COMMISSIONED = "not_commissioned"


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

    def can_approve(self, address: str) -> bool:
        """Whether `address` is a lead allowed to approve what goes to the Panel and national bodies."""
        return address.lower() in {lead.address.lower() for lead in self.leads if lead.can_approve}

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
    # after the rapid review (process.md T8-T18): the Panel's response, the partners' decision, the review
    panel_responded: date | None = None
    panel_response: str = ""  # the Panel's view, as the team summarises it
    lcspr_outcome: LcsprOutcome = LcsprOutcome.UNDECIDED
    reviewer: str = ""  # the commissioned reviewer, named in the notice to the Panel, Ofsted and DfE
    no_lcspr_reasons: str = ""
    notices_approved: bool = False  # the commissioning notice and notification letters, by an approving lead
    notices_approved_by: str = ""
    lcspr_delay_reason: str = ""  # e.g. criminal proceedings; each new revised date goes to the Panel once
    lcspr_revised_publication: date | None = None
    lcspr_report_approved: bool = False  # the final LCSPR report, for the pre-publication submission
    lcspr_report_approved_by: str = ""
    repository_sent: date | None = None  # sent to the national case review repository
    # other routes (process.md T3, T4, T1, T21)
    dfe_notified: date | None = None  # the DfE online notification (looked-after child or care leaver death)
    age: int | None = None  # at the incident: a care leaver over 17 has no rapid review
    incident_la: str = ""  # where it happened
    residence_la: str = ""  # where the child normally lived
    responsible_la: str = ""  # the authority responsible for the child
    joint_review_with: str = ""  # another partnership running the review with us
    dardr_contact: str = ""  # the linked domestic abuse related death review's contact

    def key_dates(self) -> KeyDates:
        return KeyDates(
            la_aware=self.la_aware, sin_submitted=self.sin_submitted, decision=self.lcspr_decision,
            publication=self.publication, action_plan_signed_off=self.action_plan_signed_off,
            submitted_to_panel=self.submitted_to_panel.date() if self.submitted_to_panel else None,
            pre_publication_sent=self.pre_publication_sent, published=self.published,
            lcspr_commissioned=self.lcspr_outcome is not LcsprOutcome.NOT_COMMISSIONED,
            dfe_notification_needed=self.looked_after or self.care_leaver, dfe_notified=self.dfe_notified,
        )

    def with_changes(self, **changes: object) -> Case:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Action:
    """One action of a review's action plan (process.md T23): what, who owns it, by when."""

    case_ref: str
    title: str
    owner: str  # an address the configuration names (an agency lead, a partner, the team)
    due: date | None = None
    done: bool = False


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
