"""The serious incident referral form: the shipped blank form, the filled example, and the lenient parser that
reads it back to start a case (bot/documents/referral.py). Fictional data only."""

from __future__ import annotations

import copy
import io
import random
from dataclasses import replace
from datetime import date
from pathlib import Path

import docx
import pytest
from docx.document import Document as DocumentObject
from docx.oxml.ns import qn

from bot.documents.examples import REFERRAL_ANSWERS, filled_referral
from bot.documents.referral import (
    GUIDANCE,
    LABELS,
    MAX_FIELD,
    SECTIONS,
    TITLE,
    ParsedReferral,
    is_referral_form,
    parse_referral,
)
from bot.documents.render import DEFAULT_DOCUMENTS
from tests import hostile_docs
from tests.unit.test_returns import BUILD  # templates/documents/build.py, loaded once

ROOT = Path(__file__).resolve().parents[2]
BLANK = DEFAULT_DOCUMENTS / "referral_form.docx"

EXPECTED = ParsedReferral(
    child="Child B", age=14, incident=date(2027, 1, 10), la_aware=date(2027, 1, 12),
    incident_la="Northshire County Council", residence_la="Southshire Borough Council",
    responsible_la="Northshire County Council", looked_after=False, care_leaver=False, domestic_abuse=True,
    agencies=("POL", "CSC", "HLT"), referring_agency="Northshire Police", referrer="DS Example, safeguarding lead",
    agreed_by_senior_lead=True, what_happened=REFERRAL_ANSWERS["what_happened"], criteria=REFERRAL_ANSWERS["criteria"],
    flags=(),
)


def opened(data: bytes) -> DocumentObject:
    return docx.Document(io.BytesIO(data))


def saved(doc: DocumentObject) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def relabelled(data: bytes, changes: dict[str, str]) -> bytes:
    """The form with some row labels retyped, e.g. words added to them."""
    doc = opened(data)
    for row in doc.tables[0].rows:
        if row.cells[0].text in changes:
            row.cells[0].text = changes[row.cells[0].text]
    return saved(doc)


class TestTheShippedForm:
    def test_the_build_script_and_the_parser_agree_on_every_label_heading_and_guidance(self):
        build = BUILD
        assert list(build.REFERRAL_ROWS) == list(LABELS.values())
        assert [title for title, _ in build.REFERRAL_SECTIONS] == list(SECTIONS.values())
        assert [hint for _, hint in build.REFERRAL_SECTIONS] == list(GUIDANCE[1:])

    def test_the_blank_form_has_every_row_and_heading_and_its_answers_are_empty(self):
        doc = docx.Document(str(BLANK))
        assert doc.paragraphs[0].text == TITLE
        rows = [(row.cells[0].text, row.cells[1].text) for row in doc.tables[0].rows]
        assert rows == [(label, "") for label in LABELS.values()]
        texts = [p.text for p in doc.paragraphs]
        assert all(heading in texts for heading in SECTIONS.values())
        assert all(hint in texts for hint in GUIDANCE)

    def test_the_blank_form_parses_to_nothing_but_says_what_is_missing(self):
        parsed = parse_referral(BLANK.read_bytes())
        assert parsed == ParsedReferral("", None, None, None, "", "", "", None, None, None, (), "", "", None, "", "",
                                        parsed.flags)
        assert parsed.flags == ("child: no pseudonym given", "date of the incident: not given",
                                "date the local authority became aware: not given", "referring agency: not given",
                                "what happened: not given")

    def test_the_rendered_form_carries_the_classification_and_where_to_send_it(self):
        doc = opened(filled_referral())
        assert doc.sections[0].header.paragraphs[0].text == "OFFICIAL-SENSITIVE"
        assert "business-team@northshire-scp.example" in "\n".join(p.text for p in doc.paragraphs)


