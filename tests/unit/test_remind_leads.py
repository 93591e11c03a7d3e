"""remind_leads on in-memory fakes, over Christmas 2026.

RR-2026-014: LA aware Thu 17 Dec, SIN submitted Fri 18 Dec (so the SIN deadline, Thu 24 Dec, is met),
rapid review due Wed 13 Jan 2027. RR-2026-015: LA aware Tue 22 Dec, no SIN yet, SIN notification due
Thu 31 Dec (5 working days: 23, 24, 29, 30, 31 Dec).
"""

from __future__ import annotations

import io
from datetime import date

from bot.cases import add_case, update_case
from bot.domain.model import Case, Stage
from bot.handlers.remind_leads import remind_leads
from bot.handlers.start_rapid_review import start_rapid_review
from tests.conftest import london

SIN_DUE_015 = date(2026, 12, 31)
RR_DUE_014 = date(2027, 1, 13)
RED, AMBER, GREEN = "#f4c7c3", "#fce8b2", "#b7e1cd"


def add_014(app, **fields):  # type: ignore[no-untyped-def]
    p = app.partnership()
    case = Case(ref="RR-2026-014", partnership=p.id, child="Child A", la_aware=date(2026, 12, 17),
                sin_submitted=date(2026, 12, 18), agencies=("POL", "HLT"), **fields)
    return add_case(app.register, p, case, by=p.team_address, at=london(date(2026, 12, 17)))


def add_015(app):  # type: ignore[no-untyped-def]
    p = app.partnership()
    case = Case(ref="RR-2026-015", partnership=p.id, child="Child B", la_aware=date(2026, 12, 22))
    return add_case(app.register, p, case, by=p.team_address, at=london(date(2026, 12, 22)))


def remind(app, day, hour=9, minute=0):  # type: ignore[no-untyped-def]
    return remind_leads(london(day, hour, minute), deps=app.deps())


def digests(app):  # type: ignore[no-untyped-def]
    return [o for o in app.ledger.outbox() if o.purpose == "lead_digest"]


def reminders(app, ref=None):  # type: ignore[no-untyped-def]
    return [o for o in app.ledger.outbox() if o.purpose == "deadline_reminder" and (ref is None or o.case_ref == ref)]


def leads(app):  # type: ignore[no-untyped-def]
    return sorted(lead.address for lead in app.partnership().leads)


