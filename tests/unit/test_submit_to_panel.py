"""submit_to_panel on in-memory fakes. RR-2026-014: SIN submitted Fri 18 Dec 2026, so the rapid review is
due at the Panel on Wed 13 Jan 2027 (15 working days, skipping 25 and 28 Dec and 1 Jan)."""

from __future__ import annotations

from datetime import date

from bot.bootstrap import tick
from bot.cases import add_case, find_case, update_case
from bot.domain.model import Case, Stage
from bot.handlers.submit_to_panel import submit_to_panel
from tests.conftest import london

REF = "RR-2026-014"
SIN = date(2026, 12, 18)
DUE = date(2027, 1, 13)
PANEL = "review-panel@national-panel.example"
TEAM = "business-team@northshire-scp.example"
CHAIR = "crg.chair@northshire-scp.example"
REPORT = "reports/Rapid Review Report - RR-2026-014 - final.docx"
REPORT_BYTES = b"PK\x03\x04 fictional docx bytes"


def add(app, **fields):  # type: ignore[no-untyped-def]
    p = app.partnership()
    case = Case(ref=REF, partnership=p.id, child="Child A", la_aware=date(2026, 12, 17), sin_submitted=SIN,
                sin_reference="SIN-2026-0042", agencies=("POL", "HLT"), **fields)
    return add_case(app.register, p, case, by=p.team_address, at=london(SIN))


def change(app, day, hour=9, by=TEAM, **changes):  # type: ignore[no-untyped-def]
    return update_case(app.register, app.partnership(), REF, changes, by=by, at=london(day, hour))


def approve(app, day, by=CHAIR, hour=9):  # type: ignore[no-untyped-def]
    return change(app, day, hour, by=by, approved=True, approved_by=by)


def submit(app, day, hour=10, minute=0):  # type: ignore[no-untyped-def]
    return submit_to_panel(london(day, hour, minute), deps=app.deps())


def outbox(app, purpose):  # type: ignore[no-untyped-def]
    return [o for o in app.ledger.outbox() if o.purpose == purpose]


def to_panel(app):  # type: ignore[no-untyped-def]
    return [o for o in app.ledger.outbox() if PANEL in o.message.to]


def leads(app):  # type: ignore[no-untyped-def]
    return sorted(lead.address for lead in app.partnership().leads)


