"""sync_cases on in-memory fakes: computed columns, RAG moving with the date, stage audit, conflicts."""

from __future__ import annotations

from datetime import date

from bot.bootstrap import tick
from bot.cases import add_case, find_case, update_case
from bot.domain.model import Case, Stage
from bot.domain.records import AGENCIES, CASES
from bot.handlers.sync_cases import sync_cases
from tests.conftest import london

AWARE = date(2026, 12, 22)
SIN = date(2026, 12, 23)


def add(app, **fields):  # type: ignore[no-untyped-def]
    p = app.partnership()
    case = Case(ref=fields.pop("ref", "RR-2026-014"), partnership=p.id, child="Child A", la_aware=AWARE, **fields)
    return add_case(app.register, p, case, by=p.team_address, at=london(AWARE))


def run(app, day: date, hour: int = 9):  # type: ignore[no-untyped-def]
    now = london(day, hour)
    return sync_cases(now, today=app.today(now), register=app.register, ledger=app.ledger,
                      partnerships=app.partnerships)


class TestSyncCases:
    def test_writes_deadlines_and_rag_into_the_register(self, app):
        add(app, sin_submitted=SIN)
        app.register.update(CASES, find_case(app.register, "RR-2026-014").item.id, {"RAG": None}, by="someone")
        run(app, SIN)
        fields = find_case(app.register, "RR-2026-014").item.fields
        assert fields["SINDue"] == "2026-12-31"
        assert fields["RapidReviewDue"] == "2027-01-18"
        assert fields["NextDeadline"] == "rapid_review_due"
        assert fields["RAG"] == "green"

    def test_rag_turns_amber_then_red_as_the_days_pass_without_any_edit(self, app):
        add(app, sin_submitted=SIN)
        run(app, SIN)
        run(app, date(2027, 1, 13))  # 3 working days before 18 Jan
        assert find_case(app.register, "RR-2026-014").item.fields["RAG"] == "amber"
        run(app, date(2027, 1, 19))
        assert find_case(app.register, "RR-2026-014").item.fields["RAG"] == "red"

    def test_a_second_run_the_same_day_writes_nothing(self, app):
        add(app, sin_submitted=SIN)
        run(app, SIN)
        etag = find_case(app.register, "RR-2026-014").item.etag
        report = run(app, SIN, hour=10)
        assert report.updated == [] and report.seen == 0
        assert find_case(app.register, "RR-2026-014").item.etag == etag

    def test_a_person_entering_the_sin_date_moves_the_stage_and_the_audit_trail_says_so(self, app):
        record = add(app)
        assert record.case.stage is Stage.REFERRED
        run(app, AWARE)
        app.register.update(CASES, record.item.id, {"SINSubmittedDate": "2026-12-23"}, by="crg.chair@x.example")
        report = run(app, SIN)
        assert report.stage_changes == ["RR-2026-014"]
        assert find_case(app.register, "RR-2026-014").case.stage is Stage.SIN_SUBMITTED
        trail = [(e.action, e.detail) for e in app.ledger.audit_trail("RR-2026-014")]
        assert ("stage_changed", "new -> referred") in trail
        assert ("stage_changed", "referred -> sin_submitted") in trail

    def test_an_unreadable_item_is_audited_by_column_and_the_others_still_sync(self, app):
        add(app, sin_submitted=SIN)
        app.register.add(CASES, {"Title": "RR-2026-015", "Partnership": "northshire", "ChildPseudonym": "Child B",
                                 "LAAwareDate": "next Tuesday"}, by="someone@x.example")
        report = run(app, SIN)
        assert report.unreadable == 1 and report.seen == 2
        assert find_case(app.register, "RR-2026-014").item.fields["RAG"] == "green"
        unreadable = [e for e in app.ledger.audit_trail("RR-2026-015") if e.action == "case_unreadable"]
        assert unreadable and unreadable[0].detail == "column LAAwareDate"
        assert "next Tuesday" not in unreadable[0].detail

    def test_a_persons_edit_during_the_write_wins_over_the_bot(self, app):
        record = add(app, sin_submitted=SIN)
        app.register.update(CASES, record.item.id, {"RAG": None}, by="someone")
        real_update = app.register.update

        def person_edits_first(list_name, item_id, fields, **kw):  # type: ignore[no-untyped-def]
            if kw.get("by") == "cspr-bot":  # a person saves between the bot's read and its write
                real_update(list_name, item_id, {"DelayReason": "typed by a person"}, by="lead@x.example")
            return real_update(list_name, item_id, fields, **kw)

        app.register.update = person_edits_first
        report = run(app, SIN)
        assert report.conflicts == 1
        assert find_case(app.register, "RR-2026-014").item.fields["DelayReason"] == "typed by a person"

    def test_the_agencies_list_mirrors_the_configuration_once(self, app):
        run(app, AWARE)
        run(app, AWARE, hour=11)
        items = app.register.items(AGENCIES)
        assert sorted(i.fields["Title"] for i in items) == ["CSC", "DAS", "EDU", "GP", "HLT", "POL", "PRB"]
        assert all(i.fields["Partnership"] == "northshire" for i in items)

    def test_a_tick_runs_the_timetable_and_reports_each_job(self, app):
        add(app, sin_submitted=SIN)
        reports = tick(app, london(SIN))
        assert list(reports) == ["sync_cases", "ingest_mail", "start_rapid_review", "collate_returns", "chase_returns",
                                 "remind_leads", "submit_to_panel", "follow_reviews", "send_outbox"]


class TestCaseOperations:
    def test_a_case_gets_the_next_free_reference_for_its_year(self, app):
        add(app, ref="RR-2026-014")
        p = app.partnership()
        record = add_case(app.register, p, Case(ref="", partnership=p.id, child="Child B", la_aware=AWARE),
                          by=p.team_address, at=london(AWARE))
        assert record.case.ref == "RR-2026-015"

    def test_an_update_records_who_made_it(self, app):
        add(app)
        p = app.partnership()
        update_case(app.register, p, "RR-2026-014", {"sin_submitted": SIN}, by="crg.chair@northshire-scp.example",
                    at=london(SIN))
        record = find_case(app.register, "RR-2026-014")
        assert record.item.modified_by == "crg.chair@northshire-scp.example"
        assert record.case.stage is Stage.SIN_SUBMITTED
        assert record.item.fields["RapidReviewDue"] == "2027-01-18"