class TestLeadDigest:
    def test_sends_one_digest_to_each_lead_on_a_working_day_at_opening_time(self, app):
        add_015(app)
        report = remind(app, date(2026, 12, 23), hour=8, minute=30)
        assert report.digests == len(leads(app)) == 6
        assert sorted(address for o in digests(app) for address in o.message.to) == leads(app)
        assert all(len(o.message.to) == 1 for o in digests(app))

    def test_lists_deadlines_within_five_working_days_and_leaves_later_ones_out(self, app):
        add_014(app)
        add_015(app)
        remind(app, date(2026, 12, 23))  # SIN due for 015 in 4 working days; 014's review in 12
        text, _, overview = digests(app)[0].message.text.partition("Every open case")
        assert "RR-2026-015 (Child B): Serious incident notification" in text
        assert "Thursday 31 December 2026" in text
        assert "RR-2026-014" not in text and "RR-2026-014" in overview

    def test_lists_overdue_deadlines_and_overdue_agency_returns_in_red(self, app):
        add_014(app)
        add_015(app)
        start_rapid_review(london(date(2026, 12, 18)), deps=app.deps())  # returns due Thu 31 Dec
        remind(app, date(2027, 1, 4))
        message = digests(app)[0].message
        assert "Agency return overdue: POL" in message.text and "Agency return overdue: HLT" in message.text
        assert "RED" in message.text
        assert f'bgcolor="{RED}"' in message.html
        assert "RR-2026-015 (Child B)" in message.html

    def test_does_not_list_returns_still_missing_once_the_rapid_review_went_to_the_panel(self, app):
        add_014(app)
        start_rapid_review(london(date(2026, 12, 18)), deps=app.deps())
        p = app.partnership()
        update_case(app.register, p, "RR-2026-014", {"submitted_to_panel": london(date(2027, 1, 4), 16),
                                                     "stage": Stage.SUBMITTED_TO_PANEL},
                    by=p.team_address, at=london(date(2027, 1, 4), 16))
        remind(app, date(2027, 1, 5))
        assert digests(app) == []

    def test_has_an_html_table_coloured_by_rag_and_a_plain_text_part(self, app):
        add_015(app)
        remind(app, date(2026, 12, 24))  # 3 working days before 31 Dec: amber
        message = digests(app)[0].message
        assert "<table" in message.html and f'bgcolor="{AMBER}"' in message.html and "<b>AMBER</b>" in message.html
        assert "<" not in message.text and "AMBER" in message.text and "RR-2026-015" in message.text
        assert message.subject == "OFFICIAL-SENSITIVE: Case review deadlines for Thursday 24 December 2026"

    def test_a_deadline_further_than_the_amber_window_is_green(self, app):
        add_015(app)
        remind(app, date(2026, 12, 23))
        assert f'bgcolor="{GREEN}"' in digests(app)[0].message.html

    def test_sends_nothing_before_half_past_eight(self, app):
        add_015(app)
        remind(app, date(2026, 12, 23), hour=8, minute=29)
        assert digests(app) == []
        remind(app, date(2026, 12, 23), hour=8, minute=30)
        assert len(digests(app)) == 6

    def test_opening_time_is_uk_local_time_in_summer_too(self, app):
        p = app.partnership()
        add_case(app.register, p, Case(ref="RR-2027-031", partnership=p.id, child="Child C",
                                       la_aware=date(2027, 6, 1)), by=p.team_address, at=london(date(2027, 6, 1)))
        remind(app, date(2027, 6, 2), hour=8, minute=29)  # 07:29 UTC
        assert digests(app) == []
        remind(app, date(2027, 6, 2), hour=8, minute=30)  # 07:30 UTC
        assert len(digests(app)) == 6

    def test_sends_nothing_on_a_bank_holiday(self, app):
        add_015(app)
        for day in (date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 1)):
            remind(app, day, hour=10)
        assert digests(app) == [] and reminders(app) == []

    def test_sends_one_digest_per_lead_per_working_day(self, app):
        add_015(app)
        remind(app, date(2026, 12, 23), hour=8, minute=30)
        report = remind(app, date(2026, 12, 23), hour=14)
        assert report.digests == 0 and len(digests(app)) == 6
        remind(app, date(2026, 12, 24))
        assert len(digests(app)) == 12

    def test_sends_no_digest_when_nothing_is_due_or_overdue(self, app):
        add_014(app)  # SIN deadline met, rapid review 12 working days away, no requests sent
        report = remind(app, date(2026, 12, 23))
        assert report.digests == 0 and digests(app) == []

    def test_a_met_deadline_is_not_listed(self, app):
        add_014(app)
        remind(app, date(2026, 12, 21))  # the met SIN deadline (24 Dec) is 3 working days away
        # a Monday: the weekly overview goes, with no deadline listed as close
        assert digests(app) and all("Nothing is due in the next 5 working days" in o.message.text
                                    and "Serious incident notification" not in o.message.text for o in digests(app))

    def test_lists_every_open_case_with_its_stage_next_deadline_and_rag(self, app):
        add_014(app)
        add_015(app)
        remind(app, date(2026, 12, 23))
        message = digests(app)[0].message
        overview = message.text.partition("Every open case (stage; next deadline):")[2]
        assert "GREEN  RR-2026-014 (Child A): sin submitted; Rapid review sent to the Panel (15 working days), " \
               "due Wednesday 13 January 2027" in overview
        assert "RR-2026-015 (Child B): referred; Serious incident notification" in overview
        assert message.html.count("<td>referred</td>") == 1 and message.html.count("<td>sin submitted</td>") == 1
        assert message.attachments == ()  # a Wednesday: no pictures

    def test_the_first_working_day_of_the_week_sends_the_overview_even_with_nothing_close(self, app):
        add_014(app)  # rapid review due Wed 13 Jan: 7 working days from Mon 4 Jan, so not in the 5-day list
        remind(app, date(2027, 1, 4))
        assert len(digests(app)) == 6
        text = digests(app)[0].message.text
        assert "Nothing is due in the next 5 working days" in text and "RR-2026-014 (Child A)" in text
        remind(app, date(2027, 1, 5))
        assert len(digests(app)) == 6  # Tuesday, still nothing within 5 working days: no digest

    def test_the_weekly_digest_carries_the_timeline_of_each_case_with_a_deadline_in_ten_working_days(self, app):
        from PIL import Image

        add_014(app)  # due Wed 13 Jan 2027: 7 working days from Mon 4 Jan
        p = app.partnership()
        add_case(app.register, p, Case(ref="RR-2026-016", partnership=p.id, child="Child C",
                                       la_aware=date(2026, 12, 17), sin_submitted=date(2026, 12, 18),
                                       submitted_to_panel=london(date(2026, 12, 30))),
                 by=p.team_address, at=london(date(2026, 12, 30)))  # nothing left within 10 working days
        remind(app, date(2027, 1, 4))
        attachments = digests(app)[0].message.attachments
        assert [(a.name, a.content_type) for a in attachments] == [
            ("Timeline - RR-2026-014.png", "image/png"), ("Timeline - RR-2026-014.html", "text/html")]
        assert Image.open(io.BytesIO(attachments[0].data)).format == "PNG"
        page = attachments[1].data.decode()
        assert "RR-2026-014 (Child A)" in page and "Rapid review to the Panel" in page
        assert all(o.message.attachments == attachments for o in digests(app))

    def test_a_week_starting_with_a_bank_holiday_sends_the_overview_on_its_tuesday(self, app):
        add_014(app)
        remind(app, date(2026, 12, 29))  # Mon 28 Dec is the Boxing Day substitute holiday
        assert len(digests(app)) == 6 and digests(app)[0].message.attachments
        remind(app, date(2026, 12, 30))
        assert len(digests(app)) == 6


