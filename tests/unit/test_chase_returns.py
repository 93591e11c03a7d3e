"""chase_returns on in-memory fakes, over Christmas 2026: requests go on Fri 18 Dec and are due Thu 31 Dec;
the reminder is Wed 30 Dec, the chaser Thu 31 Dec, the escalation Mon 4 Jan (1 Jan is a bank holiday),
then a daily overdue chaser from Tue 5 Jan."""

from __future__ import annotations

from datetime import date

from bot.cases import add_case, requests_of, update_case, update_request
from bot.domain.model import Case, RequestStatus, Stage
from bot.handlers.chase_returns import chase_returns
from bot.handlers.ingest_mail import ingest_mail
from bot.handlers.start_rapid_review import start_rapid_review
from tests.conftest import london

AWARE = date(2026, 12, 17)
SIN = date(2026, 12, 18)
REMINDER_DAY = date(2026, 12, 30)
DUE = date(2026, 12, 31)
ESCALATION_DAY = date(2027, 1, 4)
OVERDUE_DAY = date(2027, 1, 5)

POLICE_LEAD = "safeguarding.reviews@northshire-police.example"
POLICE_ESCALATION = "pvp.lead@northshire-police.example"
CRG_LEAD = "crg.chair@northshire-scp.example"


def started(app, ref="RR-2026-014", agencies=("POL", "HLT")):  # type: ignore[no-untyped-def]
    p = app.partnership()
    case = Case(ref=ref, partnership=p.id, child="Child A", la_aware=AWARE, sin_submitted=SIN, agencies=agencies)
    add_case(app.register, p, case, by=p.team_address, at=london(AWARE))
    start_rapid_review(london(SIN), deps=app.deps())


def chase(app, day, hour=9, minute=0):  # type: ignore[no-untyped-def]
    return chase_returns(london(day, hour, minute), deps=app.deps())


def chasers(app, step=None, agency=None):  # type: ignore[no-untyped-def]
    return [o for o in app.ledger.outbox() if o.purpose.startswith("chase_")
            and (step is None or o.purpose == f"chase_{step}")
            and (agency is None or o.key.split(":")[3] == agency)]


def request(app, agency, ref="RR-2026-014"):  # type: ignore[no-untyped-def]
    return next(r for r in requests_of(app.register, ref) if r.request.agency == agency)


def set_request(app, agency, ref="RR-2026-014", **changes):  # type: ignore[no-untyped-def]
    update_request(app.register, request(app, agency, ref), by="business-team@northshire-scp.example",
                   at=london(SIN, 12), **changes)