class TestReadingAFilledForm:
    def test_a_filled_referral_is_read_field_by_field(self):
        assert parse_referral(filled_referral()) == EXPECTED

    def test_re_ordered_rows_and_an_extra_row_still_parse_and_the_extra_row_is_flagged(self):
        doc = opened(filled_referral())
        table = doc.tables[0]
        rows = list(table._tbl.tr_lst)
        for tr in rows:
            table._tbl.remove(tr)
        for tr in reversed(rows):
            table._tbl.append(tr)
        extra = table.add_row().cells
        extra[0].text, extra[1].text = "SIN reference", "SIN-2027-0001"
        parsed = parse_referral(saved(doc))
        assert parsed == replace(EXPECTED, flags=parsed.flags)
        assert parsed.flags == ("a row the form does not have, not read: 'SIN reference'",)

    def test_labels_with_words_added_numbering_or_other_case_still_match(self):
        data = relabelled(filled_referral(), {
            "Date of the incident": "Date of the incident (if known)",
            "Age at the incident": "2. AGE AT THE INCIDENT:",
            "Looked after (yes/no)": "Looked after by the local authority? (yes / no)",
            "Agreed with your agency's senior safeguarding lead (yes/no)":
                "Agreed with your agency’s senior safeguarding lead",
        })
        assert parse_referral(data) == EXPECTED

    def test_rows_split_across_two_tables_and_inside_a_layout_table_are_all_read(self):
        doc = opened(filled_referral())
        first = doc.tables[0]._tbl
        second = copy.deepcopy(first)
        for tr in first.tr_lst[7:]:
            first.remove(tr)
        for tr in second.tr_lst[:7]:
            second.remove(tr)
        layout = doc.add_table(rows=1, cols=1)
        layout.cell(0, 0)._tc.append(second)
        first.addnext(layout._tbl)
        assert parse_referral(saved(doc)) == EXPECTED

    def test_answers_typed_as_label_and_colon_paragraphs_are_read(self):
        doc = docx.Document()
        doc.add_heading("Northshire serious incident referral", level=1)
        for line in ("Child: Child B", "Age at the incident: 6 weeks", "Date of the incident: 3 January 2027",
                     "Date the local authority became aware: 4/1/27", "Referring agency: Northshire Health"):
            doc.add_paragraph(line)
        data = saved(doc)
        parsed = parse_referral(data)
        assert (parsed.child, parsed.age, parsed.incident, parsed.la_aware, parsed.referring_agency) == (
            "Child B", 0, date(2027, 1, 3), date(2027, 1, 4), "Northshire Health")
        assert is_referral_form(data)

    def test_the_header_and_footer_are_never_read(self):
        doc = opened(filled_referral())
        doc.sections[0].header.paragraphs[0].text = "Child: Child Z"
        doc.sections[0].footer.paragraphs[0].text = "Date of the incident: 01/01/2000"
        assert parse_referral(saved(doc)) == EXPECTED

    def test_text_under_a_heading_the_form_does_not_have_is_flagged_not_taken_as_the_criteria(self):
        doc = opened(filled_referral())
        doc.add_heading("Signed", level=2)
        doc.add_paragraph("DS Example")
        parsed = parse_referral(saved(doc))
        assert parsed.criteria == EXPECTED.criteria
        assert parsed.flags == ("a heading the form does not have, its text not read: 'Signed'",)

    def test_guidance_typed_after_is_kept_and_the_guidance_dropped(self):
        doc = opened(filled_referral(what_happened=""))
        guidance = next(p for p in doc.paragraphs if p.text == GUIDANCE[1])
        guidance.add_run(" Found at home by a parent.")
        assert parse_referral(saved(doc)).what_happened == "Found at home by a parent."


