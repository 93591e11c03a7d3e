"""The timeline picture (bot/documents/timeline_layout.py, timeline_picture.py): a real, deterministic PNG whose
today line and mark colours sit where the layout says; cards that never overlap however crowded the dates; and a
self-contained HTML page that escapes every label, loads nothing and lists the same dates in a table. Fictional
data only.
"""

from __future__ import annotations

import io
import random
import re
from datetime import date, timedelta

import lxml.etree
import lxml.html
import pytest
from markupsafe import escape
from PIL import Image

from bot.documents.timeline_layout import (
    RAG_COLOURS,
    TODAY_COLOUR,
    Mark,
    date_range,
    drawable,
    layout,
    long_date,
    png_measure,
    svg_measure,
    x_for,
)
from bot.documents.timeline_picture import render_html, render_png

TODAY = date(2026, 11, 22)
TITLE = "RR-2026-014 Child A: statutory timeline"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HOSTILE = '<script>alert(1)</script> & "x"'

CASE = [
    Mark("LA aware", date(2026, 11, 2), date(2026, 11, 2), "done", "milestone"),
    Mark("Serious incident notification", date(2026, 11, 9), date(2026, 11, 6), "done", strength="must"),
    Mark("Agency returns", date(2026, 11, 18), None, "red", strength="local practice"),
    Mark("Rapid review report to the Panel", date(2026, 11, 24), None, "amber", strength="must"),
    Mark("Decision on LCSPR", date(2026, 12, 4), None, "green", strength="should"),
    Mark("Pre-publication copy to the Panel", date(2027, 5, 21), None, "green", strength="must"),
    Mark("LCSPR published", date(2027, 6, 4), None, "green", strength="must"),
    Mark("Learning event", date(2027, 9, 1), None, "green", strength="local practice"),
    Mark("Action plan review", date(2028, 3, 1), None, "green", strength="local practice"),
    Mark("Keep published report until", date(2028, 6, 4), None, "none"),
]


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16)


def image(png: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(png))
    img.load()
    return img.convert("RGB")


def colours(img: Image.Image) -> set[tuple[int, int, int]]:
    found = img.getcolors(maxcolors=img.width * img.height) or []
    return {c for _, c in found}  # type: ignore[misc]


def clustered(count: int, first: date = date(2027, 1, 14)) -> list[Mark]:
    rags = ["red", "amber", "green", "done"]
    return [Mark(f"Child A agency return {i + 1} to the Panel", first + timedelta(days=i % 10), None, rags[i % 4])
            for i in range(count)]


def table_rows(html: str) -> list[list[str]]:
    doc = lxml.html.fromstring(html)
    return [[cell.text_content() for cell in row.findall("td")] for row in doc.findall(".//table/tbody/tr")]


