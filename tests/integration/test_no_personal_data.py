"""No personal data in logs or the audit trail: a case whose pseudonym, family names and free text are
canary strings goes through the whole demo rapid review with every logger at DEBUG, and no canary may
appear in any log line or audit row (they may, and must, appear in the emails and documents)."""

from __future__ import annotations

import io
import logging
import sqlite3
from pathlib import Path

from bot.bootstrap import build_local_app
from bot.demo.scenario import run_scenario
from bot.logs import JsonLines
from bot.settings import Settings

CANARIES = {
    "child": "Canary-Child-7f3a",
    "subjects": ("Canary-Mother-9b1c (mother, 12/07/1994)", "Canary-Partner-2d4e (mother's partner)"),
    "delay_reason": "Canary-Free-Text-5e6f awaiting the health return",
    "sin_reference": "Canary-SIN-8a9b",
}
MARKERS = ("Canary-Child-7f3a", "Canary-Mother-9b1c", "Canary-Partner-2d4e", "Canary-Free-Text-5e6f")


def test_no_canary_reaches_a_log_line_or_an_audit_row(settings: Settings, tmp_path: Path) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    old_level = root.level
    root.setLevel(logging.DEBUG)  # setLevel, not .level =: it clears the loggers' cached levels
    root.addHandler(handler)
    app = build_local_app(settings, tmp_path)
    try:
        ref = run_scenario(app, echo=lambda _line: None, case=CANARIES)
    finally:
        app.close()
        root.removeHandler(handler)
        root.setLevel(old_level)
    logged = stream.getvalue()
    assert "job send_outbox done" in logged or "job sync_cases done" in logged  # logging really was on
    rows = "\n".join(" ".join(map(str, r)) for r in sqlite3.connect(tmp_path / "ledger.sqlite").execute(
        "SELECT * FROM audit"))
    assert ref in rows  # the audit trail names cases by reference
    for marker in MARKERS:
        assert marker not in rows, f"{marker} in the audit trail"
        assert marker not in logged, f"{marker} in a log line"
    sent = "".join(p.read_text(errors="replace") for p in (tmp_path / "mail" / "sent" / "new").glob("*.eml"))
    assert "Canary-Child-7f3a" in sent  # the pseudonym does go where it belongs: the messages