class TestChaseReturns:
    def test_an_escalation_missed_while_the_bot_was_down_is_sent_on_the_next_working_day(self, app):
        started(app, agencies=("POL",))
        chase(app, DUE)
        chase(app, OVERDUE_DAY)  # the bot did not run on the escalation day
        assert len(chasers(app, "escalation", "POL")) == 1
        assert chasers(app, "overdue") == []  # no overdue chaser on the day of the (late) escalation
        chase(app, date(2027, 1, 6))
        assert len(chasers(app, "overdue", "POL")) == 1

    def test_a_due_date_typed_on_a_weekend_is_chased_on_the_friday_before(self, app):
        started(app, agencies=("POL",))
        set_request(app, "POL", due=date(2027, 1, 9))  # a Saturday
        chase(app, date(2027, 1, 8))
        assert len(chasers(app, "chaser", "POL")) == 1

    def test_sends_nothing_before_the_working_day_before_the_due_date(self, app):
        started(app)
        for day in (date(2026, 12, 21), date(2026, 12, 24), date(2026, 12, 29)):
            chase(app, day)
        assert chasers(app) == []

    def test_reminds_the_agency_lead_the_working_day_before_the_due_date(self, app):
        started(app)
        report = chase(app, REMINDER_DAY)
        (reminder,) = chasers(app, "reminder", "POL")
        assert reminder.message.to == (POLICE_LEAD,) and reminder.message.cc == ()
        assert "Thursday 31 December 2026" in reminder.message.text
        assert report.sent == {"reminder": 2}

    def test_chases_the_lead_on_the_due_day_copying_the_agency_escalation_contact(self, app):
        started(app)
        chase(app, DUE)
        (chaser,) = chasers(app, "chaser", "POL")
        assert chaser.message.to == (POLICE_LEAD,)
        assert chaser.message.cc == (POLICE_ESCALATION,)
        assert "copied to your agency's escalation contact" in chaser.message.text
        assert chaser.message.subject.endswith(f"[CSPR {request(app, 'POL').request.token}]")

    def test_escalates_to_the_case_review_group_lead_the_working_day_after_the_due_date(self, app):
        started(app)
        chase(app, ESCALATION_DAY)
        (escalation,) = chasers(app, "escalation", "POL")
        assert escalation.message.to == (CRG_LEAD,)
        assert escalation.message.cc == (POLICE_ESCALATION,)
        assert "Northshire Police has not returned" in escalation.message.text

    def test_sends_nothing_on_the_new_year_bank_holiday_or_the_weekend_after(self, app):
        started(app)
        for day in (date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3)):
            chase(app, day, hour=10)
        assert chasers(app) == []

    def test_sends_nothing_on_christmas_day_or_boxing_day_substitute(self, app):
        started(app)
        chase(app, date(2026, 12, 25))
        chase(app, date(2026, 12, 28))
        assert chasers(app) == []

    def test_sends_nothing_outside_office_hours_and_then_chases_once_they_open(self, app):
        started(app)
        chase(app, REMINDER_DAY, hour=8, minute=29)
        chase(app, REMINDER_DAY, hour=17, minute=30)
        chase(app, REMINDER_DAY, hour=22)
        assert chasers(app) == []
        chase(app, REMINDER_DAY, hour=17, minute=29)
        assert len(chasers(app, "reminder")) == 2

    def test_sends_one_overdue_chaser_per_request_per_working_day(self, app):
        started(app, agencies=("POL",))
        chase(app, ESCALATION_DAY)
        for day in (OVERDUE_DAY, date(2027, 1, 6)):
            chase(app, day, hour=9)
            chase(app, day, hour=14)
        overdue = chasers(app, "overdue", "POL")
        assert len(overdue) == 2
        assert overdue[0].message.to == (POLICE_LEAD,) and overdue[0].message.cc == (POLICE_ESCALATION,)
        assert "rapid review RR-2026-014: due Thursday 31 December 2026" in overdue[0].message.text

    def test_an_agency_with_several_overdue_requests_gets_one_digest_listing_them(self, app):
        started(app, "RR-2026-014", ("POL", "HLT"))
        started(app, "RR-2026-015", ("POL",))
        chase(app, ESCALATION_DAY)
        report = chase(app, OVERDUE_DAY)
        police = [o for o in chasers(app, "overdue") if o.message.to == (POLICE_LEAD,)]
        (digest,) = police
        assert "2 information returns from Northshire Police" in digest.message.subject
        assert "RR-2026-014" in digest.message.text and "RR-2026-015" in digest.message.text
        assert len(chasers(app, "overdue", "HLT")) == 1
        assert report.sent == {"overdue": 2}

    def test_the_digest_does_not_come_back_the_same_day(self, app):
        started(app, "RR-2026-014", ("POL",))
        started(app, "RR-2026-015", ("POL",))
        chase(app, ESCALATION_DAY)
        chase(app, OVERDUE_DAY, hour=9)
        chase(app, OVERDUE_DAY, hour=15)
        assert len(chasers(app, "overdue")) == 1
        chase(app, date(2027, 1, 6))
        assert len(chasers(app, "overdue")) == 2

    def test_a_request_in_a_digest_is_not_chased_again_that_day_after_the_other_is_returned(self, app):
        started(app, "RR-2026-014", ("POL",))
        started(app, "RR-2026-015", ("POL",))
        chase(app, ESCALATION_DAY)
        chase(app, OVERDUE_DAY, hour=9)
        set_request(app, "POL", "RR-2026-014", status=RequestStatus.RETURNED, returned=OVERDUE_DAY)
        chase(app, OVERDUE_DAY, hour=11)
        assert len(chasers(app, "overdue")) == 1
        chase(app, date(2027, 1, 6))
        (_, single) = chasers(app, "overdue")
        assert "RR-2026-015" in single.message.text and "RR-2026-014" not in single.message.text

    def test_a_returned_request_is_never_chased(self, app):
        started(app)
        set_request(app, "POL", status=RequestStatus.RETURNED, returned=date(2026, 12, 22))
        for day in (REMINDER_DAY, DUE, ESCALATION_DAY, OVERDUE_DAY):
            chase(app, day)
        assert chasers(app, agency="POL") == []
        assert len(chasers(app, agency="HLT")) == 4

    def test_a_nil_returned_request_is_never_chased(self, app):
        started(app)
        set_request(app, "HLT", status=RequestStatus.NIL_RETURN, returned=date(2026, 12, 22))
        for day in (REMINDER_DAY, DUE, ESCALATION_DAY, OVERDUE_DAY):
            chase(app, day)
        assert chasers(app, agency="HLT") == []

    def test_an_agency_is_not_chased_once_the_rapid_review_has_gone_to_the_panel(self, app):
        started(app)
        update_case(app.register, app.partnership(), "RR-2026-014",
                    {"stage": Stage.SUBMITTED_TO_PANEL, "submitted_to_panel": london(DUE, 16)},
                    by=CRG_LEAD, at=london(DUE, 16))
        for day in (ESCALATION_DAY, OVERDUE_DAY, date(2027, 3, 1)):
            chase(app, day)
        assert chasers(app) == []

    def test_an_agency_is_not_chased_on_a_closed_case(self, app):
        started(app)
        update_case(app.register, app.partnership(), "RR-2026-014", {"stage": Stage.CLOSED}, by=CRG_LEAD,
                    at=london(DUE, 16))
        chase(app, OVERDUE_DAY)
        assert chasers(app) == []

    def test_after_an_out_of_office_reply_the_chasing_goes_to_the_agency_escalation_contact(self, app):
        started(app)
        set_request(app, "POL", note="out of office 2026-12-29")
        chase(app, REMINDER_DAY)
        chase(app, DUE)
        (reminder,) = chasers(app, "reminder", "POL")
        (chaser,) = chasers(app, "chaser", "POL")
        assert reminder.message.to == (POLICE_ESCALATION,)
        # the out-of-office note never clears by itself, so the lead stays copied in case they are back
        assert chaser.message.to == (POLICE_ESCALATION,) and chaser.message.cc == (POLICE_LEAD,)
        assert "copied" not in chaser.message.text and "out of the office" in chaser.message.text

    def test_an_automatic_reply_read_from_the_mailbox_turns_the_chasing_to_the_escalation_contact(self, app):
        started(app)
        token = request(app, "POL").request.token
        app.mailbox.deliver((
            f"From: {POLICE_LEAD}\r\nTo: cspr-bot@northshire-scp.example\r\n"
            f"Subject: Automatic reply: Rapid review information request [CSPR {token}]\r\n"
            "Auto-Submitted: auto-replied\r\nMessage-ID: <ooo-1@northshire-police.example>\r\n"
            "Date: Tue, 29 Dec 2026 10:00:00 +0000\r\n\r\nI am away until 11 January.\r\n").encode())
        ingest_mail(london(date(2026, 12, 29), 10), deps=app.deps(), mailbox=app.mailbox)
        chase(app, DUE)
        (chaser,) = chasers(app, "chaser", "POL")
        assert chaser.message.to == (POLICE_ESCALATION,)
        (other,) = chasers(app, "chaser", "HLT")
        assert other.message.to == ("named.nurse@northshire-health.example",)

    def test_running_twice_the_same_day_sends_nothing_new(self, app):
        started(app)
        chase(app, DUE, hour=9)
        before = len(app.ledger.outbox())
        report = chase(app, DUE, hour=9, minute=5)
        assert len(app.ledger.outbox()) == before
        assert report.sent == {}
        assert request(app, "POL").request.chases == 1

    def test_each_chase_adds_one_to_the_chases_count(self, app):
        started(app)
        assert request(app, "POL").request.chases == 0
        chase(app, REMINDER_DAY)
        assert request(app, "POL").request.chases == 1
        chase(app, DUE)
        chase(app, ESCALATION_DAY)
        chase(app, OVERDUE_DAY)
        assert request(app, "POL").request.chases == 4

    def test_the_escalation_says_how_often_the_agency_was_chased(self, app):
        started(app)
        chase(app, REMINDER_DAY)
        chase(app, DUE)
        chase(app, ESCALATION_DAY)
        (escalation,) = chasers(app, "escalation", "POL")
        assert "has been chased 2 time(s)" in escalation.message.text