class TestPng:
    def test_the_png_is_a_real_png_of_the_requested_width_and_grows_in_height_with_label_rows(self):
        one = render_png(TITLE, clustered(1), TODAY, width=900)
        six = render_png(TITLE, clustered(6), TODAY, width=900)
        assert one.startswith(PNG_SIGNATURE) and six.startswith(PNG_SIGNATURE)
        small, tall = image(one), image(six)
        assert small.width == tall.width == 900
        assert small.height == layout(TITLE, clustered(1), TODAY, width=900).height
        assert tall.height > small.height + 2 * 40  # six cards on six rows, one card on one

    def test_the_default_width_is_1200_pixels(self):
        assert image(render_png(TITLE, CASE, TODAY)).width == 1200

    def test_the_today_line_is_drawn_at_today_s_x_in_the_today_colour(self):
        lay = layout(TITLE, CASE, TODAY, measure=png_measure)
        img = image(render_png(TITLE, CASE, TODAY))
        assert lay.today_x == x_for(TODAY, lay.start, lay.end, lay.left, lay.right)
        assert img.getpixel((lay.today_x, lay.today_top + 2)) == rgb(TODAY_COLOUR)
        assert img.getpixel((lay.today_x, lay.today_bottom - 1)) == rgb(TODAY_COLOUR)
        assert img.getpixel((lay.today_x + 40, lay.today_bottom - 1)) != rgb(TODAY_COLOUR)

    def test_a_red_mark_s_colour_appears_in_the_png_and_no_red_appears_when_no_mark_is_red(self):
        red = rgb(RAG_COLOURS["red"])
        assert red in colours(image(render_png(TITLE, CASE, TODAY)))
        not_red = [m for m in CASE if m.rag != "red"]
        assert red not in colours(image(render_png(TITLE, not_red, TODAY)))
        assert rgb(RAG_COLOURS["green"]) in colours(image(render_png(TITLE, not_red, TODAY)))

    def test_a_red_mark_s_symbol_sits_on_the_axis_at_its_date(self):
        lay = layout(TITLE, CASE, TODAY, measure=png_measure)
        red = next(p for p in lay.marks if p.mark.rag == "red")
        img = image(render_png(TITLE, CASE, TODAY))
        assert red.x == x_for(date(2026, 11, 18), lay.start, lay.end, lay.left, lay.right)
        ring = [img.getpixel((red.x + dx, lay.axis_y + dy)) for dx in range(-9, 10) for dy in range(-9, 10)]
        assert rgb(RAG_COLOURS["red"]) in ring

    def test_the_same_input_gives_identical_bytes(self):
        assert render_png(TITLE, CASE, TODAY) == render_png(TITLE, list(reversed(CASE)), TODAY)
        assert render_html(TITLE, CASE, TODAY) == render_html(TITLE, list(reversed(CASE)), TODAY)

    def test_a_different_today_gives_a_different_picture(self):
        assert render_png(TITLE, CASE, TODAY) != render_png(TITLE, CASE, TODAY + timedelta(days=30))

    def test_text_the_built_in_font_lacks_is_made_plain_rather_than_drawn_as_boxes(self):
        assert drawable("Zoë’s café – 3\u00a0weeks") == "Zoe’s cafe - 3 weeks"
        assert drawable("Child 甲") == "Child ?"
        assert render_png("Zoë — RR-2026-014", [Mark("Café “review” – 漢", TODAY, None, "amber")], TODAY)

    def test_a_narrow_picture_is_refused_rather_than_drawn_unreadably(self):
        with pytest.raises(ValueError, match="width"):
            render_png(TITLE, CASE, TODAY, width=200)