class TestSubmitToPanel:
    def test_sends_an_approved_case_with_its_final_report_to_the_panel_once(self, app):
        add(app)
        app.library.save(REF, REPORT, REPORT_BYTES)
        approve(app, date(2027, 1, 11))
        report = submit(app, date(2027, 1, 11))
        (panel,) = to_panel(app)
        assert panel.purpose == "panel_submission" and report.submitted == [REF]
        assert panel.message.cc == (TEAM,)
        (attachment,) = panel.message.attachments
        assert attachment.name == "Rapid Review Report - RR-2026-014 - final.docx"
        assert attachment.data == REPORT_BYTES
        assert attachment.content_type.endswith("wordprocessingml.document")

    def test_the_subject_starts_with_the_classification_and_names_the_authority_case_and_sin(self, app):
        add(app)
        app.library.save(REF, REPORT, REPORT_BYTES)
        approve(app, date(2027, 1, 11))
        submit(app, date(2027, 1, 11))
        subject = to_panel(app)[0].message.subject
        assert subject.startswith("OFFICIAL-SENSITIVE: ")
        assert "Northshire County Council" in subject and REF in subject and "SIN-2026-0042" in subject

    def test_records_the_sent_time_and_the_stage_before_the_rapid_review_is_due(self, app):
        add(app)
        app.library.save(REF, REPORT, REPORT_BYTES)
        approve(app, date(2027, 1, 11))
        now = london(date(2027, 1, 11), 10)
        submit_to_panel(now, deps=app.deps())
        record = find_case(app.register, REF)
        assert record.case.submitted_to_panel == now
        assert record.item.fields["SubmittedToPanel"] == now.isoformat()
        assert record.case.stage is Stage.SUBMITTED_TO_PANEL
        assert record.case.submitted_to_panel.date() < DUE
        assert ("submitted_to_panel", "panel:RR-2026-014") in [
            (e.action, e.outbox_key) for e in app.ledger.audit_trail(REF)]

    def test_the_panel_gets_exactly_one_email_when_tick_runs_five_times(self, app):
        add(app)
        app.library.save(REF, REPORT, REPORT_BYTES)
        approve(app, date(2027, 1, 11))
        for minute in (0, 5, 10, 15, 20):
            tick(app, london(date(2027, 1, 11), 10, minute))
        panel = [m for m in app.mailbox.sent_messages() if PANEL in m.to]
        assert len(panel) == 1 and panel[0].attachments[0].data == REPORT_BYTES

    def test_an_approval_outside_office_hours_goes_when_the_office_opens(self, app):
        add(app)
        app.library.save(REF, REPORT, REPORT_BYTES)
        approve(app, date(2027, 1, 8), hour=19)
        submit(app, date(2027, 1, 8), hour=19)
        submit(app, date(2027, 1, 9), hour=10)  # Saturday
        assert to_panel(app) == []
        submit(app, date(2027, 1, 11), hour=8, minute=30)
        assert len(to_panel(app)) == 1

    def test_an_approval_by_a_lead_in_different_letter_case_is_accepted(self, app):
        add(app)
        app.library.save(REF, REPORT, REPORT_BYTES)
        approve(app, date(2027, 1, 11), by="CRG.Chair@Northshire-SCP.example")
        submit(app, date(2027, 1, 11))
        assert len(to_panel(app)) == 1

    def test_a_draft_report_is_not_sent(self, app):
        add(app)
        app.library.save(REF, "reports/Rapid Review Report - RR-2026-014 - draft v3.docx", REPORT_BYTES)
        approve(app, date(2027, 1, 11))
        submit(app, date(2027, 1, 11))
        assert to_panel(app) == []
        assert len(outbox(app, "team_alert")) == 1

    def test_refuses_an_approval_by_someone_who_may_not_approve(self, app):
        add(app)
        app.library.save(REF, REPORT, REPORT_BYTES)
        approve(app, date(2027, 1, 11), by="scrutineer@northshire-scp.example")
        report = submit(app, date(2027, 1, 11))
        case = find_case(app.register, REF).case
        assert report.refused == [REF]
        assert case.approved is False
        assert "scrutineer@northshire-scp.example" in case.attention and "refused" in case.attention
        assert "approval_refused" in [e.action for e in app.ledger.audit_trail(REF)]
        assert to_panel(app) == [] and case.submitted_to_panel is None

    def test_a_refused_approval_alerts_the_business_team(self, app):
        add(app)
        app.library.save(REF, REPORT, REPORT_BYTES)
        approve(app, date(2027, 1, 11), by="someone@northshire-council.example")
        submit(app, date(2027, 1, 11))
        submit(app, date(2027, 1, 11), hour=11)
        (team,) = outbox(app, "team_alert")
        assert team.message.to == (TEAM,)
        assert "someone@northshire-council.example" in team.message.subject
        assert to_panel(app) == []

    def test_an_approved_case_without_a_final_report_alerts_the_team_and_sends_nothing_to_the_panel(self, app):
        add(app)
        approve(app, date(2027, 1, 11))
        report = submit(app, date(2027, 1, 11))
        submit(app, date(2027, 1, 11), hour=11)
        (team,) = outbox(app, "team_alert")
        assert team.message.to == (TEAM,) and "no final report" in team.message.subject
        assert report.alerts == 1 and to_panel(app) == []
        assert find_case(app.register, REF).case.stage is not Stage.SUBMITTED_TO_PANEL

    def test_the_report_saved_after_the_alert_is_then_sent(self, app):
        add(app)
        approve(app, date(2027, 1, 11))
        submit(app, date(2027, 1, 11))
        app.library.save(REF, REPORT, REPORT_BYTES)
        submit(app, date(2027, 1, 11), hour=11)
        assert len(to_panel(app)) == 1

    def test_alerts_the_leads_once_one_working_day_before_the_deadline_without_approval(self, app):
        add(app)
        submit(app, date(2027, 1, 11))
        assert outbox(app, "urgent_approval") == []
        submit(app, date(2027, 1, 12))
        submit(app, date(2027, 1, 12), hour=15)
        (urgent,) = outbox(app, "urgent_approval")
        assert sorted(urgent.message.to) == leads(app)
        assert urgent.message.subject.startswith("OFFICIAL-SENSITIVE: URGENT")
        assert "Wednesday 13 January 2027" in urgent.message.text

    def test_on_the_due_day_the_urgent_alert_is_not_repeated_once_sent(self, app):
        add(app)
        submit(app, date(2027, 1, 12))
        submit(app, DUE)
        assert [o.purpose for o in app.ledger.outbox()] == ["urgent_approval"]

    def test_an_urgent_alert_missed_the_day_before_is_sent_on_the_due_day(self, app):
        add(app)
        submit(app, DUE)
        assert [o.purpose for o in app.ledger.outbox()] == ["urgent_approval"]
        assert to_panel(app) == []

    def test_past_the_deadline_with_a_delay_reason_tells_the_panel_once(self, app):
        add(app)
        change(app, date(2027, 1, 13), delay_reason="awaiting the health return",
               revised_due=date(2027, 1, 20))
        submit(app, date(2027, 1, 14))
        submit(app, date(2027, 1, 14), hour=15)
        submit(app, date(2027, 1, 15))
        (delay,) = to_panel(app)
        assert delay.purpose == "delay_notice"
        assert delay.message.subject.startswith("OFFICIAL-SENSITIVE: ") and REF in delay.message.subject
        assert "awaiting the health return" in delay.message.text
        assert "Wednesday 20 January 2027" in delay.message.text
        assert outbox(app, "delay_reason_missing") == []

    def test_past_the_deadline_without_a_delay_reason_alerts_the_leads_each_working_day(self, app):
        add(app)
        submit(app, date(2027, 1, 14))
        submit(app, date(2027, 1, 14), hour=15)
        assert len(outbox(app, "delay_reason_missing")) == 1
        submit(app, date(2027, 1, 16))  # Saturday
        submit(app, date(2027, 1, 15))
        alerts = outbox(app, "delay_reason_missing")
        assert len(alerts) == 2
        assert all(sorted(a.message.to) == leads(app) for a in alerts)
        assert to_panel(app) == []

    def test_a_case_already_submitted_is_left_alone(self, app):
        add(app)
        app.library.save(REF, REPORT, REPORT_BYTES)
        approve(app, date(2027, 1, 11))
        submit(app, date(2027, 1, 11))
        submit(app, date(2027, 1, 14))
        assert len(app.ledger.outbox()) == 1

    def test_a_persons_edit_during_the_submission_keeps_the_time_the_panel_email_was_queued(self, app):
        add(app)
        app.library.save(REF, REPORT, REPORT_BYTES)
        approve(app, date(2027, 1, 11))
        real_update = app.register.update

        def person_edits_first(list_name, item_id, fields, **kw):  # type: ignore[no-untyped-def]
            if kw.get("by") == "cspr-bot" and fields.get("Stage") == "submitted_to_panel":
                app.register.update = real_update  # only the first write meets a person's edit
                real_update(list_name, item_id, {"IncidentDate": "2026-12-16"}, by=CHAIR)
            return real_update(list_name, item_id, fields, **kw)

        app.register.update = person_edits_first
        first = london(date(2027, 1, 11), 10)
        submit_to_panel(first, deps=app.deps())
        assert find_case(app.register, REF).case.submitted_to_panel is None
        submit(app, date(2027, 1, 11), hour=10, minute=5)
        assert find_case(app.register, REF).case.submitted_to_panel == first
        assert len(to_panel(app)) == 1
        assert [e.action for e in app.ledger.audit_trail(REF)].count("submitted_to_panel") == 1

    def test_a_submission_whose_write_met_an_unapproval_is_still_recorded_and_not_treated_as_late(self, app):
        add(app)
        app.library.save(REF, REPORT, REPORT_BYTES)
        approve(app, date(2027, 1, 12))
        real_update = app.register.update

        def person_unticks_approval_first(list_name, item_id, fields, **kw):  # type: ignore[no-untyped-def]
            if kw.get("by") == "cspr-bot" and fields.get("Stage") == "submitted_to_panel":
                app.register.update = real_update
                real_update(list_name, item_id, {"ApprovedForSubmission": False}, by=CHAIR)
            return real_update(list_name, item_id, fields, **kw)

        app.register.update = person_unticks_approval_first
        submit(app, date(2027, 1, 12))
        submit(app, date(2027, 1, 14))
        case = find_case(app.register, REF).case
        assert case.stage is Stage.SUBMITTED_TO_PANEL and case.submitted_to_panel == london(date(2027, 1, 12), 10)
        assert [o.purpose for o in app.ledger.outbox()] == ["panel_submission"]

    def test_an_approved_case_still_without_a_final_report_past_the_deadline_alerts_the_leads_daily(self, app):
        add(app)
        approve(app, date(2027, 1, 11))
        submit(app, date(2027, 1, 11))
        submit(app, date(2027, 1, 12))
        assert outbox(app, "urgent_approval") == []  # it is approved: the report is what is missing
        submit(app, date(2027, 1, 14))
        submit(app, date(2027, 1, 15))
        assert len(outbox(app, "delay_reason_missing")) == 2
        assert to_panel(app) == []

    def test_an_approved_case_still_without_a_final_report_past_the_deadline_sends_the_delay_notice(self, app):
        add(app)
        approve(app, date(2027, 1, 11))
        change(app, date(2027, 1, 13), delay_reason="report being finalised", revised_due=date(2027, 1, 15))
        submit(app, date(2027, 1, 14))
        (delay,) = to_panel(app)
        assert delay.purpose == "delay_notice"
