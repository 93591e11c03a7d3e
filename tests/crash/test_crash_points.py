"""The crash hook and the harness's judge: a point kills the process only when and where asked, every named
point is called from exactly one place, and the invariants catch each kind of damage they name."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from collections import Counter
from dataclasses import replace
from io import BytesIO

import pytest

from bot.crashpoints import POINTS, crash_point
from tests.conftest import ROOT
from tests.crash.harness import Facts, Outcome, check, hits_for, table
from tests.crash.harness import Row as MatrixRow

PROBE = ("from bot.crashpoints import crash_point\n"
         "for n in range(3):\n    crash_point('send.marked')\n    print(n, flush=True)\n")


def probe(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CSPR_")}
    return subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env={**clean, **env}, capture_output=True,
                          text=True, timeout=60)


def test_the_process_is_killed_at_the_named_point_on_the_asked_hit_and_not_before() -> None:
    result = probe(CSPR_CRASH_AT="send.marked", CSPR_CRASH_HIT="2")
    assert result.returncode == -9  # SIGKILL: nothing after it ran, not even interpreter shutdown
    assert result.stdout.split() == ["0"]


def test_an_unarmed_process_runs_through_every_point() -> None:
    result = probe()
    assert result.returncode == 0 and result.stdout.split() == ["0", "1", "2"]


def test_a_point_that_is_not_named_is_refused_when_the_hook_is_armed() -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CSPR_")}
    result = subprocess.run([sys.executable, "-c", "from bot.crashpoints import crash_point; crash_point('nowhere')"],
                            cwd=ROOT, env={**clean, "CSPR_CRASH_COUNT": "1"}, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1 and "not in bot.crashpoints.POINTS" in result.stderr


def test_in_the_test_process_the_hook_is_inert() -> None:
    assert "CSPR_CRASH_AT" not in os.environ
    crash_point("send.marked")  # returns: nothing armed


def test_there_are_at_least_25_points_each_called_from_exactly_one_place_in_the_bot() -> None:
    calls: Counter[str] = Counter()
    for path in (ROOT / "bot").rglob("*.py"):
        if path.name != "crashpoints.py":
            text = path.read_text()
            calls.update(re.findall(r'crash_point\("([a-z_.]+)"\)', text))
            calls.update(re.findall(r'crash="([a-z_.]+)"', text))  # write_atomic's point, named by its caller
    assert len(POINTS) >= 25
    assert {p: calls[p] for p in POINTS if calls[p] != 1} == {}
    assert set(calls) <= set(POINTS)


def test_seeds_pick_distinct_hits_first_and_the_same_ones_every_time() -> None:
    hits = hits_for("local", "send.marked", 88, 10)
    assert len(set(hits)) == 10 and all(1 <= h <= 88 for h in hits)
    assert hits == hits_for("local", "send.marked", 88, 10)
    assert sorted(hits_for("local", "submit.queued", 1, 3)) == [1, 1, 1]
    assert hits_for("local", "graph.send.posted", 0, 3) == []


def _docx() -> bytes:
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("word/document.xml", "<w:document/>" * 50)
    return out.getvalue()


REF = "RR-2026-001"
REFERENCE = Facts(
    transmitted=Counter({f"request:{REF}:POL": 1, f"request:{REF}:GP": 1, f"ack:{REF}:POL:1": 1, f"panel:{REF}": 1}),
    outbox={f"request:{REF}:POL": "sent", f"request:{REF}:GP": "sent", f"ack:{REF}:POL:1": "sent",
            f"panel:{REF}": "sent"},
    audited_sent=Counter({f"request:{REF}:POL": 1, f"request:{REF}:GP": 1, f"panel:{REF}": 1}),
    inbound=["agency_return:processed"], left_in_inbox=0, drafts_left=0,
    cases=[(REF, "submitted_to_panel", "2027-01-18 09:15:00+00:00")],
    requests=[(REF, "GP", "sent", 2), (REF, "POL", "returned", 0)],
    library={f"{REF}/returns/POL-1.docx": _docx(), f"{REF}/reports/final.docx": _docx()}, ref=REF)


def verdict(facts: Facts) -> dict[str, list[str]]:
    outcome = check(Outcome("local", "send.marked", 1, killed=True, facts=facts), REFERENCE)
    return {k: v for k, v in outcome.violations.items() if v}


def test_the_run_nobody_killed_passes_its_own_judgement() -> None:
    assert verdict(REFERENCE) == {}


@pytest.mark.parametrize(("change", "kind", "says"), [
    ({"transmitted": REFERENCE.transmitted + Counter({f"request:{REF}:GP": 1})}, "duplicates",
     f"request:{REF}:GP transmitted 2 times"),
    ({"transmitted": REFERENCE.transmitted - Counter({f"panel:{REF}": 1})}, "losses", f"panel:{REF} never transmitted"),
    ({"transmitted": REFERENCE.transmitted + Counter({f"ack:{REF}:POL:1": 1})}, "duplicates", "transmitted 2 times"),
    ({"drafts_left": 1}, "duplicates", "draft(s) left in Drafts"),
    ({"inbound": [None]}, "losses", "inbound message 1 never recorded"),
    ({"left_in_inbox": 1}, "losses", "left in the inbox"),
    ({"outbox": {**REFERENCE.outbox, f"ack:{REF}:POL:1": "pending"}}, "stuck", f"ack:{REF}:POL:1 left pending"),
    ({"requests": [(REF, "GP", "sent", 2), (REF, "GP", "sent", 2), (REF, "POL", "returned", 0)]}, "duplicates",
     f"{REF}/GP has 2 request items"),
    ({"requests": [(REF, "GP", "sent", 1), (REF, "POL", "returned", 0)]}, "disagreements", "differ from the reference"),
    ({"requests": [(REF, "POL", "returned", 0)]}, "disagreements", "the register has no request item"),
    ({"cases": [(REF, "approved", "")]}, "disagreements", "Panel submission and the ledger's disagree"),
    ({"library": {**REFERENCE.library, f"{REF}/returns/POL-1.docx": _docx()[:40]}}, "half_written",
     "not a complete Word file"),
    ({"library": {**REFERENCE.library, f"{REF}/returns/.POL-2.docx.tmp-4242": b"PK"}}, "half_written",
     "temporary file left behind"),
    ({"library": {f"{REF}/reports/final.docx": _docx()}}, "losses", "missing from the library"),
    ({"library": {**REFERENCE.library, f"{REF}/reports/draft v2.docx": _docx()}}, "duplicates",
     "not in the reference run"),
])
def test_each_kind_of_damage_is_caught_and_named(change: dict[str, object], kind: str, says: str) -> None:
    found = verdict(replace(REFERENCE, **change))  # type: ignore[arg-type]
    assert kind in found, found
    assert any(says in line for line in found[kind]), found


def test_the_table_shows_points_seeds_and_outcomes_with_totals() -> None:
    rows = [MatrixRow("local", "send.marked", 88, runs=3, killed=3),
            MatrixRow("local", "graph.send.posted", 0)]
    rows[0].found["duplicates"] = 1
    text = table(rows)
    assert "| local | send.marked | 88 | 3 | 3 | 1 | 0 | 0 | 0 | 0 | 0 |" in text
    assert "not on this backend" in text
    assert "| **all** | 1 points | | 3 | 3 | 1 | 0 | 0 | 0 | 0 | 0 |" in text