class TestDeadlineReminders:
    def test_reminds_the_leads_3_1_and_0_working_days_before_the_sin_notification_is_due(self, app):
        add_015(app)
        for day in (date(2026, 12, 23), date(2026, 12, 24), date(2026, 12, 29), date(2026, 12, 30), SIN_DUE_015):
            remind(app, day, hour=9)
            remind(app, day, hour=15)
        sent = reminders(app, "RR-2026-015")
        assert [(o.created_at.date(), o.message.subject) for o in sent] == [
            (date(2026, 12, 24), "OFFICIAL-SENSITIVE: 3 working days left: Serious incident notification to the "
                                 "Panel (5 working days after LA aware) for RR-2026-015"),
            (date(2026, 12, 30), "OFFICIAL-SENSITIVE: 1 working day left: Serious incident notification to the "
                                 "Panel (5 working days after LA aware) for RR-2026-015"),
            (date(2026, 12, 31), "OFFICIAL-SENSITIVE: Due today: Serious incident notification to the "
                                 "Panel (5 working days after LA aware) for RR-2026-015"),
        ]
        assert all(sorted(o.message.to) == leads(app) for o in sent)

    def test_reminds_the_leads_3_1_and_0_working_days_before_the_rapid_review_is_due(self, app):
        add_014(app)
        for day in (date(2027, 1, 7), date(2027, 1, 8), date(2027, 1, 11), date(2027, 1, 12), RR_DUE_014):
            remind(app, day)
            remind(app, day, hour=16)
        sent = reminders(app, "RR-2026-014")
        assert [o.created_at.date() for o in sent] == [date(2027, 1, 8), date(2027, 1, 12), RR_DUE_014]
        assert "Rapid review sent to the Panel" in sent[0].message.subject
        assert "due on Wednesday 13 January 2027" in sent[0].message.text

    def test_no_reminder_before_opening_time(self, app):
        add_015(app)
        remind(app, date(2026, 12, 24), hour=7)
        assert reminders(app) == []

    def test_no_reminder_for_a_sin_notification_already_submitted(self, app):
        add_014(app)  # SIN due Thu 24 Dec, submitted Fri 18 Dec
        for day in (date(2026, 12, 21), date(2026, 12, 23), date(2026, 12, 24)):
            remind(app, day)
        assert reminders(app) == []

    def test_no_reminder_or_digest_row_for_a_rapid_review_already_sent_to_the_panel(self, app):
        add_014(app)
        p = app.partnership()
        update_case(app.register, p, "RR-2026-014", {"submitted_to_panel": london(date(2027, 1, 7), 11),
                                                     "stage": Stage.SUBMITTED_TO_PANEL},
                    by=p.team_address, at=london(date(2027, 1, 7), 11))
        for day in (date(2027, 1, 8), date(2027, 1, 12), RR_DUE_014):
            remind(app, day)
        assert reminders(app) == [] and digests(app) == []
