"""Fills the rendered information request form the way agencies do (python-docx), for the return parser's
tests and benchmarks. Each builder takes the form's bytes and returns the filled form; `Answers` says what
was typed, so a test can check that none of it is lost."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, replace

from docx import Document
from docx.document import Document as DocumentObject
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls
from docx.table import Table
from docx.text.paragraph import Paragraph

SECTIONS = ("Involvement", "Summary of involvement", "Chronology", "Analysis of key practice episodes",
            "The child's lived experience and identity", "Good practice", "Learning", "Immediate actions taken",
            "Local review criteria", "Author and manager sign-off")
LISTS = ("Good practice", "Learning", "Immediate actions taken")
Row = tuple[str, str, str, str]  # date, contact or event, practitioner role, outcome


@dataclass(frozen=True)
class Answers:
    sections: dict[str, tuple[str, ...]]  # section title -> paragraphs typed under it
    rows: tuple[Row | None, ...] = ()  # chronology rows in table order; None leaves a row blank
    sign_off: tuple[tuple[str, str, str], ...] = ()  # (name, role, date) for the author, then the manager
    other: tuple[str, ...] = ()  # typed outside the form's sections

    def typed(self) -> tuple[str, ...]:
        cells = [c for row in self.rows if row for c in row] + [c for person in self.sign_off for c in person]
        return tuple(t for t in [*(p for ps in self.sections.values() for p in ps), *cells, *self.other] if t)


POLICE = Answers(
    sections={
        "Involvement": ("Yes",),
        "Summary of involvement": ("Known to Northshire Police from March 2025; involvement closed in July 2026.",),
        "Analysis of key practice episodes": ("The strategy discussion on 3 February was timely and shared the "
                                              "domestic abuse history with children's social care.",),
        "The child's lived experience and identity": ("Child A told the officer she was frightened at night.",),
        "Good practice": ("The attending officer spoke to Child A on her own.",
                          "The MARAC referral was made the same day."),
        "Learning": ("Earlier call history was not checked before the visit.",),
        "Immediate actions taken": ("Call history checks added to the domestic abuse briefing.",),
        "Local review criteria": ("Yes: multi-agency information sharing about the father's history.",),
    },
    rows=(("03/02/2026", "Domestic abuse call to the family home", "Response officer", "Referral to CSC"),
          ("10 Feb 2026", "Strategy discussion", "Detective sergeant, CAIT", "Section 47 enquiry agreed"),
          ("21st February 2026", "Joint visit with social worker", "Detective constable", "Safety plan agreed")),
    sign_off=(("Jane Smith", "Detective Sergeant", "05/01/2027"), ("Sam Jones", "Detective Inspector", "06/01/2027")),
)
NIL = Answers(sections={"Involvement": ("No",)}, sign_off=(("Priya Patel", "", ""),))
EXTRA_ROWS = Answers(
    sections={"Involvement": ("Yes",), "Summary of involvement": ("Open to the health visiting service.",)},
    rows=(("02/01/2026", "New birth visit", "Health visitor", "Universal service"), None,
          ("14/01/2026", "Missed appointment", "Health visitor", "Letter sent"), None,
          ("20/01/2026", "Home visit", "Health visitor", "Concerns shared with GP"),
          ("27/01/2026", "GP consultation", "GP", "Referral to paediatrics"),
          ("04/02/2026", "Paediatric appointment", "Consultant paediatrician", "Bruising noted, CSC informed"),
          ("05/02/2026", "Strategy meeting", "Named nurse", "Section 47 agreed"), None,
          ("09/02/2026", "Child protection medical", "Consultant paediatrician", "Report to police")),
    sign_off=(("Dr Aisha Khan", "Named GP", "04/01/2027"),),
)
EXTRA_PARAGRAPHS = Answers(
    sections={
        "Involvement": ("Yes", "The family moved into the area in 2025."),
        "Summary of involvement": ("School nursing from September 2025.", "Closed in June 2026."),
        "Analysis of key practice episodes": ("Episode 1: the health review in October.",
                                              "The review did not include the father.", "Episode 2: the referral."),
        "The child's lived experience and identity": ("Child A is of mixed heritage.", "Her first language is Polish."),
        "Good practice": ("Prompt referral.", "Interpreter booked for every visit.", "Records were clear."),
        "Learning": ("Fathers were not seen.", "No chronology was kept."),
        "Immediate actions taken": ("Father-inclusive practice training booked.",),
        "Local review criteria": ("Possibly.", "Line of enquiry: how fathers are engaged."),
        "Chronology": ("Chronology covers the scoping period only.",),
    },
    rows=(("12/10/2025", "Health review", "School nurse", "No concerns recorded"),),
    sign_off=(("Tom Brown", "School nurse", "03/01/2027"),),
    other=("Additional information", "Our records system changed in August 2025.",
           "Please call me if you need anything more."),
)
BAD_DATES = Answers(
    sections={"Involvement": ("Yes",)},
    rows=(("last spring", "Visit to the family home", "Family support worker", "Advice given"),
          ("31/02/2026", "Telephone call with mother", "Family support worker", "Food bank voucher"),
          ("03/02/2026", "Team around the family meeting", "Early help coordinator", "Plan reviewed")),
)

IN_GUIDANCE = replace(POLICE, sign_off=())
OVER_GUIDANCE = Answers(sections={"Involvement": ("Yes",), "Learning": ("Fathers were not seen.",)},
                        rows=(("03/02/2026", "Home visit", "Social worker", "Plan agreed"),))


def fill(form: bytes, answers: Answers) -> bytes:
    doc = Document(io.BytesIO(form))
    _type_answers(doc, answers)
    return _save(doc)


def fill_as_police(form: bytes) -> bytes:
    return fill(form, POLICE)


def fill_nil_return(form: bytes) -> bytes:
    return fill(form, NIL)


def fill_with_extra_rows(form: bytes) -> bytes:
    """Rows typed beyond the six blank ones (Word's 'insert row below'), with some blank rows left in between."""
    return fill(form, EXTRA_ROWS)


def fill_with_moved_table(form: bytes) -> bytes:
    """The chronology table cut and pasted after the sign-off, at the end of the document."""
    doc = Document(io.BytesIO(form))
    _type_answers(doc, POLICE)
    table = _chronology(doc)._tbl
    table.getparent().remove(table)
    doc.add_paragraph()._p.addnext(table)
    doc.add_paragraph()
    return _save(doc)


def fill_with_extra_paragraphs(form: bytes) -> bytes:
    """Several paragraphs per section, a sub-heading, a heading of the agency's own and a note after the sign-off."""
    doc = Document(io.BytesIO(form))
    _type_answers(doc, EXTRA_PARAGRAPHS)
    episode = next(p for p in doc.paragraphs if p.text.startswith("Episode 2"))
    episode.style = doc.styles["Heading 3"]
    sign_off = _heading(doc, "Author and manager sign-off")
    sign_off.insert_paragraph_before(EXTRA_PARAGRAPHS.other[0], style="Heading 2")
    sign_off.insert_paragraph_before(EXTRA_PARAGRAPHS.other[1])
    doc.add_paragraph(EXTRA_PARAGRAPHS.other[2])
    return _save(doc)


def fill_with_bad_dates(form: bytes) -> bytes:
    return fill(form, BAD_DATES)


def fill_numbered_headings(form: bytes) -> bytes:
    """The police answers, with every heading retyped as '3. Chronology:'."""
    doc = Document(io.BytesIO(form))
    _type_answers(doc, POLICE)
    for number, title in enumerate(SECTIONS, 1):
        _retype(_heading(doc, title), f"{number}. {title}:")
    return _save(doc)


def fill_bold_headings(form: bytes) -> bytes:
    """The police answers in a copy of the form whose headings lost their styles and are only bold text."""
    doc = Document(io.BytesIO(form))
    _type_answers(doc, POLICE)
    for title in SECTIONS:
        heading = _heading(doc, title)
        heading.style = doc.styles["Normal"]
        heading.runs[0].bold = True
    return _save(doc)


def fill_in_guidance(form: bytes) -> bytes:
    """Answers typed straight after the guidance, in its italic grey paragraph, leaving the answer line empty."""
    doc = Document(io.BytesIO(form))
    for title, paragraphs in IN_GUIDANCE.sections.items():
        guidance = Paragraph(_heading(doc, title)._p.getnext(), doc._body)
        guidance.runs[-1].text += " " + " ".join(paragraphs)
    _fill_rows(_chronology(doc), IN_GUIDANCE.rows)
    return _save(doc)


def fill_over_guidance(form: bytes) -> bytes:
    """The learning typed over its guidance (select it, type), so the answer is italic grey where the guidance was."""
    doc = Document(io.BytesIO(form))
    _type_answers(doc, Answers({"Involvement": ("Yes",)}, OVER_GUIDANCE.rows))
    guidance = Paragraph(_heading(doc, "Learning")._p.getnext(), doc._body)
    guidance.runs[0].text = OVER_GUIDANCE.sections["Learning"][0]
    return _save(doc)


def fill_with_tracked_changes(form: bytes) -> bytes:
    """The police answers typed with Track Changes on (a deletion left in), the involvement in a content control."""
    doc = Document(io.BytesIO(form))
    _type_answers(doc, POLICE)
    summary = _answer_line(doc, "Summary of involvement")
    for run in list(summary.runs):
        summary._p.remove(run._r)
    summary._p.append(parse_xml(
        f'<w:ins {nsdecls("w")} w:id="1" w:author="Jane Smith" w:date="2027-01-05T10:00:00Z">'
        f'<w:r><w:t xml:space="preserve">{POLICE.sections["Summary of involvement"][0]}</w:t></w:r></w:ins>'))
    summary._p.append(parse_xml(f'<w:del {nsdecls("w")} w:id="2" w:author="Jane Smith" w:date="2027-01-05T10:00:00Z">'
                                f'<w:r><w:delText xml:space="preserve"> DELETED WORDING</w:delText></w:r></w:del>'))
    involvement = _answer_line(doc, "Involvement")._p
    control = parse_xml(f'<w:sdt {nsdecls("w")}><w:sdtPr/><w:sdtContent/></w:sdt>')
    involvement.addprevious(control)
    control[1].append(involvement)
    return _save(doc)


VARIANTS: dict[str, tuple[Callable[[bytes], bytes], Answers]] = {
    "police": (fill_as_police, POLICE), "nil return": (fill_nil_return, NIL),
    "extra rows": (fill_with_extra_rows, EXTRA_ROWS), "moved table": (fill_with_moved_table, POLICE),
    "extra paragraphs": (fill_with_extra_paragraphs, EXTRA_PARAGRAPHS), "bad dates": (fill_with_bad_dates, BAD_DATES),
    "numbered headings": (fill_numbered_headings, POLICE), "bold headings": (fill_bold_headings, POLICE),
    "typed in the guidance": (fill_in_guidance, IN_GUIDANCE),
    "typed over the guidance": (fill_over_guidance, OVER_GUIDANCE),
    "tracked changes": (fill_with_tracked_changes, POLICE),
}


def _type_answers(doc: DocumentObject, answers: Answers) -> None:
    for title, paragraphs in answers.sections.items():
        line = _answer_line(doc, title)
        style = "List Bullet" if title in LISTS else None
        line.add_run(paragraphs[0])
        if style:
            line.style = doc.styles[style]
        for text in paragraphs[1:]:
            line = _after(line, text, style)
    _fill_rows(_chronology(doc), answers.rows)
    sign_off = doc.tables[-1]
    for row, person in zip(sign_off.rows[1:], answers.sign_off, strict=False):
        for cell, text in zip(row.cells[1:], person, strict=True):
            cell.text = text


def _fill_rows(table: Table, rows: tuple[Row | None, ...]) -> None:
    for number, row in enumerate(rows, 1):
        while number >= len(table.rows):
            table.add_row()
        if row is not None:
            for cell, text in zip(table.rows[number].cells, row, strict=True):
                cell.text = text


def _heading(doc: DocumentObject, title: str) -> Paragraph:
    return next(p for p in doc.paragraphs if (p._p.style or "").startswith("Heading") and p.text == title)


def _answer_line(doc: DocumentObject, title: str) -> Paragraph:
    """The paragraph after a section's guidance, made if missing (the chronology has its table there)."""
    guidance = _heading(doc, title)._p.getnext()
    if guidance.getnext().tag.endswith("}p"):
        return Paragraph(guidance.getnext(), doc._body)
    return _after(Paragraph(guidance, doc._body), "", None)


def _after(paragraph: Paragraph, text: str, style: str | None) -> Paragraph:
    new = OxmlElement("w:p")
    paragraph._p.addnext(new)
    added = Paragraph(new, paragraph._parent)
    if text:
        added.add_run(text)
    if style:
        added.style = style
    return added


def _retype(paragraph: Paragraph, text: str) -> None:
    for run in paragraph.runs[1:]:
        paragraph._p.remove(run._r)
    paragraph.runs[0].text = text


def _chronology(doc: DocumentObject) -> Table:
    return next(t for t in doc.tables if t.rows[0].cells[0].text == "Date")


def _save(doc: DocumentObject) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
