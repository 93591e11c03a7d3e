"""The chasing cadence and the single-reminder offsets (bot/domain/cadence.py) as date tables.

Dates straddle Christmas 2026: 25 and 28 December 2026 and 1 January 2027 are bank holidays, 26-27
December and 2-3 January are weekends. Expected dates are worked out by hand, never by the code.
"""

from datetime import UTC, date, datetime

import pytest

from bot.domain.cadence import ChaseStep, chase_step, reminder_offset, returns_wanted
from bot.domain.calendar import ENGLAND, WorkingCalendar
from bot.domain.model import AgencyRequest, Case, RequestStatus, Stage


def request(due: date | None, status: RequestStatus = RequestStatus.SENT) -> AgencyRequest:
    return AgencyRequest("RR-2026-014", "POL", "RR-2026-014/POL-D6C6", status, date(2026, 12, 18), due)


class TestChaseStep:
    @pytest.mark.parametrize(("today", "expected"), [
        pytest.param(date(2026, 12, 24), None, id="Thu 24 Dec: a week early, nothing"),
        pytest.param(date(2026, 12, 29), None, id="Tue 29 Dec: two working days before, nothing"),
        pytest.param(date(2026, 12, 30), ChaseStep.REMINDER, id="Wed 30 Dec: the working day before, reminder"),
        pytest.param(date(2026, 12, 31), ChaseStep.CHASER, id="Thu 31 Dec: the due day, chaser"),
        pytest.param(date(2027, 1, 1), None, id="Fri 1 Jan: New Year bank holiday, nothing"),
        pytest.param(date(2027, 1, 2), None, id="Sat 2 Jan: weekend, nothing"),
        pytest.param(date(2027, 1, 3), None, id="Sun 3 Jan: weekend, nothing"),
        pytest.param(date(2027, 1, 4), ChaseStep.ESCALATION, id="Mon 4 Jan: the working day after, escalation"),
        pytest.param(date(2027, 1, 5), ChaseStep.OVERDUE, id="Tue 5 Jan: overdue"),
        pytest.param(date(2027, 1, 8), ChaseStep.OVERDUE, id="Fri 8 Jan: still overdue"),
        pytest.param(date(2027, 1, 9), None, id="Sat 9 Jan: overdue but a weekend, nothing"),
    ])
    def test_follows_the_cadence_around_a_return_due_on_new_years_eve(self, today, expected):
        # what a bot running every working day has already sent by `today`
        done = frozenset(step for step, day in ((ChaseStep.REMINDER, date(2026, 12, 30)),
                                                (ChaseStep.CHASER, date(2026, 12, 31)),
                                                (ChaseStep.ESCALATION, date(2027, 1, 4))) if day < today)
        assert chase_step(request(date(2026, 12, 31)), today, ENGLAND, done=done) == expected

    @pytest.mark.parametrize(("today", "done", "expected"), [
        pytest.param(date(2026, 12, 31), set(), ChaseStep.CHASER, id="reminder missed: the due day still chases"),
        pytest.param(date(2026, 12, 30), {ChaseStep.REMINDER}, None, id="reminder sent: nothing more that day"),
        pytest.param(date(2027, 1, 5), {ChaseStep.REMINDER, ChaseStep.CHASER}, ChaseStep.ESCALATION,
                     id="escalation day missed: escalated on the next working day"),
        pytest.param(date(2027, 1, 11), set(), ChaseStep.ESCALATION, id="down a week: escalation first"),
    ])
    def test_a_step_missed_while_the_bot_was_down_is_caught_up(self, today, done, expected):
        assert chase_step(request(date(2026, 12, 31)), today, ENGLAND, done=frozenset(done)) == expected

    def test_no_overdue_chaser_on_the_day_of_the_escalation(self):
        done = frozenset({ChaseStep.REMINDER, ChaseStep.CHASER, ChaseStep.ESCALATION})
        assert chase_step(request(date(2026, 12, 31)), date(2027, 1, 5), ENGLAND, done=done,
                          escalated_today=True) is None

    def test_a_due_date_on_a_saturday_counts_as_the_friday_before(self):
        assert chase_step(request(date(2027, 1, 9)), date(2027, 1, 8), ENGLAND) is ChaseStep.CHASER
        assert chase_step(request(date(2027, 1, 9)), date(2027, 1, 7), ENGLAND) is ChaseStep.REMINDER

    @pytest.mark.parametrize(("today", "expected"), [
        pytest.param(date(2026, 12, 31), ChaseStep.REMINDER, id="Thu 31 Dec: last working day before Mon 4 Jan"),
        pytest.param(date(2027, 1, 4), ChaseStep.CHASER, id="Mon 4 Jan: due"),
        pytest.param(date(2027, 1, 5), ChaseStep.ESCALATION, id="Tue 5 Jan: the working day after"),
    ])
    def test_the_reminder_for_a_return_due_after_new_year_goes_before_the_bank_holiday(self, today, expected):
        assert chase_step(request(date(2027, 1, 4)), today, ENGLAND) == expected

    @pytest.mark.parametrize(("today", "expected"), [
        pytest.param(date(2026, 12, 24), ChaseStep.REMINDER, id="Thu 24 Dec: before the four-day break"),
        pytest.param(date(2026, 12, 28), None, id="Mon 28 Dec: substitute Boxing Day"),
        pytest.param(date(2026, 12, 29), ChaseStep.CHASER, id="Tue 29 Dec: due"),
        pytest.param(date(2026, 12, 30), ChaseStep.ESCALATION, id="Wed 30 Dec: the working day after"),
    ])
    def test_the_reminder_for_a_return_due_after_christmas_goes_on_christmas_eve(self, today, expected):
        assert chase_step(request(date(2026, 12, 29)), today, ENGLAND) == expected

    def test_a_partnership_closure_day_moves_the_reminder_earlier_and_is_never_chased(self):
        closed_30th = WorkingCalendar([date(2026, 12, 30)])
        due = request(date(2026, 12, 31))
        assert chase_step(due, date(2026, 12, 29), closed_30th) is ChaseStep.REMINDER
        assert chase_step(due, date(2026, 12, 30), closed_30th) is None

    @pytest.mark.parametrize("status", [RequestStatus.RETURNED, RequestStatus.NIL_RETURN,
                                        RequestStatus.UNDELIVERABLE, RequestStatus.QUEUED])
    @pytest.mark.parametrize("today", [date(2026, 12, 30), date(2026, 12, 31), date(2027, 1, 4), date(2027, 1, 5)])
    def test_a_request_that_is_not_outstanding_is_never_chased(self, status, today):
        assert chase_step(request(date(2026, 12, 31), status), today, ENGLAND) is None

    def test_a_request_without_a_due_date_is_never_chased(self):
        assert chase_step(request(None), date(2027, 1, 5), ENGLAND) is None


