"""Documents end to end: the form the bot sends, filled in as agencies do (one re-saved by LibreOffice),
read back, collated into the report, and the report re-opened; and the Panel report as PDF."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date
from pathlib import Path

import docx

from bot.adapters.local.library import FolderLibrary
from bot.bootstrap import build_memory_app
from bot.cases import RequestRecord, add_case, update_case
from bot.documents import contexts
from bot.documents.examples import EXAMPLES
from bot.documents.render import DocumentTemplates
from bot.documents.returns import parse_return
from bot.domain.model import AgencyRequest, Case, RequestStatus
from bot.handlers.submit_to_panel import submit_to_panel
from bot.ports import Item
from tests.conftest import london, needs_libreoffice
from tests.filled_forms import fill_as_police, fill_with_extra_rows, fill_with_moved_table

SOFFICE = shutil.which("soffice")


def resaved_by_libreoffice(data: bytes, tmp: Path) -> bytes:
    assert SOFFICE is not None
    (tmp / "in").mkdir()
    (tmp / "in" / "form.docx").write_bytes(data)
    subprocess.run([SOFFICE, f"-env:UserInstallation={(tmp / 'profile').as_uri()}", "--headless", "--convert-to",
                    "docx", "--outdir", str(tmp / "out"), str(tmp / "in" / "form.docx")],
                   check=True, capture_output=True, timeout=120)
    return (tmp / "out" / "form.docx").read_bytes()


def text_of(data: bytes) -> str:
    d = docx.Document(io.BytesIO(data))
    return "\n".join([p.text for p in d.paragraphs] + [c.text for t in d.tables for r in t.rows for c in r.cells])


@needs_libreoffice
def test_forms_filled_by_three_agencies_come_back_as_one_report(settings, tmp_path):
    app = build_memory_app(settings)
    p = app.partnership()
    case = Case(ref="RR-2026-014", partnership=p.id, child="Child A", la_aware=date(2026, 12, 22),
                sin_submitted=date(2026, 12, 23), sin_reference="SIN-2026-0427", agencies=("POL", "CSC", "HLT"))
    form = DocumentTemplates().render("information_request", EXAMPLES["information_request"]).data
    filled = {"POL": fill_as_police(form), "CSC": fill_with_extra_rows(form),
              "HLT": resaved_by_libreoffice(fill_with_moved_table(form), tmp_path)}
    returns = [parse_return(data, code) for code, data in filled.items()]
    assert all(r.chronology for r in returns)
    requests = [RequestRecord(Item(str(i), {}, '"1"', "bot", london(date(2027, 1, 5))),
                              AgencyRequest("RR-2026-014", code, f"t{i}", RequestStatus.RETURNED,
                                            date(2026, 12, 23), date(2027, 1, 6), returned=date(2027, 1, 5)))
                 for i, code in enumerate(filled)]
    context = contexts.rapid_review_report(case, p, requests=requests, returns=returns, version="draft v1",
                                           today=date(2027, 1, 5))
    report = DocumentTemplates().render("rapid_review_report", context).data
    text = text_of(report)
    events = [row.event for r in returns for row in r.chronology if row.event]
    assert events and all(event in text for event in events)
    for name in ("Northshire Police", "Northshire Children's Social Care", "Northshire Community Health NHS Trust"):
        assert name in text
    dated = [row for row in context["chronology"] if row["date"][0].isdigit()]
    assert len(dated) >= 3
    assert "SIN-2026-0427" in text and "draft v1" in text


class TestPanelReportFormat:
    def approved(self, settings, library=None):  # type: ignore[no-untyped-def]
        pdf_settings = settings.model_copy(update={"partnerships": [
            settings.partnerships[0].model_copy(update={"panel_format": "pdf"})]})
        app = build_memory_app(pdf_settings, **({"library": library} if library else {}))
        p = app.partnership()
        chair = "crg.chair@northshire-scp.example"
        add_case(app.register, p, Case(ref="RR-2026-014", partnership=p.id, child="Child A",
                                       la_aware=date(2026, 12, 22), sin_submitted=date(2026, 12, 23)),
                 by=p.team_address, at=london(date(2026, 12, 22)))
        update_case(app.register, p, "RR-2026-014", {"approved": True, "approved_by": chair}, by=chair,
                    at=london(date(2027, 1, 12)))
        report = DocumentTemplates().render("rapid_review_report", EXAMPLES["rapid_review_report"]).data
        app.library.save("RR-2026-014", "reports/Rapid Review Report - RR-2026-014 - final.docx", report)
        submit_to_panel(london(date(2027, 1, 13), 10), deps=app.deps())
        (sent,) = [o for o in app.ledger.outbox() if o.purpose == "panel_submission"]
        formats = [e.detail for e in app.ledger.audit_trail("RR-2026-014") if e.action == "panel_report_format"]
        return sent.message.attachments, formats

    def test_without_a_converter_the_docx_goes_and_the_audit_trail_says_so(self, settings):
        (attachment,), formats = self.approved(settings)
        assert attachment.name.endswith("final.docx")
        assert formats == ["docx (no PDF converter available)"]

    @needs_libreoffice
    def test_on_the_local_workspace_libreoffice_turns_it_into_a_pdf(self, settings, tmp_path):
        (attachment,), formats = self.approved(settings, FolderLibrary(tmp_path / "library"))
        assert attachment.name == "Rapid Review Report - RR-2026-014 - final.pdf"
        assert attachment.content_type == "application/pdf" and attachment.data.startswith(b"%PDF")
        assert formats == ["pdf (converted)"]