class TestLayout:
    def test_x_for_maps_the_axis_ends_to_left_and_right_and_keeps_dates_in_order(self):
        start, end = date(2026, 1, 1), date(2028, 12, 31)
        assert x_for(start, start, end, 40, 1160) == 40
        assert x_for(end, start, end, 40, 1160) == 1160
        xs = [x_for(start + timedelta(days=d), start, end, 40, 1160) for d in range(0, 1096, 7)]
        assert xs == sorted(xs) and len(set(xs)) == len(xs)

    def test_x_for_puts_a_day_in_the_middle_when_the_axis_has_no_length(self):
        assert x_for(TODAY, TODAY, TODAY, 40, 1160) == 600

    def test_the_date_range_holds_today_and_every_date_with_a_margin_even_for_a_single_day(self):
        start, end = date_range([TODAY, date(2027, 1, 14), date(2026, 12, 1)])
        assert start < TODAY and end > date(2027, 1, 14)
        start, end = date_range([TODAY])
        assert start < TODAY < end

    def test_marks_are_placed_in_date_order_whatever_order_they_come_in(self):
        shuffled = CASE[:]
        random.Random(14).shuffle(shuffled)
        lay = layout(TITLE, shuffled, TODAY)
        assert [p.mark for p in lay.marks] == sorted(CASE, key=lambda m: m.due)
        assert [p.x for p in lay.marks] == sorted(p.x for p in lay.marks)

    def test_labels_of_twelve_marks_within_ten_days_get_different_rows_and_no_cards_overlap(self):
        lay = layout(TITLE, clustered(12), TODAY)
        assert len({(p.side, p.row) for p in lay.marks}) == 12
        boxes = [p.box for p in lay.marks]
        assert not [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:] if a.overlaps(b)]

    @pytest.mark.parametrize("seed", range(8))
    def test_cards_stay_inside_the_picture_never_overlap_and_hold_their_text(self, seed):
        rnd = random.Random(seed)
        marks = [Mark(" ".join(rnd.choices(["Rapid", "review", "report", "to", "the", "Panel", "Child", "A",
                                            "agency", "Supercalifragilisticexpialidocious"], k=rnd.randint(1, 14))),
                      TODAY + timedelta(days=rnd.randint(-200, 900)), None, rnd.choice(list(RAG_COLOURS)),
                      strength=rnd.choice(["must", "should", "local practice", ""]))
                 for _ in range(rnd.randint(1, 15))]
        width = rnd.choice([600, 900, 1200])
        lay = layout(TITLE, marks, TODAY, width=width, measure=png_measure)
        boxes = [p.box for p in lay.marks]
        assert not [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:] if a.overlaps(b)]
        for p in lay.marks:
            assert 0 <= p.box.x0 <= p.x <= p.box.x1 <= width
            assert 0 <= p.box.y0 < p.box.y1 <= lay.height
            assert (p.box.y1 < lay.axis_y) == (p.side == "above")
            for t in p.lines:
                assert p.box.x0 < t.x and t.x + png_measure(t.text, t.size) <= p.box.x1
                assert p.box.y0 < t.y <= p.box.y1
        assert image(render_png(TITLE, marks, TODAY, width=width)).size == (width, lay.height)

    def test_a_long_label_is_wrapped_and_ends_in_an_ellipsis_inside_its_card(self):
        label = "Child A " + "rapid review report to the national Panel " * 6
        lay = layout(TITLE, [Mark(label, TODAY, None, "amber", strength="must")], TODAY, measure=png_measure)
        (p,) = lay.marks
        label_lines = [t.text for t in p.lines if t.size == 14]
        assert len(label_lines) == 3 and label_lines[-1].endswith("…")
        assert [t.text for t in p.lines[3:]] == ["Sun 22 Nov 2026 · due soon", "must"]

    def test_month_tick_labels_read_like_jan_2027_and_do_not_overlap_over_three_years(self):
        marks = [Mark("Start", date(2026, 1, 5), None, "green"), Mark("End", date(2028, 12, 20), None, "green")]
        lay = layout(TITLE, marks, TODAY, width=1200, measure=png_measure)
        labels = [t.label for t in lay.ticks if t.label]
        assert "Jan 2027" in [t.text for t in labels]
        assert all(re.fullmatch(r"[A-Z][a-z]{2} \d{4}", t.text) for t in labels)
        extents = [(t.x - png_measure(t.text, t.size) / 2, t.x + png_measure(t.text, t.size) / 2) for t in labels]
        assert all(a[1] < b[0] for a, b in zip(extents, extents[1:], strict=False))
        assert all(0 <= a and b <= 1200 for a, b in extents)

    def test_symbols_show_what_happened_filled_and_what_is_ahead_open(self):
        marks = [Mark("LA aware", date(2026, 11, 2), None, "done", "milestone"),
                 Mark("Met", date(2026, 11, 9), date(2026, 11, 6), "done"),
                 Mark("Late", date(2026, 11, 18), None, "red"),
                 Mark("Keep until", date(2028, 6, 4), None, "none")]
        lay = layout(TITLE, marks, TODAY)
        assert [(p.symbol, p.state) for p in lay.marks] == [
            ("dot", "happened"), ("dot", "met"), ("diamond", "overdue"), ("ring", "keep until")]

    def test_the_legend_names_only_the_states_the_picture_shows_and_today(self):
        lay = layout(TITLE, [Mark("Late", date(2026, 11, 18), None, "red")], TODAY)
        assert [i.text.text for i in lay.legend] == ["overdue", "today 22 Nov 2026"]

    def test_an_unknown_rag_or_kind_is_refused(self):
        with pytest.raises(ValueError, match="rag"):
            layout(TITLE, [Mark("Late", TODAY, None, "purple")], TODAY)
        with pytest.raises(ValueError, match="kind"):
            layout(TITLE, [Mark("Late", TODAY, None, "red", kind="meeting")], TODAY)


class TestEdges:
    def test_no_marks_still_render_the_axis_today_and_a_no_deadlines_note(self):
        lay = layout(TITLE, [], TODAY, measure=png_measure)
        assert lay.marks == () and lay.note is not None and lay.note.text == "no deadlines yet"
        assert lay.left < lay.today_x < lay.right
        img = image(render_png(TITLE, [], TODAY))
        assert img.getpixel((lay.today_x, lay.today_top + 2)) == rgb(TODAY_COLOUR)
        html = render_html(TITLE, [], TODAY)
        assert "no deadlines yet" in html and table_rows(html) == [["No deadlines yet."]]

    def test_marks_all_on_one_day_render_without_dividing_by_zero(self):
        marks = [Mark(f"Return {i}", TODAY, None, "amber") for i in range(4)]
        lay = layout(TITLE, marks, TODAY)
        assert len({p.x for p in lay.marks}) == 1
        assert lay.start < TODAY < lay.end
        assert image(render_png(TITLE, marks, TODAY)).width == 1200
        assert len(table_rows(render_html(TITLE, marks, TODAY))) == 4

    def test_today_far_from_every_mark_is_still_on_the_axis(self):
        marks = [Mark("Learning event", date(2029, 6, 1), None, "green")]
        lay = layout(TITLE, marks, TODAY)
        assert lay.left < lay.today_x < lay.marks[0].x < lay.right


