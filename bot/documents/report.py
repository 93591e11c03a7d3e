"""A first draft of the rapid review report (python-docx): the case summary, the agencies asked and
the state of their returns, and the returned forms on file. The Word documents work replaces this
with the partnership's template and a merged chronology."""

from __future__ import annotations

import io

from docx import Document

from bot.cases import requests_of
from bot.domain.casework import case_deadlines
from bot.domain.model import Case, Partnership
from bot.ports import CaseRegister, Library


def draft_report(*, case: Case, partnership: Partnership, register: CaseRegister, library: Library) -> bytes:
    doc = Document()
    for section in doc.sections:
        section.header.paragraphs[0].text = partnership.classification
        section.footer.paragraphs[0].text = f"{partnership.classification} - {case.ref} - draft"
    doc.add_heading(f"Rapid review report: {case.ref}", level=1)
    facts = [("Partnership", partnership.name), ("Local authority", ", ".join(partnership.local_authorities)),
             ("Child", case.child), ("SIN reference", case.sin_reference or "not recorded")]
    facts += [(d.rule.summary, d.due.strftime("%d %B %Y")) for d in case_deadlines(case, partnership)]
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in facts:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, value
    doc.add_heading("Agencies asked for information", level=2)
    agencies = doc.add_table(rows=1, cols=3)
    agencies.style = "Table Grid"
    for cell, title in zip(agencies.rows[0].cells, ("Agency", "Return", "Received"), strict=True):
        cell.text = title
    for record in requests_of(register, case.ref):
        r = record.request
        agency = partnership.agency(r.agency)
        cells = agencies.add_row().cells
        cells[0].text = agency.name if agency else r.agency
        cells[1].text = r.status.value.replace("_", " ")
        cells[2].text = r.returned.strftime("%d %B %Y") if r.returned else "explain why it is missing"
    doc.add_heading("Returned forms on file", level=2)
    for document in library.list(case.ref, "returns"):
        doc.add_paragraph(document.path, style="List Bullet")
    doc.add_heading("Decision on a local child safeguarding practice review", level=2)
    doc.add_paragraph("To be completed by the safeguarding partners (SI 2018/789 reg 11 criteria).")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
