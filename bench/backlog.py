"""Backlog: agency replies waiting after an outage, drained by the bot (ingest_mail passes) through the real SDK
against the Graph emulator enforcing Outlook's documented per-mailbox limits (4 concurrent requests, 10,000
requests per 10 minutes; over either, 429 with Retry-After).

The register holds the same 2,000 open requests (400 cases x 5 agencies) in every run; only the number of
replies waiting differs (200 or 2,000), so a difference in the bot's memory is the backlog's. Each reply is an
agency's return with its completed Word form attached. The bot runs in a process of its own
(bench/backlog_worker.py) so its peak RSS is not the emulator's.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.measure import Results  # noqa: E402

CASES, AGENCIES = 400, ("POL", "CSC", "HLT", "GP", "EDU")
SENT_DAY, DRAIN_DAY = date(2027, 1, 5), date(2027, 1, 12)


def fill(g: Any, settings: Any, site: str) -> list[bytes]:
    """The register (cases and their sent requests, straight into the emulator's lists) and one reply per
    request, built but not delivered."""
    from bench.graph_rig import at
    from bot.demo.agencies import completed_form
    from bot.documents.examples import EXAMPLES
    from bot.documents.render import DocumentTemplates
    from bot.domain.casework import computed_fields, derived_stage
    from bot.domain.correlation import token_for
    from bot.domain.model import AgencyRequest, Case, RequestStatus
    from bot.domain.records import case_to_fields, request_to_fields

    p = settings.partnerships[0].to_domain()
    form = DocumentTemplates().render("information_request", EXAMPLES["information_request"]).data
    leads = {a.code: a.lead_address for a in p.agencies}
    forms = {code: completed_form(form, code, DRAIN_DAY) for code in AGENCIES}
    replies = []
    for i in range(CASES):
        ref = f"RR-2027-{i + 1:03d}"
        case = Case(ref=ref, partnership=p.id, child=f"Child {i + 1}", la_aware=SENT_DAY, sin_submitted=SENT_DAY,
                    agencies=AGENCIES)
        case = case.with_changes(stage=derived_stage(case))
        g.add_item(site, "Cases", {**case_to_fields(case), **computed_fields(case, p, SENT_DAY)},
                   by=p.team_address)
        for code in AGENCIES:
            token = token_for(ref, code)
            g.add_item(site, "Agency requests", request_to_fields(AgencyRequest(
                ref, code, token.value, RequestStatus.SENT, SENT_DAY, date(2027, 1, 19))))
            msg = EmailMessage()
            msg["From"] = f"Safeguarding Lead <{leads[code]}>"
            msg["To"] = settings.bot.mailbox_address
            msg["Subject"] = f"RE: Information request {token}"
            msg["Date"] = at(DRAIN_DAY, 8).strftime("%a, %d %b %Y %H:%M:%S +0000")
            msg["Message-ID"] = f"<{ref}-{code}@{leads[code].rpartition('@')[2]}>"
            msg.set_content("Please find our completed information return attached.\n\nSafeguarding lead")
            msg.add_attachment(forms[code], maintype="application",
                               subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
                               filename=f"{code} return - completed.docx")
            replies.append(msg.as_bytes())
    return replies


def drain(n: int) -> dict[str, Any]:
    """One run: a fresh emulator and workspace, `n` replies waiting, the bot drains them."""
    from bench.graph_rig import provision
    from tests.graph_emulator import GraphEmulator

    with GraphEmulator() as g, tempfile.TemporaryDirectory() as tmp:
        settings, site = provision(g)
        replies = fill(g, settings, site)
        for raw in replies[:n]:
            g.deliver(settings.bot.mailbox_address, raw)
        g.enforce_mailbox_limits(concurrent=4, requests=10_000, window_seconds=600)
        g.reset_mailbox_stats()
        before = len(g.requests)
        out = subprocess.run([sys.executable, str(ROOT / "bench" / "backlog_worker.py"), g.base_url, tmp],
                             cwd=ROOT, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            raise RuntimeError(f"backlog worker failed: {out.stderr[-2000:]}")
        result = json.loads(out.stdout.strip().splitlines()[-1])
        stats = g.mailbox_stats(settings.bot.mailbox_address)
        made = g.requests[before:]
        result.update(requests=len(made), mailbox_requests=stats.requests, peak_concurrency=stats.peak_concurrency,
                      throttled=stats.throttled, left=len(g.messages(settings.bot.mailbox_address, "inbox")))
        return result


def run(results: Results, runs: int = 2) -> None:
    key = "backlog"
    results.section(key, "3. Backlog after an outage", __doc__.split("\n\n")[0].replace("\n", " ").strip())
    small = [drain(200) for _ in range(runs)]
    large = [drain(2000) for _ in range(max(1, runs - 1))]  # 2,000 once by default: about 2.5 minutes a run
    for label, found in (("200 replies", small), ("2,000 replies", large)):
        n = 200 if label.startswith("200") else 2000
        assert all(r["processed"] == n and r["left"] == 0 for r in found), found
        base = "drain 200 replies"
        rate, load = n / statistics_median([r["wall"] for r in found]), statistics_median([r["load"] for r in found])
        results.add(key, f"drain {label}: wall time", [r["wall"] for r in found], "s",
                    baseline=f"{base}: wall time" if n == 2000 else None,
                    note=f"{rate:.0f} replies/s; before it, the register's first load (400 cases, 2,000 "
                         f"requests) took {load:.1f} s")
        results.add(key, f"drain {label}: requests per reply", [r["requests"] / n for r in found], "requests",
                    note=f"all Graph requests; the mailbox's {found[0]['mailbox_requests'] / n:.2f} per reply")
        results.add(key, f"drain {label}: peak concurrent mailbox requests",
                    [float(r["peak_concurrency"]) for r in found], "count",
                    note=f"limit 4; the bot's limiter saw at most {max(r['limiter_peak'] for r in found)}")
        results.add(key, f"drain {label}: 429 responses", [float(r["throttled"]) for r in found], "count",
                    note="from the emulator enforcing 4 concurrent and 10,000 per 10 min per mailbox")
        results.add(key, f"drain {label}: bot memory growth during the drain",
                    [r["rss_peak_mb"] - r["rss_start_mb"] for r in found], "MB",
                    baseline=f"{base}: bot memory growth during the drain" if n == 2000 else None,
                    note=f"highest resident memory minus that at the start of the drain (sampled every 10 ms); "
                         f"resident at the start {statistics_median([r['rss_start_mb'] for r in found]):.0f} MB, "
                         f"process peak {statistics_median([r['maxrss_mb'] for r in found]):.0f} MB (the SDK's "
                         "warm-up at start)")


def statistics_median(values: list[float]) -> float:
    import statistics

    return statistics.median(values)


if __name__ == "__main__":
    r = Results()
    run(r, runs=int(sys.argv[1]) if len(sys.argv) > 1 else 3)
