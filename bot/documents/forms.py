"""A minimal information request form (python-docx), attached to every request email until the
partnership's Word templates replace it. It carries the header the agency must keep and the sections
it must fill in; the agency returns it by replying to the email."""

from __future__ import annotations

import io
from datetime import date

from docx import Document

from bot.domain.model import Agency, Case, Partnership

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

SECTIONS = (
    ("Involvement", "Did your agency have any involvement with the child or family? (yes / no: a nil return)"),
    ("Summary of involvement", "Dates of involvement, current status (open / closed)."),
    ("Chronology", "Date | contact or event | practitioner role | outcome"),
    ("Analysis of key practice episodes", "Decisions made and why; multi-agency working and information sharing."),
    ("The child's lived experience", "Voice of the child; race, culture, faith, disability and identity."),
    ("Good practice", ""),
    ("Learning", "What could have been done differently (single-agency and multi-agency)."),
    ("Immediate actions taken", "Including safeguarding of other children."),
    ("Local review criteria", "In your view, may the case meet the criteria for a local review?"),
    ("Author and manager sign-off", "Name, role, date."),
)


def information_request_form(*, case: Case, agency: Agency, partnership: Partnership, sent: date,
                             due: date) -> bytes:
    doc = Document()
    for section in doc.sections:
        section.header.paragraphs[0].text = partnership.classification
        section.footer.paragraphs[0].text = f"{partnership.classification} - {case.ref}"
    doc.add_heading("Rapid review: agency information request", level=1)
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in (
        ("Case reference", case.ref), ("Child", case.child), ("Agency", agency.name),
        ("Requested", sent.strftime("%d %B %Y")), ("Return by", due.strftime("%d %B %Y")),
        ("Return to", "Reply to the request email, attaching this form"), ("Partnership", partnership.name),
    ):
        row = table.add_row().cells
        row[0].text, row[1].text = label, value
    for title, hint in SECTIONS:
        doc.add_heading(title, level=2)
        doc.add_paragraph(hint)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
