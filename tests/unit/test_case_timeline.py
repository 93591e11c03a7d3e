"""What a case's timeline picture shows: events that happened, every deadline with its state, today."""

from __future__ import annotations

import io
from datetime import date

from PIL import Image

from bot.case_timeline import due_soon, marks, pictures
from bot.domain.model import Case, LcsprOutcome
from tests.conftest import london

TODAY = date(2027, 1, 11)


def case(app, **fields):  # type: ignore[no-untyped-def]
    p = app.partnership()
    return Case(ref="RR-2026-014", partnership=p.id, child="Child A", la_aware=date(2026, 12, 17),
                sin_submitted=date(2026, 12, 18), **fields)


def test_a_met_deadline_is_done_on_its_date_and_an_open_one_carries_its_rag(app):
    found = {m.label: m for m in marks(case(app), app.partnership(), TODAY)}
    assert found["SIN to the Panel"].done_on == date(2026, 12, 18) and found["SIN to the Panel"].rag == "done"
    rapid = found["Rapid review to the Panel"]
    assert (rapid.due, rapid.done_on, rapid.rag, rapid.strength) == (date(2027, 1, 13), None, "amber", "should")
    assert found["LA aware"].kind == "milestone" and found["LA aware"].due == date(2026, 12, 17)


def test_the_decision_and_the_later_deadlines_appear_once_they_are_known(app):
    later = case(app, submitted_to_panel=london(date(2027, 1, 12)), panel_responded=date(2027, 1, 26),
                 lcspr_decision=date(2027, 2, 3), lcspr_outcome=LcsprOutcome.COMMISSIONED,
                 publication=date(2027, 7, 30), action_plan_signed_off=date(2027, 9, 1))
    labels = [m.label for m in marks(later, app.partnership(), date(2027, 3, 1))]
    assert labels == ["LA aware", "SIN to the Panel", "Rapid review to the Panel", "Panel responded",
                      "LCSPR commissioned", "Final report to Panel, SoS, Ofsted", "LCSPR published (6 months)",
                      "Action plan signed off", "Kept published until", "Learning event (2 years)"]


def test_a_looked_after_childs_timeline_shows_the_dfe_notification(app):
    labels = [m.label for m in marks(case(app, looked_after=True), app.partnership(), TODAY)]
    assert "DfE notification" in labels


def test_due_soon_means_an_open_deadline_within_ten_working_days(app):
    p = app.partnership()
    assert due_soon(case(app), p, TODAY)  # the rapid review, 2 working days away
    assert not due_soon(case(app), p, date(2026, 12, 18))  # 15 working days away (Christmas in between)
    assert not due_soon(case(app, submitted_to_panel=london(date(2027, 1, 8))), p, TODAY)  # all met


def test_the_pictures_are_a_png_and_a_page_naming_the_case(app):
    png, html = pictures(case(app), app.partnership(), TODAY)
    assert Image.open(io.BytesIO(png)).format == "PNG"
    assert "RR-2026-014 (Child A): statutory timeline" in html and "<table" in html