class TestHtml:
    def test_the_html_escapes_a_label_with_markup_ampersands_and_quotes(self):
        html = render_html(f"{TITLE} {HOSTILE}", [Mark(HOSTILE, TODAY, None, "red", strength=HOSTILE)], TODAY)
        assert HOSTILE not in html
        assert "<script" not in html.lower() and "alert(1)</script>" not in html
        assert str(escape(HOSTILE)) in html
        assert str(escape(HOSTILE)) == "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;x&#34;"

    def test_the_html_loads_nothing_and_runs_nothing(self):
        html = render_html(TITLE, CASE, TODAY)
        assert re.findall(r"https?://[^\s\"'<>]*", html) == ["http://www.w3.org/2000/svg"]
        assert html.count('xmlns="http://www.w3.org/2000/svg"') == 1
        lowered = html.lower()
        for needle in ("<script", "javascript:", " on", "src=", "href=", "@import", "url("):
            if needle == " on":
                assert not re.search(r"\son[a-z]+\s*=", lowered)
            else:
                assert needle not in lowered, needle

    def test_the_page_has_a_doctype_charset_title_one_svg_and_a_table(self):
        html = render_html(TITLE, CASE, TODAY)
        assert html.startswith("<!doctype html>\n")
        doc = lxml.html.fromstring(html)
        assert doc.find(".//meta[@charset='utf-8']") is not None
        assert doc.findtext(".//head/title") == TITLE
        assert len(doc.findall(".//svg")) == 1 and len(doc.findall(".//table")) == 1

    def test_the_svg_is_well_formed_xml_with_a_title_and_every_label(self):
        html = render_html(TITLE, CASE + [Mark(HOSTILE, TODAY, None, "red")], TODAY)
        match = re.search(r"<svg.*</svg>", html, re.S)
        assert match is not None
        svg = lxml.etree.fromstring(match[0].encode())
        ns = {"s": "http://www.w3.org/2000/svg"}
        assert svg.findtext("s:title", namespaces=ns) == TITLE
        texts = " ".join(t.text or "" for t in svg.iterfind(".//s:text", namespaces=ns))
        assert "Rapid review report to" in texts and HOSTILE.split()[0] in texts
        assert "today 22 Nov 2026" in texts

    def test_the_table_lists_each_mark_earliest_first_with_its_date_state_strength_and_met_on(self):
        rows = table_rows(render_html(TITLE, list(reversed(CASE)), TODAY))
        assert rows[:5] == [
            ["LA aware", "Mon 2 Nov 2026", "happened", "-", "Mon 2 Nov 2026"],
            ["Serious incident notification", "Mon 9 Nov 2026", "met", "must", "Fri 6 Nov 2026"],
            ["Agency returns", "Wed 18 Nov 2026", "overdue", "local practice", "not yet"],
            ["Rapid review report to the Panel", "Tue 24 Nov 2026", "due soon", "must", "not yet"],
            ["Decision on LCSPR", "Fri 4 Dec 2026", "on track", "should", "not yet"],
        ]
        assert rows[-1] == ["Keep published report until", "Sun 4 Jun 2028", "keep until", "-", "-"]
        assert [r[0] for r in rows] == [m.label for m in CASE]

    def test_the_table_and_caption_give_dates_as_thu_14_jan_2027(self):
        html = render_html(TITLE, [Mark("Rapid review report to the Panel", date(2027, 1, 14), None, "green")], TODAY)
        assert table_rows(html)[0][1] == "Thu 14 Jan 2027"
        assert "today is Sun 22 Nov 2026" in html

    def test_the_svg_cards_are_laid_out_with_room_for_a_browser_s_wider_font(self):
        marks = [Mark("Learning event", TODAY, None, "amber")]
        card_png = layout(TITLE, marks, TODAY, measure=png_measure).marks[0].box
        card_svg = layout(TITLE, marks, TODAY, measure=svg_measure).marks[0].box
        assert card_svg.x1 - card_svg.x0 > card_png.x1 - card_png.x0


def test_dates_read_the_same_whatever_the_locale():
    assert long_date(date(2027, 1, 14)) == "Thu 14 Jan 2027"
    assert long_date(date(2026, 11, 2)) == "Mon 2 Nov 2026"
