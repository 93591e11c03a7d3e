"""follow_reviews on in-memory fakes: after the rapid review of RR-2026-014, the partners decide on Wed 20 Jan
2027 whether to commission a local child safeguarding practice review (process.md T9-T18)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.bootstrap import App
from bot.cases import add_case, find_case, update_case
from bot.domain.casework import case_deadlines
from bot.domain.model import Case, LcsprOutcome, Stage
from bot.handlers.follow_reviews import follow_reviews
from bot.ports import OutboxStatus
from tests.conftest import london

REF = "RR-2026-014"
DECISION = date(2027, 1, 20)
PANEL = "review-panel@national-panel.example"
OFSTED = "reviews@ofsted.example"
DFE = "safeguarding-reviews@dfe.example"
SOS = "secretary-of-state@dfe.example"
TEAM = "business-team@northshire-scp.example"
CHAIR = "crg.chair@northshire-scp.example"
SCRUTINEER = "scrutineer@northshire-scp.example"
PARTNERS = {"dcs@northshire-council.example", "public-protection@northshire-police.example",
            "chief.nurse@northshire-icb.example"}


def add(app: App, **fields: object) -> None:
    p = app.partnership()
    case = Case(ref=REF, partnership=p.id, child="Child A", la_aware=date(2026, 12, 17),
                sin_submitted=date(2026, 12, 18), sin_reference="SIN-2026-0042", agencies=("POL", "HLT"),
                stage=Stage.SUBMITTED_TO_PANEL, **fields)  # type: ignore[arg-type]
    add_case(app.register, p, case, by=p.team_address, at=london(date(2026, 12, 18)))


def change(app: App, day: date, by: str = TEAM, **changes: object) -> None:
    update_case(app.register, app.partnership(), REF, changes, by=by, at=london(day, 8))


def follow(app: App, day: date, hour: int = 10) -> object:
    return follow_reviews(london(day, hour), deps=app.deps())


def rows(app: App, prefix: str, status: OutboxStatus | None = None) -> list:  # type: ignore[type-arg]
    return [o for o in app.ledger.outbox(status) if o.key.startswith(prefix)]


def commissioned(app: App, **fields: object) -> None:
    add(app, lcspr_decision=DECISION, lcspr_outcome=LcsprOutcome.COMMISSIONED, reviewer="Reviewer D", **fields)


class TestCommissioning:
    def test_drafts_the_notice_and_a_letter_to_each_partner_and_involved_organisation_held_for_approval(self, app):
        commissioned(app)
        follow(app, DECISION)
        (notice,) = rows(app, "lcspr-notice:")
        assert notice.status is OutboxStatus.HELD
        assert set(notice.message.to) == {PANEL, OFSTED, DFE} and notice.message.cc == (TEAM,)
        assert [a.name for a in notice.message.attachments] == [f"Commissioning notice - {REF}.docx"]
        letters = rows(app, "lcspr-letter:")
        assert all(o.status is OutboxStatus.HELD for o in letters)
        assert {o.message.to[0] for o in letters} == PARTNERS | {
            "safeguarding.reviews@northshire-police.example", "named.nurse@northshire-health.example"}
        drafted = {d.path for d in app.library.list(REF, "lcspr")}
        assert f"lcspr/Commissioning notice - {REF}.docx" in drafted and len(drafted) == 1 + len(letters)
        assert find_case(app.register, REF).case.stage is Stage.LCSPR_COMMISSIONED
        leads_told = [o for o in app.ledger.outbox() if o.key == f"alert:lcspr-drafted:{REF}"]
        assert len(leads_told) == 1 and CHAIR in leads_told[0].message.to

    def test_an_approving_leads_tick_releases_them_all_and_a_second_tick_sends_nothing_new(self, app):
        commissioned(app)
        follow(app, DECISION)
        change(app, date(2027, 1, 21), by=CHAIR, notices_approved=True,
               notices_approved_by=CHAIR)
        report = follow(app, date(2027, 1, 21))
        held = rows(app, "lcspr-", OutboxStatus.HELD)
        assert held == [] and report.released == 1 + len(rows(app, "lcspr-letter:"))  # type: ignore[attr-defined]
        before = len(app.ledger.outbox())
        follow(app, date(2027, 1, 21), hour=11)
        assert len(app.ledger.outbox()) == before
        released = [e for e in app.ledger.audit_trail(REF) if e.action == "released"]
        assert {e.actor for e in released} == {CHAIR}

    def test_an_approval_by_someone_who_cannot_approve_releases_nothing_and_is_flagged(self, app):
        commissioned(app)
        follow(app, DECISION)
        change(app, date(2027, 1, 21), by=SCRUTINEER, notices_approved=True, notices_approved_by=SCRUTINEER)
        follow(app, date(2027, 1, 21))
        assert rows(app, "lcspr-", OutboxStatus.PENDING) == []
        case = find_case(app.register, REF).case
        assert case.notices_approved is False and "refused" in case.attention

    def test_without_a_reviewer_nothing_is_drafted_and_the_team_is_asked_for_one(self, app):
        add(app, lcspr_decision=DECISION, lcspr_outcome=LcsprOutcome.COMMISSIONED)
        follow(app, DECISION)
        assert rows(app, "lcspr-") == []
        assert [o.key for o in app.ledger.outbox()] == [f"alert:reviewer-missing:{REF}"]


class TestMonitoring:
    def test_a_monthly_progress_check_goes_to_the_case_review_group_once_a_month(self, app):
        commissioned(app)
        follow(app, date(2027, 2, 19))  # not yet a month
        assert rows(app, "lcspr-progress:") == []
        follow(app, date(2027, 2, 22))  # the 20th was a Saturday: the next working day
        follow(app, date(2027, 2, 23))
        follow(app, date(2027, 3, 22))
        checks = rows(app, "lcspr-progress:")
        assert [o.key for o in checks] == [f"lcspr-progress:{REF}:1", f"lcspr-progress:{REF}:2"]
        assert checks[0].message.to == (CHAIR,) and "20 July 2027" in checks[0].message.text

    def test_a_delay_goes_to_the_panel_once_per_new_revised_date(self, app):
        commissioned(app)
        change(app, date(2027, 3, 1), lcspr_delay_reason="criminal proceedings",
               lcspr_revised_publication=date(2027, 10, 1))
        follow(app, date(2027, 3, 1))
        follow(app, date(2027, 3, 2))
        change(app, date(2027, 5, 4), lcspr_revised_publication=date(2027, 12, 1))
        follow(app, date(2027, 5, 3))  # the early May bank holiday: nothing goes to the Panel today
        assert len(rows(app, "lcspr-delay:")) == 1
        follow(app, date(2027, 5, 4))
        delays = rows(app, "lcspr-delay:")
        assert [o.key for o in delays] == [f"lcspr-delay:{REF}:2027-10-01", f"lcspr-delay:{REF}:2027-12-01"]
        assert all(o.message.to == (PANEL,) for o in delays)
        assert "criminal proceedings" in delays[0].message.text


class TestPrePublication:
    # publication planned Tue 20 Jul 2027: the report must reach the Panel, SoS and Ofsted by Fri 9 Jul
    PUBLICATION = date(2027, 7, 20)

    def test_reminders_5_2_and_0_working_days_before_the_submission_is_due(self, app):
        commissioned(app, publication=self.PUBLICATION)
        for day in range(28, 31):
            follow(app, date(2027, 6, day))
        for day in range(1, 10):
            follow(app, date(2027, 7, day))
        keys = [o.key for o in rows(app, "prepub-reminder:")]
        assert keys == [f"prepub-reminder:{REF}:2027-07-20:{n}" for n in (5, 2, 0)]
        assert rows(app, "prepub-reminder:")[0].purpose == "deadline_reminder"

    def test_the_approved_final_report_goes_to_the_panel_sos_and_ofsted_once_each_with_a_cover_letter(self, app):
        commissioned(app, publication=self.PUBLICATION)
        app.library.save(REF, "lcspr/LCSPR Child A - final.docx", b"PK fictional final report")
        change(app, date(2027, 7, 5), by=CHAIR, lcspr_report_approved=True, lcspr_report_approved_by=CHAIR)
        follow(app, date(2027, 7, 5))
        follow(app, date(2027, 7, 5), hour=11)
        sent = rows(app, "prepub:")
        assert sorted(o.message.to[0] for o in sent) == sorted([PANEL, SOS, OFSTED])
        for o in sent:
            assert [a.name for a in o.message.attachments] == [f"Cover letter - {REF}.docx",
                                                               "LCSPR Child A - final.docx"]
        case = find_case(app.register, REF).case
        assert case.pre_publication_sent == date(2027, 7, 5)
        assert case.stage is Stage.LCSPR_REPORT_SENT_PRE_PUBLICATION

    def test_moving_publication_so_that_the_submission_is_late_alerts_the_leads_at_once(self, app):
        commissioned(app, publication=self.PUBLICATION)
        follow(app, date(2027, 7, 12))
        change(app, date(2027, 7, 13), publication=date(2027, 7, 16))
        follow(app, date(2027, 7, 13))
        late = [o for o in app.ledger.outbox() if o.key.startswith("alert:prepub-late:")]
        assert [o.key for o in late] == [f"alert:prepub-late:{REF}:2027-07-20", f"alert:prepub-late:{REF}:2027-07-16"]
        assert CHAIR in late[1].message.to

    @pytest.mark.parametrize("address", ["secretary_of_state", "ofsted"])
    def test_an_unconfigured_national_address_sends_nothing_and_says_which_setting(self, app, address):
        commissioned(app, publication=self.PUBLICATION)
        app.library.save(REF, "lcspr/final.docx", b"PK")
        change(app, date(2027, 7, 5), by=CHAIR, lcspr_report_approved=True, lcspr_report_approved_by=CHAIR)
        from dataclasses import replace
        deps = app.deps()
        object.__setattr__(app, "_deps", replace(deps, addresses=replace(deps.addresses, **{address: ""})))
        follow(app, date(2027, 7, 5))
        assert rows(app, "prepub:") == []
        (alert,) = [o for o in app.ledger.outbox() if o.key == f"alert:prepub-missing:{REF}"]
        assert "panel." in alert.message.text


class TestAfterPublication:
    def test_the_repository_reminder_once_and_the_one_year_availability_reminder_before_it_ends(self, app):
        commissioned(app, publication=date(2027, 7, 20), published=date(2027, 7, 20),
                     pre_publication_sent=date(2027, 7, 8))
        follow(app, date(2027, 7, 21))
        follow(app, date(2027, 7, 22))
        assert [o.key for o in app.ledger.outbox()] == [f"alert:repository:{REF}"]
        assert find_case(app.register, REF).case.stage is Stage.PUBLISHED
        follow(app, date(2028, 7, 10))
        assert f"alert:published-until:{REF}" in [o.key for o in app.ledger.outbox()]


class TestNotCommissioned:
    def test_the_decision_is_audited_without_its_reasons_and_the_learning_briefing_reminder_comes_later(self, app):
        add(app, lcspr_decision=DECISION, lcspr_outcome=LcsprOutcome.NOT_COMMISSIONED,
            no_lcspr_reasons="Learning already identified by the rapid review; canary-reason")
        follow(app, DECISION)
        follow(app, date(2027, 2, 16))
        assert rows(app, "alert:briefing:") == []
        follow(app, date(2027, 2, 17))  # 20 working days after the decision
        (briefing,) = rows(app, "alert:briefing:")
        assert CHAIR in briefing.message.to and TEAM in briefing.message.to
        trail = [e for e in app.ledger.audit_trail(REF) if e.action == "lcspr_not_commissioned"]
        assert len(trail) == 1 and "canary" not in trail[0].detail
        case = find_case(app.register, REF).case
        assert case.stage is Stage.LCSPR_NOT_COMMISSIONED
        assert not [d for d in app.deps().register.items("cases") if d.fields.get("NextDeadline") ==
                    "lcspr_publication_due"]


class TestActionPlans:
    POLICE_LEAD = "safeguarding.reviews@northshire-police.example"

    def action(self, app: App, owner: str, due: date, done: bool = False, title: str = "Audit strategy "
               "discussions") -> str:
        from bot.domain.model import Action
        from bot.domain.records import ACTIONS, action_to_fields
        item = app.register.add(ACTIONS, action_to_fields(Action(REF, title, owner, due, done)), by=TEAM)
        return item.id

    def test_the_owner_is_reminded_5_working_days_before_and_on_the_due_date_once_each(self, app):
        add(app, lcspr_decision=DECISION, lcspr_outcome=LcsprOutcome.NOT_COMMISSIONED, no_lcspr_reasons="x",
            action_plan_signed_off=date(2027, 3, 1))
        item = self.action(app, self.POLICE_LEAD, date(2027, 3, 19))
        self.action(app, self.POLICE_LEAD, date(2027, 3, 19), done=True, title="done already")
        for day in range(10, 20):
            follow(app, date(2027, 3, day))
            follow(app, date(2027, 3, day), hour=14)
        reminders = rows(app, "action:")
        assert [o.key for o in reminders] == [f"action:{item}:2027-03-19:5", f"action:{item}:2027-03-19:0"]
        assert reminders[0].message.to == (self.POLICE_LEAD,)
        assert "Audit strategy discussions" in reminders[0].message.text
        assert find_case(app.register, REF).case.stage is Stage.ACTION_PLAN_MONITORING

    def test_an_owner_the_configuration_does_not_name_is_reminded_through_the_team(self, app):
        add(app, lcspr_decision=DECISION, lcspr_outcome=LcsprOutcome.NOT_COMMISSIONED, no_lcspr_reasons="x")
        item = self.action(app, "someone@elsewhere.example", date(2027, 3, 19))
        follow(app, date(2027, 3, 19))
        (reminder,) = rows(app, "action:")
        assert reminder.message.to == (TEAM,)
        assert [o.key for o in app.ledger.outbox() if o.key.startswith("alert:action-owner:")] == [
            f"alert:action-owner:{item}"]

    def test_an_overdue_action_is_in_the_leads_digest_but_its_words_are_not_in_the_logged_report(self, app):
        from bot.handlers.remind_leads import remind_leads
        add(app, lcspr_decision=DECISION, lcspr_outcome=LcsprOutcome.NOT_COMMISSIONED, no_lcspr_reasons="x")
        self.action(app, self.POLICE_LEAD, date(2027, 3, 19), title="canary-action-words")
        report = remind_leads(london(date(2027, 3, 22), 9), deps=app.deps())
        digests = [o for o in app.ledger.outbox() if o.purpose == "lead_digest"]
        assert digests and all("canary-action-words" in o.message.text for o in digests)
        assert any("Action overdue" in row for row in report.rows)
        assert not any("canary" in row for row in report.rows)

    def test_the_learning_event_is_reminded_before_it_falls_due_two_years_after_sign_off(self, app):
        from bot.handlers.remind_leads import remind_leads
        add(app, lcspr_decision=DECISION, lcspr_outcome=LcsprOutcome.NOT_COMMISSIONED, no_lcspr_reasons="x",
            action_plan_signed_off=date(2027, 3, 1))
        remind_leads(london(date(2029, 2, 26), 9), deps=app.deps())  # 3 working days before Thu 1 Mar 2029
        keys = [o.key for o in app.ledger.outbox() if o.purpose == "deadline_reminder"]
        assert keys == [f"deadline:{REF}:learning_event_due:3"]


class TestDfeNotification:
    def test_a_looked_after_childs_death_has_the_dfe_deadline_and_reminders_until_the_team_records_it(self, app):
        from bot.handlers.remind_leads import remind_leads
        p = app.partnership()
        case = Case(ref=REF, partnership=p.id, child="Child A", la_aware=date(2027, 3, 1), looked_after=True)
        add_case(app.register, p, case, by=TEAM, at=london(date(2027, 3, 1)))
        remind_leads(london(date(2027, 3, 3), 9), deps=app.deps())  # due Mon 8 Mar: 3 working days left
        remind_leads(london(date(2027, 3, 5), 9), deps=app.deps())  # 1 left
        keys = [o.key for o in app.ledger.outbox() if o.purpose == "deadline_reminder" and "dfe" in o.key]
        assert keys == [f"deadline:{REF}:dfe_notification_due:3", f"deadline:{REF}:dfe_notification_due:1"]
        change(app, date(2027, 3, 5), dfe_notified=date(2027, 3, 5))
        remind_leads(london(date(2027, 3, 8), 9), deps=app.deps())
        assert f"deadline:{REF}:dfe_notification_due:0" not in [o.key for o in app.ledger.outbox()]


class TestCareLeaver:
    @staticmethod
    def start(app: App, age: int) -> None:
        """A care leaver's death, its SIN date entered, and the rapid review job's pass that day."""
        from bot.handlers.start_rapid_review import start_rapid_review
        case = Case(ref=REF, partnership=app.partnership().id, child="Young person A", la_aware=date(2027, 3, 1),
                    sin_submitted=date(2027, 3, 2), care_leaver=True, age=age, agencies=("POL",))
        add_case(app.register, app.partnership(), case, by=TEAM, at=london(date(2027, 3, 2)))
        start_rapid_review(london(date(2027, 3, 2), 10), deps=app.deps())

    def test_a_care_leaver_aged_18_or_over_gets_no_rapid_review_and_the_case_says_why(self, app):
        from bot.handlers.start_rapid_review import start_rapid_review
        p = app.partnership()
        self.start(app, 19)
        start_rapid_review(london(date(2027, 3, 2), 11), deps=app.deps())
        assert app.ledger.outbox() == []
        record = find_case(app.register, REF)
        assert "care leaver aged 19" in record.case.attention and "under 18" in record.case.attention
        assert [e.action for e in app.ledger.audit_trail(REF)] == ["rapid_review_not_started"]
        deadlines = {d.name for d in case_deadlines(record.case, p)}
        assert "dfe_notification_due" in deadlines

    def test_a_care_leaver_under_18_has_the_rapid_review(self, app):
        self.start(app, 17)
        assert [o.key for o in app.ledger.outbox() if o.purpose == "information_request"] == [f"request:{REF}:POL"]
