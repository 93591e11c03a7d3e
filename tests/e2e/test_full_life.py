"""`cspr-bot demo --full` as a user runs it: the demo case from its referral email to the learning event
two years after the action plan's sign-off, each notice exactly once, to the right people, on the right
working day (process.md T1-T23). The workspace it leaves is then read back through the bot's own ports."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from bot.bootstrap import App, build_local_app
from bot.cases import find_case
from bot.demo.full_life import END, PUBLICATION, REVISED, SIGNED_OFF
from bot.domain.model import Stage
from bot.ports import OutboxItem, OutboxStatus
from bot.settings import load_settings
from tests.conftest import DEFAULT_CONFIG
from tests.e2e.test_cli import cspr

pytestmark = pytest.mark.e2e
REF = "RR-2026-001"


@pytest.fixture(scope="module")
def life(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, App]]:
    root = tmp_path_factory.mktemp("full") / "ws"
    out = cspr("demo", "--full", "--workspace", str(root)).stdout
    app = build_local_app(load_settings(DEFAULT_CONFIG), root)
    yield out, app
    app.close()


def sent(app: App, purpose: str) -> list[OutboxItem]:
    return [i for i in app.ledger.outbox(OutboxStatus.SENT) if i.purpose == purpose]


def day(app: App, item: OutboxItem) -> date:
    assert item.sent_at is not None
    return app.today(item.sent_at)


def addresses(app: App, *roles: str) -> set[str]:
    return {lead.address for lead in app.partnership().leads if lead.role in roles}


def agency_lead(app: App, code: str) -> str:
    agency = app.partnership().agency(code)
    assert agency is not None
    return agency.lead_address


class TestFromReferralToTheRapidReview:
    def test_the_referral_email_opens_the_case_at_stage_referred_with_its_sin_decision_deadline(self, life):
        _, app = life
        [event] = [e for e in app.ledger.audit_trail() if e.action == "referral_received"]
        assert (event.case_ref, event.agency, app.today(event.at)) == (REF, "POL", date(2026, 12, 22))
        case = find_case(app.register, REF).case
        assert case.la_aware == date(2026, 12, 22) and case.incident == date(2026, 12, 21)
        # the five the form names, and the domestic abuse service the bot adds because the form says yes
        assert case.agencies == ("POL", "CSC", "HLT", "GP", "EDU", "DAS") and case.child == "Child A"
        assert [d.path for d in app.library.list(REF, "referral")][0].startswith(f"referral/Referral - {REF}")
        first = min(sent(app, "lead_digest"), key=lambda i: i.created_at)
        assert day(app, first) == date(2026, 12, 22)
        assert "Serious incident notification to the Panel" in first.message.text
        assert "Thursday 31 December 2026" in first.message.text

    def test_the_rapid_review_goes_to_the_panel_once(self, life):
        _, app = life
        [submission] = sent(app, "panel_submission")
        assert submission.message.to == (app.settings.panel.address,)


class TestTheLocalReview:
    def test_the_commissioning_notice_goes_once_to_the_panel_ofsted_and_dfe_when_a_lead_approves(self, life):
        _, app = life
        [notice] = sent(app, "lcspr_commissioning_notice")
        panel = app.settings.panel
        assert set(notice.message.to) == {panel.address, panel.ofsted_address, panel.dfe_address}
        assert app.today(notice.created_at) == date(2027, 2, 3)  # drafted and held on the decision day
        assert day(app, notice) == date(2027, 2, 4)  # sent once the chair approved
        assert "Dr R. Reviewer" in notice.message.text

    def test_a_letter_goes_once_to_each_statutory_partner_and_each_involved_agency(self, life):
        _, app = life
        letters = sent(app, "lcspr_notification_letter")
        wanted = addresses(app, "local_authority_partner", "police_partner", "health_partner") | {
            agency_lead(app, code) for code in ("POL", "CSC", "HLT", "GP", "EDU", "DAS")}
        assert sorted(a for i in letters for a in i.message.to) == sorted(wanted)
        assert {day(app, i) for i in letters} == {date(2027, 2, 4)}

    def test_the_case_review_group_is_asked_monthly_until_publication(self, life):
        _, app = life
        checks = sent(app, "lcspr_progress")
        assert [day(app, i) for i in checks] == [
            date(2027, 3, 3), date(2027, 4, 5), date(2027, 5, 4), date(2027, 6, 3), date(2027, 7, 5),
            date(2027, 8, 3), date(2027, 9, 3), date(2027, 10, 4), date(2027, 11, 3)]  # weekends, 3 May holiday
        assert all(set(i.message.to) == addresses(app, "case_review_group_lead") for i in checks)

    def test_a_delay_notice_goes_to_the_panel_once_per_new_revised_date(self, life):
        _, app = life
        notices = sent(app, "lcspr_delay_notice")
        assert [(day(app, i), i.message.to) for i in notices] == [
            (date(2027, 6, 14), (app.settings.panel.address,)), (date(2027, 9, 20), (app.settings.panel.address,))]
        assert [i.key for i in notices] == [f"lcspr-delay:{REF}:{d.isoformat()}" for d in REVISED]

    def test_pre_publication_reminders_come_5_and_2_working_days_before_and_stop_once_it_is_sent(self, life):
        _, app = life
        reminders = [i for i in sent(app, "deadline_reminder") if i.key.startswith("prepub-reminder:")]
        assert [day(app, i) for i in reminders] == [date(2027, 11, 8), date(2027, 11, 11)]  # due Mon 15 Nov

    def test_the_final_report_goes_once_each_to_the_panel_secretary_of_state_and_ofsted_with_a_cover_letter(
            self, life):
        _, app = life
        panel = app.settings.panel
        items = sent(app, "pre_publication_submission")
        assert sorted(a for i in items for a in i.message.to) == sorted(
            [panel.address, panel.secretary_of_state_address, panel.ofsted_address])
        assert {day(app, i) for i in items} == {date(2027, 11, 12)}  # approved that morning; due 15 Nov
        assert all([a.name for a in i.message.attachments] == [
            f"Cover letter - {REF}.docx", f"LCSPR Report - {REF} - final.docx"] for i in items)

    def test_after_publication_the_team_is_reminded_of_the_repository_and_of_keeping_it_published(self, life):
        _, app = life
        alerts = {i.key: day(app, i) for i in sent(app, "team_alert")}
        assert alerts[f"alert:repository:{REF}"] == PUBLICATION
        assert alerts[f"alert:published-until:{REF}"] == date(2028, 11, 10)  # 10 working days before 24 Nov 2028


class TestTheActionPlanAndTheLearningEvent:
    def test_action_owners_are_reminded_5_and_0_working_days_before_unless_already_done(self, life):
        _, app = life
        reminders = [(day(app, i), i.message.to[0]) for i in sent(app, "action_reminder")]
        assert reminders == [(date(2028, 2, 21), agency_lead(app, "CSC")), (date(2028, 3, 24), agency_lead(app, "POL")),
                             (date(2028, 3, 31), agency_lead(app, "POL")), (date(2028, 6, 23), agency_lead(app, "HLT"))]

    def test_the_late_action_is_in_the_leads_digest_until_it_is_done(self, life):
        _, app = life
        overdue = sorted({day(app, i) for i in sent(app, "lead_digest") if "Action overdue" in i.message.text})
        assert overdue == [date(2028, 4, 3), date(2028, 4, 4)]  # due Fri 31 Mar; done the morning of Wed 5 Apr

    def test_the_learning_event_is_reminded_3_1_and_0_working_days_before_two_years_after_sign_off(self, life):
        _, app = life
        reminders = [i for i in sent(app, "deadline_reminder") if ":learning_event_due:" in i.key]
        assert [day(app, i) for i in reminders] == [date(2029, 12, 11), date(2029, 12, 13), date(2029, 12, 14)]
        assert SIGNED_OFF == date(2027, 12, 14)

    def test_the_case_passes_through_every_stage_of_its_life_to_closure(self, life):
        _, app = life
        moves = [e.detail for e in app.ledger.audit_trail() if e.action == "stage_changed" and e.case_ref == REF]
        stages = [moves[0].split(" -> ")[0]] + [m.split(" -> ")[1] for m in moves]
        # report_drafted and approved are stages a person may set; the bot moves the rest
        assert stages == ["new", *(s.value for s in (
            Stage.REFERRED, Stage.SIN_SUBMITTED, Stage.RAPID_REVIEW_IN_PROGRESS, Stage.SUBMITTED_TO_PANEL,
            Stage.PANEL_RESPONDED, Stage.LCSPR_COMMISSIONED, Stage.LCSPR_REPORT_SENT_PRE_PUBLICATION, Stage.PUBLISHED,
            Stage.ACTION_PLAN_MONITORING, Stage.CLOSED))]


class TestTheWholeLife:
    def test_nothing_is_left_unsent_and_nothing_went_to_an_unconfigured_address(self, life):
        _, app = life
        s, p = app.settings, app.partnership()
        known = {p.team_address, *(lead.address for lead in p.leads), s.panel.address, s.panel.ofsted_address,
                 s.panel.dfe_address, s.panel.secretary_of_state_address}
        for agency in p.agencies:
            known |= {agency.lead_address, agency.escalation_address}
        everything = app.ledger.outbox()
        assert all(i.status is OutboxStatus.SENT for i in everything)
        assert {a for i in everything for a in i.message.recipients} <= known
        ids = [i.message.message_id for i in everything]
        assert len(ids) == len(set(ids))

    def test_the_story_and_the_figures_are_printed(self, life):
        out, _ = life
        assert "police safeguarding lead emails a serious incident referral form" in out
        assert "commissioning notice to the Panel, Ofsted and DfE drafted, held for approval" in out
        assert "local review delay notice to the Panel (new revised date)" in out
        assert f"Figures for {REF}'s whole life (22 Dec 2026 to {END:%d %b %Y})" in out
        assert "distinct deadlines tracked: 15 = 6 statutory/local on the case" in out
        assert "messages sent for the case:" in out
        assert out.count("Case review deadlines for") == 0  # the digests are counted, not listed

    def test_the_timeline_command_draws_the_closed_case(self, life, tmp_path: Path):
        _, app = life
        assert app.workspace is not None
        done = cspr("--workspace", str(app.workspace.root), "timeline", REF, "--out", str(tmp_path),
                    "--today", "2029-12-17")
        png, html = (Path(line) for line in done.stdout.splitlines())
        assert png.read_bytes().startswith(b"\x89PNG") and "Learning event (2 years)" in html.read_text()