class TestValues:
    def test_an_unreadable_date_is_none_with_a_flag_naming_the_field(self):
        parsed = parse_referral(filled_referral(la_aware="31/02/2027"))
        assert parsed.la_aware is None and parsed.incident == date(2027, 1, 10)
        assert parsed.flags == ("date the local authority became aware: unreadable '31/02/2027'",)

    def test_dates_are_read_day_first_in_the_usual_shapes(self):
        parsed = parse_referral(filled_referral(incident="Sunday 3rd January 2027", la_aware="4/1/27"))
        assert (parsed.incident, parsed.la_aware, parsed.flags) == (date(2027, 1, 3), date(2027, 1, 4), ())

    def test_aware_before_the_incident_is_flagged(self):
        parsed = parse_referral(filled_referral(la_aware="09/01/2027"))
        assert parsed.flags == ("date the local authority became aware: before the date of the incident",)

    def test_a_blank_yes_no_is_none_without_a_flag(self):
        parsed = parse_referral(filled_referral(looked_after="", care_leaver="  "))
        assert (parsed.looked_after, parsed.care_leaver, parsed.flags) == (None, None, ())

    @pytest.mark.parametrize(("typed", "expected", "flagged"), [
        ("yes", True, False), ("Y", True, False), ("TRUE", True, False), ("x", True, False), ("✓", True, False),
        ("No.", False, False), ("n", False, False), ("false", False, False), ("None", False, False),
        ("Yes - accommodated under section 20", True, True), ("No, but known to CSC", False, True),
        ("not known", None, True), ("n/a", None, True),
    ])
    def test_yes_no_answers_are_read_leniently_and_anything_else_is_flagged(self, typed, expected, flagged):
        parsed = parse_referral(filled_referral(domestic_abuse=typed))
        assert parsed.domestic_abuse is expected
        assert bool(parsed.flags) is flagged and all(f.startswith("domestic abuse known or suspected: ")
                                                     for f in parsed.flags)

    @pytest.mark.parametrize(("typed", "expected"), [
        ("14", 14), ("aged 15", 15), ("14 years old", 14), ("2 years 3 months", 2), ("18 months", 1),
        ("6 weeks", 0), ("3 days", 0), ("forty", None), ("40", None),
    ])
    def test_the_age_is_whole_years_and_an_unreadable_one_is_flagged(self, typed, expected):
        parsed = parse_referral(filled_referral(age=typed))
        assert parsed.age == expected
        assert parsed.flags == (() if expected is not None else (f"age at the incident: not understood {typed!r}",))

    def test_agencies_are_split_on_commas_semicolons_and_lines(self):
        parsed = parse_referral(filled_referral(agencies="Northshire Police; CSC,\nHLT\n\n, Northshire Schools"))
        assert parsed.agencies == ("Northshire Police", "CSC", "HLT", "Northshire Schools")

    def test_a_blank_pseudonym_is_flagged(self):
        parsed = parse_referral(filled_referral(child=" "))
        assert parsed.child == "" and parsed.flags == ("child: no pseudonym given",)

    def test_what_looks_like_a_full_name_is_flagged_without_repeating_it(self):
        parsed = parse_referral(filled_referral(child="Jane Example-Smith"))
        assert parsed.child == "Jane Example-Smith"
        assert parsed.flags == ("child: looks like a full name, not a pseudonym",)
        assert parse_referral(filled_referral(child="Baby C")).flags == ()

    def test_a_row_answered_twice_differently_keeps_the_first_and_says_so(self):
        doc = opened(filled_referral())
        cells = doc.tables[0].add_row().cells
        cells[0].text, cells[1].text = "Referring agency", "Northshire Health"
        parsed = parse_referral(saved(doc))
        assert parsed.referring_agency == "Northshire Police"
        assert parsed.flags == ("referring agency: answered more than once; the first answer is used",)

    def test_an_over_long_field_is_cut_with_a_flag(self):
        long_text = "The family moved house twice. " * 200
        parsed = parse_referral(filled_referral(what_happened=long_text, referrer="R" * 2500))
        assert parsed.what_happened == long_text.strip()[:MAX_FIELD] and parsed.referrer == "R" * MAX_FIELD
        assert parsed.flags == ("referrer: cut at 2,000 characters (it had 2,500)",
                                f"what happened: cut at 2,000 characters (it had {len(long_text.strip()):,})")


class TestRecognisingTheForm:
    def test_the_blank_and_the_filled_form_are_referral_forms(self):
        assert is_referral_form(BLANK.read_bytes()) and is_referral_form(filled_referral())

    def test_the_information_request_template_is_not(self):
        assert not is_referral_form((DEFAULT_DOCUMENTS / "information_request.docx").read_bytes())

    def test_random_bytes_and_an_empty_document_are_not(self):
        assert not is_referral_form(random.Random(1).randbytes(4096))
        assert not is_referral_form(b"")
        assert not is_referral_form(saved(docx.Document()))

    def test_the_title_alone_or_the_rows_alone_are_not_enough(self):
        doc = docx.Document()
        doc.add_heading(TITLE, level=1)
        doc.add_paragraph("Child: Child B")
        doc.add_paragraph("Age at the incident: 14")
        assert not is_referral_form(saved(doc))
        untitled = opened(filled_referral())
        untitled.paragraphs[0].text = "Agency information"
        assert not is_referral_form(saved(untitled))


class TestHostileDocuments:
    @pytest.mark.parametrize("build", [
        hostile_docs.not_a_zip, hostile_docs.truncated, hostile_docs.bad_crc, hostile_docs.doctype_entity,
        hostile_docs.billion_laughs, hostile_docs.docm, hostile_docs.dotx, hostile_docs.external_template,
        hostile_docs.path_traversal, hostile_docs.password_protected, hostile_docs.old_doc,
        lambda: hostile_docs.zip_bomb(20 * hostile_docs.MIB),
    ])
    def test_a_hostile_document_is_refused_with_a_flag_not_an_exception(self, build):
        data = build()
        parsed = parse_referral(data)
        assert parsed.child == "" and len(parsed.flags) == 1
        assert parsed.flags[0].startswith("could not open the document: ")
        assert is_referral_form(data) is False

    def test_a_damaged_row_is_flagged_and_the_rest_still_read(self):
        doc = opened(filled_referral())
        tc_pr = doc.tables[0].rows[1].cells[1]._tc.get_or_add_tcPr()
        span = tc_pr.makeelement(qn("w:gridSpan"), {qn("w:val"): "lots"})
        tc_pr.append(span)
        parsed = parse_referral(saved(doc))
        assert parsed.age is None and parsed.child == "Child B" and parsed.referring_agency == "Northshire Police"
        assert "could not read part of the document: ValueError" in parsed.flags
        assert "age at the incident: row not found" in parsed.flags
