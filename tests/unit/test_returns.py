"""returns: an agency's filled information request form read back into structured data.

The forms are the shipped template rendered once, then filled the way agencies fill them
(tests/filled_forms.py): extra rows and paragraphs, moved tables, retyped headings, bad dates.
Whatever the layout, nothing typed may be lost and the form's guidance is never an answer.
"""

from __future__ import annotations

import importlib.util
import io
import subprocess
import zipfile
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest
from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from bot.documents.examples import EXAMPLES
from bot.documents.render import DocumentTemplates
from bot.documents.returns import GUIDANCE, TITLES, ChronologyRow, ParsedReturn, parse_return, parse_uk_date
from tests.conftest import needs_libreoffice
from tests.filled_forms import POLICE, VARIANTS, Answers, fill

ROOT = Path(__file__).resolve().parents[2]


def _build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_documents", ROOT / "templates" / "documents" / "build.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BUILD = _build_script()
SHIPPED_GUIDANCE = [hint for _, hint in BUILD.RETURN_SECTIONS]
POLICE_RETURN = ParsedReturn(
    agency="POL", involvement=True,
    summary="Known to Northshire Police from March 2025; involvement closed in July 2026.",
    chronology=(
        ChronologyRow(date(2026, 2, 3), "03/02/2026", "Domestic abuse call to the family home", "Response officer",
                      "Referral to CSC"),
        ChronologyRow(date(2026, 2, 10), "10 Feb 2026", "Strategy discussion", "Detective sergeant, CAIT",
                      "Section 47 enquiry agreed"),
        ChronologyRow(date(2026, 2, 21), "21st February 2026", "Joint visit with social worker", "Detective constable",
                      "Safety plan agreed"),
    ),
    analysis=POLICE.sections["Analysis of key practice episodes"][0],
    lived_experience="Child A told the officer she was frightened at night.",
    good_practice=("The attending officer spoke to Child A on her own.", "The MARAC referral was made the same day."),
    learning=("Earlier call history was not checked before the visit.",),
    actions=("Call history checks added to the domestic abuse briefing.",),
    criteria_view="Yes: multi-agency information sharing about the father's history.",
    author="Jane Smith",
    unread=(),
    flags=(),
    sign_off=("Author: Jane Smith, Detective Sergeant, 05/01/2027",
              "Manager: Sam Jones, Detective Inspector, 06/01/2027"),
)


@pytest.fixture(scope="module")
def form() -> bytes:
    return DocumentTemplates().render("information_request", EXAMPLES["information_request"]).data


@pytest.fixture(scope="module")
def filled(form) -> dict[str, bytes]:
    """Each way of filling the form, done once; "unfilled" is the form as sent."""
    return {"unfilled": form} | {name: builder(form) for name, (builder, _) in VARIANTS.items()}


def everything(parsed: ParsedReturn) -> list[str]:
    """Every string the parser produced, wherever it put it."""
    rows = [text for row in parsed.chronology for text in (row.date_text, row.event, row.role, row.outcome)]
    return [parsed.summary, parsed.analysis, parsed.lived_experience, parsed.criteria_view, parsed.author, *rows,
            *parsed.good_practice, *parsed.learning, *parsed.actions, *parsed.sign_off, *parsed.unread]


def answers(parsed: ParsedReturn) -> list[str]:
    """The strings the parser took as answers (not the unread pile)."""
    return [text for text in everything(parsed) if text not in parsed.unread]


class TestParseUkDate:
    @pytest.mark.parametrize(("text", "expected"), [
        ("03/02/2026", date(2026, 2, 3)),
        ("3/2/26", date(2026, 2, 3)),
        ("3.2.2026", date(2026, 2, 3)),
        ("3 Feb 2026", date(2026, 2, 3)),
        ("3-Feb-26", date(2026, 2, 3)),
        ("3rd February 2026", date(2026, 2, 3)),
        ("the 3rd of February 2026", date(2026, 2, 3)),
        ("2026-02-03", date(2026, 2, 3)),
        ("Tuesday 3 February 2026", date(2026, 2, 3)),
        ("Tue, 3rd Feb 2026", date(2026, 2, 3)),
        ("February 3, 2026", date(2026, 2, 3)),
        ("1st Sept 2025", date(2025, 9, 1)),
        ("03/02/2026 14:30", date(2026, 2, 3)),
        ("3 Feb 2026 at 10am", date(2026, 2, 3)),
        ("  12/11/2025 ", date(2025, 11, 12)),
        ("29/02/2028", date(2028, 2, 29)),
        ("last spring", None),
        ("31/02/2026", None),
        ("29/02/2026", None),
        ("13/13/2026", None),
        ("Feb 2026", None),
        ("3rd May", None),
        ("10:30", None),
        ("2026", None),
        ("03022026", None),
        ("3 Febuary 2026", None),
        ("3-5 Feb 2026", None),
        ("3 and 4 Feb 2026", None),
        ("03/02/2026 - 05/02/2026", None),
        ("3 Feb 2026 (approx)", None),
        ("1/2/1899", None),
        ("1/2/2101", None),
        ("yes", None),
        ("", None),
    ])
    def test_reads_uk_dates_day_first_and_rejects_anything_else(self, text, expected):
        assert parse_uk_date(text) == expected


