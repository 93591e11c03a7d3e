"""The `cspr-bot` command as a user runs it: a real subprocess, a temporary workspace."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import DEFAULT_CONFIG, ROOT

pytestmark = pytest.mark.e2e
EXE = str(Path(sys.executable).parent / "cspr-bot")


def cspr(*args: str, cwd: Path = ROOT, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CSPR_BOT_CONFIG"}
    done = subprocess.run([EXE, *args], cwd=cwd, capture_output=True, text=True, timeout=60, env=env)
    if check and done.returncode != 0:
        raise AssertionError(f"cspr-bot {' '.join(args)} exited {done.returncode}: {done.stderr}")
    return done


class TestDeadlines:
    def test_the_worked_example_prints_the_sin_deadline_as_json(self):
        out = json.loads(cspr("deadlines", "--aware", "2026-12-22", "--json").stdout)
        assert out == {"sin_notification_due": "2026-12-31"}

    def test_every_date_given_determines_exactly_the_named_keys(self):
        out = json.loads(cspr("deadlines", "--aware", "2026-12-22", "--sin", "2026-12-23", "--decision",
                              "2027-01-29", "--publication", "2027-07-20", "--json").stdout)
        assert out == {
            "sin_notification_due": "2026-12-31",
            "rapid_review_due": "2027-01-18",
            "lcspr_publication_due": "2027-07-29",
            "pre_publication_submission_due": "2027-07-09",
            "published_until": "2028-07-20",
        }

    def test_a_partnership_that_starts_the_clock_at_awareness_needs_no_sin_date(self):
        out = json.loads(cspr("--config", "config/pan-county.example.toml", "deadlines", "--aware", "2026-12-22",
                              "--partnership", "west-wessex", "--json").stdout)
        assert out["rapid_review_due"] == "2027-01-15"

    def test_it_works_outside_the_project_folder_with_national_defaults(self, tmp_path):
        out = json.loads(cspr("deadlines", "--aware", "22/12/2026", "--json", cwd=tmp_path).stdout)
        assert out == {"sin_notification_due": "2026-12-31"}

    def test_the_human_output_names_each_rule_and_its_source(self):
        out = cspr("deadlines", "--aware", "2026-12-22", "--sin", "2026-12-23").stdout
        assert "sin_notification_due" in out and "Thu 31 Dec 2026" in out
        assert "Children Act 2004 s16C" in out and "strict reading" in out

    def test_a_bad_date_is_one_line_naming_the_argument_with_status_2(self):
        done = cspr("deadlines", "--aware", "2026-02-30", check=False)
        assert done.returncode == 2
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "--aware" in lines[0] and "2026-02-30" in lines[0]
        assert done.stdout == ""


class TestCaseCommands:
    def test_a_case_added_is_listed_with_its_deadlines(self, tmp_path):
        ws = str(tmp_path / "ws")
        added = json.loads(cspr("--workspace", ws, "case", "add", "--ref", "RR-2026-014", "--child", "Child A",
                                "--aware", "2026-12-22", "--sin", "2026-12-23", "--agency", "POL,HLT",
                                "--domestic-abuse", "--json").stdout)
        assert added["ref"] == "RR-2026-014" and added["stage"] == "sin_submitted"
        listed = json.loads(cspr("--workspace", ws, "case", "list", "--json").stdout)
        assert [c["ref"] for c in listed] == ["RR-2026-014"]
        dues = {d["name"]: d["due"] for d in listed[0]["deadlines"]}
        assert dues == {"sin_notification_due": "2026-12-31", "rapid_review_due": "2027-01-18"}
        assert listed[0]["flags"] == ["domestic_abuse"] and listed[0]["agencies"] == ["POL", "HLT"]

    def test_an_update_records_the_person_and_shows_in_case_show(self, tmp_path):
        ws = str(tmp_path / "ws")
        cspr("--workspace", ws, "case", "add", "--child", "Child B", "--aware", "2026-11-16")
        done = cspr("--workspace", ws, "case", "update", "RR-2026-001", "--sin", "2026-11-17", "--approve",
                    "--by", "crg.chair@northshire-scp.example")
        assert "warning" not in done.stderr
        shown = json.loads(cspr("--workspace", ws, "case", "show", "RR-2026-001", "--json").stdout)
        assert shown["modified_by"] == "crg.chair@northshire-scp.example"
        assert shown["approved"] is True and shown["sin_submitted"] == "2026-11-17"

    def test_approval_by_someone_who_is_not_a_lead_is_warned_about(self, tmp_path):
        ws = str(tmp_path / "ws")
        cspr("--workspace", ws, "case", "add", "--child", "Child B", "--aware", "2026-11-16")
        done = cspr("--workspace", ws, "case", "update", "RR-2026-001", "--approve", "--by", "intern@x.example")
        assert "not a lead allowed to approve" in done.stderr

    def test_an_unknown_agency_is_refused_with_the_known_codes(self, tmp_path):
        done = cspr("--workspace", str(tmp_path), "case", "add", "--child", "Child C", "--aware", "2026-11-16",
                    "--agency", "XYZ", check=False)
        assert done.returncode == 1 and "XYZ" in done.stderr and "POL" in done.stderr

    def test_status_and_tick_report_on_the_workspace(self, tmp_path):
        ws = str(tmp_path / "ws")
        cspr("--workspace", ws, "case", "add", "--child", "Child A", "--aware", "2026-12-22", "--sin", "2026-12-23")
        ticked = json.loads(cspr("--workspace", ws, "tick", "--now", "2027-01-19T09:00", "--json").stdout)
        assert ticked["sync_cases"]["updated"] == ["RR-2026-001"]
        status = json.loads(cspr("--workspace", ws, "status", "--json").stdout)
        assert status["cases"] == 1 and status["outbox"]["pending"] == 0
        assert status["open_cases"][0]["next"] == {"name": "rapid_review_due", "due": "2027-01-18"}

    def test_a_looked_after_childs_case_shows_the_dfe_notification_and_its_places(self, tmp_path):
        ws = str(tmp_path / "ws")
        cspr("--workspace", ws, "case", "add", "--child", "Child D", "--aware", "2026-12-22", "--looked-after",
             "--age", "15", "--incident-la", "Southshire", "--residence-la", "Northshire", "--responsible-la",
             "Northshire", "--joint-review", "Southshire SCP", "--dardr", "dhr@southshire-csp.example")
        shown = json.loads(cspr("--workspace", ws, "case", "show", "RR-2026-001", "--json").stdout)
        assert (shown["age"], shown["incident_la"], shown["residence_la"], shown["responsible_la"]) == (
            15, "Southshire", "Northshire", "Northshire")
        assert shown["joint_review_with"] == "Southshire SCP" and shown["dardr_contact"] == "dhr@southshire-csp.example"
        assert "Secretary of State and Ofsted must be notified through the DfE online system by 2026-12-31" in (
            shown["dfe_notification"])
        text = cspr("--workspace", ws, "status").stdout
        assert "DfE notification: the Secretary of State and Ofsted must be notified" in text
        cspr("--workspace", ws, "case", "update", "RR-2026-001", "--dfe-notified", "2026-12-23", "--by",
             "business-team@northshire-scp.example")
        shown = json.loads(cspr("--workspace", ws, "case", "show", "RR-2026-001", "--json").stdout)
        assert shown["dfe_notification"] == "made 2026-12-23 (looked-after child)"
        assert "DfE notification" not in cspr("--workspace", ws, "status").stdout

    def test_the_lcspr_decision_approvals_and_publication_are_entered_from_the_command_line(self, tmp_path):
        ws, chair = str(tmp_path / "ws"), "crg.chair@northshire-scp.example"
        cspr("--workspace", ws, "case", "add", "--child", "Child A", "--aware", "2026-12-22", "--sin", "2026-12-23")
        cspr("--workspace", ws, "case", "update", "RR-2026-001", "--by", chair, "--panel-responded", "2027-02-01",
             "--panel-response", "Agrees an LCSPR", "--lcspr", "commissioned", "--decision", "2027-02-03",
             "--reviewer", "R. Example", "--approve-notices")
        done = cspr("--workspace", ws, "case", "update", "RR-2026-001", "--by", chair,
                    "--publication", "2027-07-30", "--approve-lcspr-report")
        assert "warning" not in done.stderr
        shown = json.loads(cspr("--workspace", ws, "case", "show", "RR-2026-001", "--json").stdout)
        assert shown["lcspr_outcome"] == "commissioned" and shown["reviewer"] == "R. Example"
        assert shown["notices_approved_by"] == chair and shown["lcspr_report_approved_by"] == chair
        dues = {d["name"]: d["due"] for d in shown["deadlines"]}
        assert dues["lcspr_publication_due"] == "2027-08-03"
        assert dues["pre_publication_submission_due"] == "2027-07-21"
        refused = cspr("--workspace", ws, "case", "update", "RR-2026-001", "--approve-notices", "--by",
                       "intern@x.example")
        assert "not a lead allowed to approve" in refused.stderr

    def test_status_lists_open_cases_under_each_partnership(self, tmp_path):
        ws, config = str(tmp_path / "ws"), "config/pan-county.example.toml"
        for pid, child in (("east-wessex", "Child A"), ("west-wessex", "Child B"), ("east-wessex", "Child C")):
            cspr("--config", config, "--workspace", ws, "case", "add", "--partnership", pid, "--child", child,
                 "--aware", "2026-12-22")
        text = cspr("--config", config, "--workspace", ws, "status").stdout
        east = text.index("East Wessex Safeguarding Children Partnership: 2 open cases")
        west = text.index("West Wessex Safeguarding Children Partnership: 1 open case")
        city = text.index("Wessex City Safeguarding Children Partnership: 0 open cases")
        assert text.index("EW-2026-001") > east and text.index("EW-2026-002") < west < text.index("WW-2026-001") < city
        data = json.loads(cspr("--config", config, "--workspace", ws, "status", "--json").stdout)
        assert {c["ref"]: c["partnership"] for c in data["open_cases"]} == {
            "EW-2026-001": "east-wessex", "EW-2026-002": "east-wessex", "WW-2026-001": "west-wessex"}
        assert all(c["next"]["name"] == "sin_notification_due" for c in data["open_cases"])


class TestConfigErrors:
    def test_a_malformed_config_names_the_key_and_the_fix(self, tmp_path):
        bad = tmp_path / "bad.toml"
        bad.write_text(DEFAULT_CONFIG.read_text().replace('kind = "police"', 'kind = "constabulary"'))
        done = cspr("--config", str(bad), "case", "list", check=False)
        assert done.returncode == 2
        assert "partnerships[0].agencies[0].kind" in done.stderr and "Fix:" in done.stderr
        assert "Traceback" not in done.stderr


class TestRun:
    def test_the_service_refuses_to_start_twice_on_one_workspace(self, tmp_path):
        ws = str(tmp_path / "ws")
        first = subprocess.Popen([EXE, "--workspace", ws, "run"], cwd=ROOT, stderr=subprocess.PIPE, text=True)
        try:
            assert first.stderr is not None
            assert "running" in first.stderr.readline()
            second = cspr("--workspace", ws, "run", check=False)
            assert second.returncode == 1 and "already running" in second.stderr
        finally:
            first.send_signal(signal.SIGTERM)
            first.wait(timeout=20)
        assert first.returncode == 0

    def test_help_never_imports_the_graph_sdk(self):
        code = ("import sys; from bot.cli import main; sys.argv = ['cspr-bot', '--help']\n"
                "try:\n    main()\nexcept SystemExit:\n    pass\n"
                "print('msgraph loaded:', any(m.split('.')[0] == 'msgraph' for m in sys.modules))")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
        assert "Commands:" in done.stdout
        assert done.stdout.strip().endswith("msgraph loaded: False")


class TestDemo:
    def test_the_demo_runs_in_its_own_workspace_and_exits_0(self, tmp_path):
        done = cspr("demo", "--workspace", str(tmp_path / "demo"))
        assert "RR-2026-001" in done.stdout and "emailed to the Panel mailbox" in done.stdout
        assert (tmp_path / "demo" / "register.sqlite").exists()

    def test_the_demo_refuses_to_empty_a_folder_it_did_not_make(self, tmp_path):
        (tmp_path / "precious.txt").write_text("keep me")
        done = cspr("demo", "--workspace", str(tmp_path), check=False)
        assert done.returncode == 1 and (tmp_path / "precious.txt").exists()


class TestRunPicksUpMail:
    def test_an_eml_dropped_into_the_inbox_is_filed_within_an_ingest_interval(self, tmp_path):
        config = tmp_path / "fast.toml"
        config.write_text(DEFAULT_CONFIG.read_text().replace("ingest_seconds = 60", "ingest_seconds = 1"))
        ws = tmp_path / "ws"
        service = subprocess.Popen([EXE, "--config", str(config), "--workspace", str(ws), "run"], cwd=ROOT,
                                   stderr=subprocess.PIPE, text=True)
        try:
            assert service.stderr is not None and "running" in service.stderr.readline()
            dropped = ws / "mail" / "inbox" / "new" / "hello.eml"
            (ws / "mail" / "inbox" / "tmp" / "hello.eml").write_bytes(
                b"From: someone@elsewhere.example\r\nTo: cspr-bot@northshire-scp.example\r\n"
                b"Subject: a question\r\nMessage-ID: <q1@elsewhere.example>\r\n\r\nHello\r\n")
            (ws / "mail" / "inbox" / "tmp" / "hello.eml").rename(dropped)
            filed = ws / "mail" / "needs-attention" / "new" / "hello.eml"
            for _ in range(300):  # a liveness bound (30 s), not a speed claim: bench/ measures latency
                if filed.exists() and not dropped.exists():
                    break
                time.sleep(0.1)
            assert filed.exists() and not dropped.exists()
            assert filed.read_bytes().startswith(b"X-CSPR-Reason: no request reference")
        finally:
            service.send_signal(signal.SIGTERM)
            service.wait(timeout=20)