class TestReminderOffset:
    @pytest.mark.parametrize(("today", "expected"), [
        pytest.param(date(2026, 12, 23), None, id="Wed 23 Dec: 4 working days left"),
        pytest.param(date(2026, 12, 24), 3, id="Thu 24 Dec: 3 working days left (29, 30, 31)"),
        pytest.param(date(2026, 12, 25), None, id="Christmas Day"),
        pytest.param(date(2026, 12, 28), None, id="Mon 28 Dec: substitute Boxing Day"),
        pytest.param(date(2026, 12, 29), 3, id="Tue 29 Dec: 2 working days left, a missed 3-day reminder caught up"),
        pytest.param(date(2026, 12, 30), 1, id="Wed 30 Dec: 1 working day left"),
        pytest.param(date(2026, 12, 31), 0, id="Thu 31 Dec: due today"),
        pytest.param(date(2027, 1, 4), None, id="Mon 4 Jan: past due"),
    ])
    def test_single_reminders_fall_3_1_and_0_working_days_before_new_years_eve(self, today, expected):
        assert reminder_offset(today, date(2026, 12, 31), ENGLAND) == expected

    @pytest.mark.parametrize(("today", "expected"), [
        pytest.param(date(2026, 12, 29), 3, id="Tue 29 Dec: 30, 31 Dec and 4 Jan left"),
        pytest.param(date(2026, 12, 31), 1, id="Thu 31 Dec: only 4 Jan left"),
        pytest.param(date(2027, 1, 1), None, id="Fri 1 Jan: bank holiday"),
        pytest.param(date(2027, 1, 4), 0, id="Mon 4 Jan: due today"),
    ])
    def test_single_reminders_skip_the_new_year_bank_holiday(self, today, expected):
        assert reminder_offset(today, date(2027, 1, 4), ENGLAND) == expected


class TestReturnsWanted:
    @pytest.mark.parametrize(("stage", "expected"), [
        (Stage.REFERRED, True), (Stage.SIN_SUBMITTED, True), (Stage.RAPID_REVIEW_IN_PROGRESS, True),
        (Stage.REPORT_DRAFTED, True), (Stage.APPROVED, True), (Stage.SUBMITTED_TO_PANEL, False),
        (Stage.PANEL_RESPONDED, False), (Stage.LCSPR_COMMISSIONED, False), (Stage.CLOSED, False),
    ])
    def test_returns_are_wanted_only_while_the_rapid_review_is_being_put_together(self, stage, expected):
        assert returns_wanted(Case("RR-2026-014", "northshire", "Child A", stage=stage)) is expected

    def test_returns_are_not_wanted_once_the_panel_submission_is_recorded_whatever_the_stage(self):
        case = Case("RR-2026-014", "northshire", "Child A", stage=Stage.APPROVED,
                    submitted_to_panel=datetime(2027, 1, 12, 10, tzinfo=UTC))
        assert returns_wanted(case) is False