class TestParseReturn:
    @pytest.mark.parametrize("name", ["police", "moved table", "numbered headings", "bold headings",
                                      "tracked changes"])
    def test_the_police_return_reads_the_same_whatever_the_layout(self, filled, name):
        assert parse_return(filled[name], "POL") == POLICE_RETURN

    def test_a_nil_return_is_involvement_false_with_nothing_else_to_read(self, filled):
        parsed = parse_return(filled["nil return"], "HOU")
        assert (parsed.involvement, parsed.chronology, parsed.author, parsed.flags) == (False, (), "Priya Patel", ())
        assert parsed.sign_off == ("Author: Priya Patel",)

    def test_rows_added_beyond_the_blank_ones_are_read_and_blank_rows_skipped(self, filled):
        parsed = parse_return(filled["extra rows"], "HEA")
        assert [row.date for row in parsed.chronology] == [
            date(2026, 1, 2), date(2026, 1, 14), date(2026, 1, 20), date(2026, 1, 27), date(2026, 2, 4),
            date(2026, 2, 5), date(2026, 2, 9)]
        assert parsed.chronology[-1] == ChronologyRow(date(2026, 2, 9), "09/02/2026", "Child protection medical",
                                                      "Consultant paediatrician", "Report to police")

    def test_several_paragraphs_per_section_are_all_read_in_order(self, filled):
        parsed = parse_return(filled["extra paragraphs"], "SCH")
        assert parsed.summary == "The family moved into the area in 2025.\nSchool nursing from September 2025.\n" \
                                 "Closed in June 2026."
        assert parsed.analysis.splitlines()[-1] == "Episode 2: the referral."  # a sub-heading stays in its section
        assert parsed.good_practice == ("Prompt referral.", "Interpreter booked for every visit.",
                                        "Records were clear.")
        assert parsed.criteria_view == "Possibly.\nLine of enquiry: how fathers are engaged."

    def test_text_under_a_heading_of_the_agencys_own_or_after_the_sign_off_is_kept_unread_and_flagged(self, filled):
        parsed = parse_return(filled["extra paragraphs"], "SCH")
        assert "Additional information: Our records system changed in August 2025." in parsed.unread
        assert "After the sign-off: Please call me if you need anything more." in parsed.unread
        assert "Chronology: Chronology covers the scoping period only." in parsed.unread
        assert parsed.flags == ("chronology text outside the table",
                                "a heading the form does not have: 'Additional information'", "text after the sign-off")

    def test_a_date_it_cannot_read_keeps_the_row_and_its_text_and_is_flagged(self, filled):
        parsed = parse_return(filled["bad dates"], "EH")
        assert [(row.date, row.date_text) for row in parsed.chronology] == [
            (None, "last spring"), (None, "31/02/2026"), (date(2026, 2, 3), "03/02/2026")]
        assert parsed.chronology[0].event == "Visit to the family home"
        assert parsed.flags == ("chronology date not understood: 'last spring'",
                                "chronology date not understood: '31/02/2026'")

    def test_an_answer_typed_after_the_guidance_in_its_paragraph_is_read_without_the_guidance(self, filled):
        parsed = parse_return(filled["typed in the guidance"], "POL")
        assert (parsed.involvement, parsed.summary, parsed.learning) == (True, POLICE_RETURN.summary,
                                                                         POLICE_RETURN.learning)
        assert parsed.good_practice == (" ".join(POLICE_RETURN.good_practice),)

    def test_italic_text_typed_over_the_guidance_is_kept_unread_and_flagged_not_taken_as_an_answer(self, filled):
        parsed = parse_return(filled["typed over the guidance"], "CSC")
        assert parsed.learning == ()
        assert parsed.unread == ("Learning: Fathers were not seen.",)
        assert parsed.flags == ("italic text where the guidance goes, not read as an answer: 'Learning'",)

    def test_tracked_deletions_are_not_read_as_answers(self, filled):
        parsed = parse_return(filled["tracked changes"], "POL")
        assert not any("DELETED WORDING" in text for text in everything(parsed))

    @pytest.mark.parametrize("name", VARIANTS)
    def test_nothing_the_agency_typed_is_lost(self, filled, name):
        typed = VARIANTS[name][1]
        parsed = parse_return(filled[name], "AGY")
        yes_or_no = typed.sections["Involvement"][0]  # read into `involvement`, not kept as text
        assert parsed.involvement is {"Yes": True, "No": False}[yes_or_no]
        lost = [text for text in typed.typed() if text != yes_or_no and not any(text in s for s in everything(parsed))]
        assert lost == []

    @pytest.mark.parametrize("name", [*VARIANTS, "unfilled"])
    def test_the_guidance_is_never_read_as_an_answer(self, filled, name):
        taken = answers(parse_return(filled[name], "AGY"))
        assert [hint for hint in SHIPPED_GUIDANCE if any(hint in text for text in taken)] == []

    def test_an_unfilled_form_reads_as_not_answered_and_is_flagged(self, form):
        parsed = parse_return(form, "POL")
        assert (parsed.involvement, parsed.flags) == (None, ("involvement not answered",))
        assert everything(parsed) == [""] * 5

    @pytest.mark.parametrize(("typed", "expected"), [
        ("Yes", True), ("y", True), ("YES.", True), ("Involved", True),
        ("No", False), ("N", False), ("none", False), ("No involvement.", False), ("Nil", False),
        ("Nil return", False), ("No (nil return)", False),
    ])
    def test_involvement_is_read_from_yes_and_no_words(self, form, typed, expected):
        parsed = parse_return(fill(form, Answers({"Involvement": (typed,)})), "AGY")
        assert parsed.involvement is expected and not any(f.startswith("involvement") for f in parsed.flags)

    @pytest.mark.parametrize("typed", ["Yes, but only in 2024", "No, apart from one call", "N/A", "Maybe"])
    def test_any_other_involvement_answer_is_unclear_kept_and_flagged(self, form, typed):
        parsed = parse_return(fill(form, Answers({"Involvement": (typed,)})), "AGY")
        assert (parsed.involvement, parsed.unread) == (None, (f"Involvement: {typed}",))
        assert f"involvement not understood: {typed!r}" in parsed.flags

    def test_more_involvement_paragraphs_after_the_answer_join_the_summary(self, form):
        typed = Answers({"Involvement": ("Yes", "Open since May."), "Summary of involvement": ("Two visits.",)})
        parsed = parse_return(fill(form, typed), "AGY")
        assert (parsed.involvement, parsed.summary) == (True, "Open since May.\nTwo visits.")

    def test_a_nil_return_with_other_sections_filled_in_is_flagged(self, form):
        typed = Answers({"Involvement": ("No",)}, rows=(("03/02/2026", "Home visit", "Nurse", "Advice"),))
        assert "nil return but other sections are filled in" in parse_return(fill(form, typed), "AGY").flags

    def test_involvement_with_an_empty_chronology_is_flagged(self, form):
        assert parse_return(fill(form, Answers({"Involvement": ("Yes",)})), "AGY").flags == ("chronology is empty",)

    def test_the_chronology_is_found_by_its_header_with_columns_in_any_order(self):
        doc = _involved()
        _table(doc, ("Outcome", "Our ref", "DATE", "Role", "Contact / event"),
               ("Plan agreed", "CR-77", "3/2/26", "Social worker", "Home visit"))
        parsed = parse_return(_save(doc), "CSC")
        assert parsed.chronology == (ChronologyRow(date(2026, 2, 3), "3/2/26", "Home visit", "Social worker",
                                                   "Plan agreed"),)
        assert parsed.unread == ("Chronology, Our ref: CR-77",)

    def test_a_table_of_the_agencys_own_under_the_chronology_heading_is_read_by_its_date_column(self):
        doc = _involved()
        doc.add_heading("Chronology", level=2)
        _table(doc, ("Date/Time", "Occurrence", "Officer", "Result"),
               ("03/02/2026 14:10", "Domestic incident", "PC 123 Smith", "DASH: high"))
        assert parse_return(_save(doc), "POL").chronology == (
            ChronologyRow(date(2026, 2, 3), "03/02/2026 14:10", "Domestic incident", "PC 123 Smith", "DASH: high"),)

    def test_a_yes_with_more_on_the_next_line_is_yes_and_the_rest_is_summary(self):
        doc = Document()
        doc.add_heading("Involvement", level=2)
        doc.add_paragraph().add_run("Yes").add_break()
        doc.paragraphs[-1].add_run("Open since May.")
        parsed = parse_return(_save(doc), "CSC")
        assert (parsed.involvement, parsed.summary) == (True, "Open since May.")

    def test_a_return_laid_out_without_the_forms_headings_is_kept_whole_and_flagged(self):
        doc = Document()
        _table(doc, ("Involvement", "Yes"), ("Summary", "Known since 2024."))
        parsed = parse_return(_save(doc), "CSC")
        assert parsed.unread == ("Involvement | Yes", "Summary | Known since 2024.")
        assert "none of the form's section headings found" in parsed.flags

    def test_a_chronology_typed_as_paragraphs_is_read_as_rows(self):
        doc = _involved()
        doc.add_heading("Chronology", level=2)
        doc.add_paragraph("03/02/2026 | Home visit | Social worker | Plan agreed")
        doc.add_paragraph("4 Feb 2026: Strategy meeting")
        doc.add_paragraph("See the attached chronology.")
        parsed = parse_return(_save(doc), "CSC")
        assert parsed.chronology == (
            ChronologyRow(date(2026, 2, 3), "03/02/2026", "Home visit", "Social worker", "Plan agreed"),
            ChronologyRow(date(2026, 2, 4), "4 Feb 2026", "Strategy meeting", "", ""))
        assert parsed.unread == ("Chronology: See the attached chronology.",)
        assert "no chronology table found" not in parsed.flags

    def test_a_return_without_a_chronology_table_is_flagged(self):
        assert parse_return(_save(_involved()), "CSC").flags == ("no chronology table found",)

    def test_bytes_that_are_not_a_word_document_give_a_flag_not_an_error(self):
        parsed = parse_return(b"PK\x03\x04 not really a zip", "POL")
        assert parsed.involvement is None and parsed.flags == ("could not open the document: BadZipFile",)

    def test_a_package_python_docx_refuses_is_still_read_from_its_xml(self, filled):
        as_template = _rewrite(filled["police"], "[Content_Types].xml", lambda xml: xml.replace(
            b"wordprocessingml.document.main+xml", b"wordprocessingml.template.main+xml"))
        assert parse_return(as_template, "POL") == POLICE_RETURN

    def test_a_part_it_cannot_make_sense_of_is_kept_as_text_and_the_rest_still_read(self):
        doc = _involved()
        doc.add_heading("Chronology", level=2)
        _table(doc, ("Date", "Contact or event"), ("03/02/2026", "Home visit"))
        doc.tables[0].rows[1].cells[1]._tc.get_or_add_tcPr().append(
            parse_xml(f'<w:gridSpan {nsdecls("w")} w:val="two"/>'))
        doc.add_heading("Learning", level=2)
        doc.add_paragraph("Visit sooner.")
        parsed = parse_return(_save(doc), "CSC")
        assert parsed.unread == ("Date\nContact or event\n03/02/2026\nHome visit",)
        assert "could not read part of the document: ValueError" in parsed.flags
        assert (parsed.involvement, parsed.learning) == (True, ("Visit sooner.",))

    def test_knows_every_heading_and_guidance_text_of_the_shipped_form(self):
        assert [title for title, _ in BUILD.RETURN_SECTIONS if title not in TITLES] == []
        assert [hint for hint in SHIPPED_GUIDANCE if hint not in GUIDANCE] == []

    @needs_libreoffice
    @pytest.mark.parametrize("name", [*VARIANTS, "unfilled"])
    def test_a_form_saved_again_by_libreoffice_reads_the_same(self, filled, converted, name):
        assert parse_return(converted[name], "AGY") == parse_return(filled[name], "AGY")


