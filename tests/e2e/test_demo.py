"""`cspr-bot demo` as a user runs it, and the facts of the rapid review it leaves in its workspace."""

from __future__ import annotations

import email
import email.policy
import sqlite3
from collections import Counter
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from bot.settings import load_settings
from tests.conftest import DEFAULT_CONFIG
from tests.e2e.test_cli import cspr

pytestmark = pytest.mark.e2e
RR_DUE = datetime(2027, 1, 19, 17, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    root = tmp_path_factory.mktemp("demo") / "ws"
    return cspr("demo", "--workspace", str(root)).stdout, root


def sent_mail(root: Path) -> list[EmailMessage]:
    messages = []
    for path in sorted((root / "mail" / "sent" / "new").glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        messages.append(msg)
    return messages


def outbox(root: Path) -> list[sqlite3.Row]:
    conn = sqlite3.connect(root / "ledger.sqlite")
    conn.row_factory = sqlite3.Row
    return conn.execute("SELECT * FROM outbox ORDER BY seq").fetchall()


class TestDemoRapidReview:
    def test_each_agency_gets_exactly_one_information_request_with_its_form(self, demo):
        _, root = demo
        requests = [m for m in sent_mail(root) if "information request:" in m["Subject"]]
        agencies = Counter(str(m["Subject"]).split("/")[1].split("-")[0] for m in requests)
        assert agencies == Counter({"POL": 1, "CSC": 1, "HLT": 1, "GP": 1, "EDU": 1, "DAS": 1})
        assert all(any(p.get_filename().endswith(".docx") for p in m.iter_attachments()) for m in requests)

    def test_the_silent_agency_is_reminded_chased_escalated_and_chased_daily(self, demo):
        _, root = demo
        chases = [r for r in outbox(root) if r["purpose"].startswith("chase")]
        purposes = Counter((r["purpose"], r["key"].split(":")[3]) for r in chases)
        assert purposes[("chase_reminder", "EDU")] == 1
        assert purposes[("chase_chaser", "EDU")] == 1
        assert purposes[("chase_escalation", "EDU")] == 1
        assert purposes[("chase_overdue", "EDU")] == 6  # working days 9 to 14
        assert not any(agency in ("POL", "CSC", "DAS") for _, agency in purposes)

    def test_the_out_of_office_agency_is_chased_through_its_escalation_contact(self, demo):
        _, root = demo
        gp_chases = [m for m in sent_mail(root) if "/GP-" in str(m["Subject"]) and "information request" not in
                     str(m["Subject"]) and "Received" not in str(m["Subject"])]
        assert len(gp_chases) == 2
        assert all(str(m["To"]) == "designated.doctor@northshire-icb.example" for m in gp_chases)

    def test_the_panel_gets_exactly_one_email_with_the_report_before_the_deadline(self, demo):
        _, root = demo
        panel = [m for m in sent_mail(root) if str(m["To"]) == "review-panel@national-panel.example"]
        assert len(panel) == 1
        (message,) = panel
        assert str(message["Subject"]).startswith("OFFICIAL-SENSITIVE: Rapid review: Northshire County Council")
        assert "SIN-2026-0427" in str(message["Subject"])
        names = [p.get_filename() for p in message.iter_attachments()]
        assert names == ["Rapid Review Report - RR-2026-001 - final.docx"]
        assert email.utils.parsedate_to_datetime(str(message["Date"])) < RR_DUE

    def test_every_inbound_message_is_processed_once_and_filed(self, demo):
        _, root = demo
        conn = sqlite3.connect(root / "ledger.sqlite")
        outcomes = Counter(o.split(":")[0] for (o,) in conn.execute("SELECT outcome FROM inbound"))
        assert outcomes == Counter({"agency_return": 4, "bounce": 1, "auto_reply": 1})
        assert list((root / "mail" / "inbox" / "new").iterdir()) == []
        assert len(list((root / "mail" / "processed" / "new").iterdir())) == 6
        returns = sorted(p.name.split("-")[0] for p in (root / "library" / "RR-2026-001" / "returns").iterdir())
        assert returns == ["CSC", "GP", "HLT", "POL"]

    def test_the_bounce_alerts_the_business_team_once(self, demo):
        _, root = demo
        alerts = [m for m in sent_mail(root) if "bounced" in str(m["Subject"])]
        assert [str(m["To"]) for m in alerts] == ["business-team@northshire-scp.example"]

    def test_nothing_went_to_an_address_the_configuration_does_not_name(self, demo):
        _, root = demo
        allowed = load_settings(DEFAULT_CONFIG).addresses()
        for m in sent_mail(root):
            recipients = [a.strip() for h in ("To", "Cc") for a in str(m[h] or "").split(",") if a.strip()]
            assert recipients and set(recipients) <= allowed
            assert str(m["Subject"]).startswith("OFFICIAL-SENSITIVE: ")

    def test_nothing_is_left_in_the_outbox(self, demo):
        _, root = demo
        assert Counter(r["status"] for r in outbox(root)) == Counter({"sent": len(outbox(root))})

    def test_the_timeline_tells_the_story_and_ends_with_the_files(self, demo):
        out, root = demo
        for line in ("SIN submitted", "bounces", "out of office", "escalation of EDU", "approves the report",
                     "rapid review report emailed to the Panel mailbox"):
            assert line in out
        assert out.index("approves the report") < out.index("emailed to the Panel")
        assert "Mon 18 Jan 2027  working day 14" in out
        assert str(root / "library" / "RR-2026-001" / "reports") in out and ".eml" in out

    def test_a_second_run_starts_from_a_fresh_workspace_with_the_same_facts(self, demo, tmp_path):
        out, root = demo
        again = cspr("demo", "--workspace", str(root)).stdout
        assert again.count("information request with form") == out.count("information request with form") == 6

    def test_the_panel_report_carries_the_merged_chronology_from_the_returned_forms(self, demo):
        import io

        import docx

        from bot.documents.returns import parse_uk_date

        _, root = demo
        (message,) = [m for m in sent_mail(root) if str(m["To"]) == "review-panel@national-panel.example"]
        (attachment,) = list(message.iter_attachments())
        report = docx.Document(io.BytesIO(attachment.get_content()))
        table = next(t for t in report.tables if [c.text for c in t.rows[0].cells][:2] == ["Date", "Agency"])
        rows = [[c.text for c in r.cells] for r in table.rows[1:]]
        assert {r[1] for r in rows} == {"Northshire Police", "Northshire Children's Social Care",
                                        "Northshire Community Health NHS Trust",
                                        "Northshire Primary Care (GP practices)"}
        dates = [parse_uk_date(r[0]) for r in rows]
        assert None not in dates and dates == sorted(dates) and len(rows) == 7
        header = report.sections[0].header.paragraphs[0].text
        assert header == "OFFICIAL-SENSITIVE"