@pytest.fixture(scope="module")
def converted(filled, tmp_path_factory) -> dict[str, bytes]:
    """Every variant opened and saved as .docx by LibreOffice, in one soffice run with its own profile."""
    folder = tmp_path_factory.mktemp("libreoffice")
    names = {name: f"form{number}.docx" for number, name in enumerate(filled)}
    for name, file in names.items():
        (folder / file).write_bytes(filled[name])
    out = folder / "out"
    done = subprocess.run(["soffice", f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless",
                           "--convert-to", "docx", "--outdir", str(out), *(str(folder / f) for f in names.values())],
                          capture_output=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return {name: (out / file).read_bytes() for name, file in names.items()}


def _involved():
    """A document of the agency's own making that answers yes."""
    doc = Document()
    doc.add_heading("Involvement", level=2)
    doc.add_paragraph("Yes")
    return doc


def _table(doc, *rows: tuple[str, ...]) -> None:
    table = doc.add_table(rows=len(rows), cols=len(rows[0]))
    for row, texts in zip(table.rows, rows, strict=True):
        for cell, text in zip(row.cells, texts, strict=True):
            cell.text = text


def _save(doc) -> bytes:
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _rewrite(data: bytes, part: str, change) -> bytes:
    source, buffer = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item)
            target.writestr(item, change(content) if item.filename == part else content)
    return buffer.getvalue()

