"""Scale: one process serving 150 partnerships x 30 open cases x 15 agencies on the local workspace, against
1 partnership x 30 cases x 15 agencies (the baseline), with the same mix of stages per partnership.

    .venv/bin/python bench/scale.py

Each size runs in a fresh subprocess (so its peak RSS is its own): the register is written in bulk (a case's
columns exactly as `bot.cases.add_case` computes them, the agency requests as `start_rapid_review` records
them), then `bootstrap.tick` runs at 10:00 on a working Wednesday (the first tick: every once-only message,
the requests of the newly submitted cases, the day's digests and chasers, all sent through the outbox), and
then at +5, +10 and +15 minutes (steady ticks: nothing new to send; this is what the service pays every
5 minutes), then the every-minute jobs alone three times (ingest_mail, collate_returns, send_outbox on an empty
inbox). Nothing here is asserted.

    .venv/bin/python bench/scale.py --child 150 30 --profile /tmp/scale.prof   # one size, with cProfile stats
                                                                                # of the first (.first) and last tick
"""

from __future__ import annotations

import json
import string
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.measure import Results, peak_rss_mb  # noqa: E402

if TYPE_CHECKING:
    from bot.domain.model import AgencyRequest, Case, Partnership
    from bot.settings import Settings

KEY = "scale"
TODAY = date(2027, 3, 10)  # a Wednesday, no bank holiday near, GMT
STEADY_RUNS = 3
# the 15 agencies of every partnership: the shipped example's 7, and 8 more
MORE_AGENCIES = (("AMB", "Ambulance Service", "health"), ("MH", "Mental Health Trust", "health"),
                 ("HSG", "Housing Service", "housing"), ("YJS", "Youth Justice Service", "other"),
                 ("ICB", "Integrated Care Board", "health"), ("EYS", "Early Years Service", "education"),
                 ("CAF", "Cafcass", "other"), ("FIR", "Fire and Rescue Service", "other"))


def prefix(k: int) -> str:
    """A case reference prefix of letters only (PAA, PAB, ...): one per partnership."""
    return "P" + string.ascii_uppercase[k // 26 % 26] + string.ascii_uppercase[k % 26]


def settings_for(partnerships: int) -> Settings:
    """The shipped configuration with its partnership copied `partnerships` times (ids, names and reserved
    *.example domains varied), each with 15 agencies."""
    from bot.settings import Settings, load_settings

    base = load_settings(ROOT / "config" / "cspr-bot.toml").model_dump(mode="json")
    template = base["partnerships"][0]
    template["agencies"] += [
        {"code": code, "name": f"Northshire {name}", "kind": kind,
         "lead_address": f"reviews@northshire-{code.lower()}.example",
         "escalation_address": f"head@northshire-{code.lower()}.example", "allowed_domains": []}
        for code, name, kind in MORE_AGENCIES]
    text = json.dumps(template)
    found = []
    for k in range(partnerships):
        p = json.loads(text.replace("Northshire", f"Shire{k:03d}").replace("northshire", f"shire{k:03d}"))
        p.update(id=f"shire{k:03d}", case_prefix=prefix(k))
        found.append(p)
    return Settings.model_validate({**base, "partnerships": found})


def pseudonym(n: int) -> str:
    """Child A ... Child Z, Child AA ...: fictional pseudonyms, as the register holds them."""
    letters = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        letters = string.ascii_uppercase[r] + letters
    return f"Child {letters}"


def case_for(p: Partnership, slot: int, n: int, today: date) -> tuple[Case, list[AgencyRequest]]:
    """The `slot`-th case of a partnership's 30 (slot 0..29 always gives the same stage), and its requests."""
    from bot.domain.correlation import token_for
    from bot.domain.model import AgencyRequest, Case, LcsprOutcome, RequestStatus, Stage
    from bot.domain.rules import agency_return_due

    cal, codes = p.policy.calendar, tuple(a.code for a in p.agencies)
    ref = f"{p.case_prefix}-2027-{n + 1:03d}"
    chair = next(lead.address for lead in p.leads if lead.can_approve)
    common: dict[str, Any] = {"ref": ref, "partnership": p.id, "child": pseudonym(n), "agencies": codes}

    def back(days: int) -> date:
        return cal.subtract_working_days(today, days)

    def requests(sin: date, returned: int) -> list[AgencyRequest]:
        due = agency_return_due(sin, p.policy.agency_return_working_days, cal)
        found = []
        for i, code in enumerate(codes):
            token = token_for(ref, code).value
            if i < returned:
                status = RequestStatus.NIL_RETURN if i == 0 else RequestStatus.RETURNED
                back_on = min(cal.add_working_days(sin, 1 + i % 7), today)
                found.append(AgencyRequest(ref, code, token, status, sin, due, returned=back_on))
            else:
                found.append(AgencyRequest(ref, code, token, RequestStatus.SENT, sin, due))
        return found

    if slot == 0:  # SIN submitted this morning: the next tick sends the 15 requests
        return Case(**common, la_aware=back(2), sin_submitted=today, stage=Stage.SIN_SUBMITTED), []
    if slot <= 2:  # referred, no SIN yet
        return Case(**common, la_aware=back(slot - 1), stage=Stage.REFERRED), []
    if slot <= 17:  # rapid review under way, 1 to 12 working days in; some returns in, some due or overdue
        k = 1 + (slot - 3) % 12
        sin = back(k)
        case = Case(**common, la_aware=cal.subtract_working_days(sin, 2), sin_submitted=sin,
                    stage=Stage.RAPID_REVIEW_IN_PROGRESS, rapid_review_started=True)
        return case, requests(sin, min(13, k + 3))
    started: dict[str, Any] = {"rapid_review_started": True}
    if slot <= 21:  # every return in, the draft report being worked on
        sin = back(10 + slot - 18)
        case = Case(**common, **started, la_aware=cal.subtract_working_days(sin, 2), sin_submitted=sin,
                    stage=Stage.REPORT_DRAFTED)
        return case, requests(sin, len(codes))
    if slot <= 24:  # approved and submitted to the Panel
        sin = back(20 + 5 * (slot - 22))
        sent = datetime.combine(cal.add_working_days(sin, 14), datetime.min.time(), UTC) + timedelta(hours=16)
        case = Case(**common, **started, la_aware=cal.subtract_working_days(sin, 2), sin_submitted=sin,
                    approved=True, approved_by=chair, submitted_to_panel=sent, stage=Stage.SUBMITTED_TO_PANEL)
        return case, requests(sin, len(codes))
    sin = back(40 if slot <= 27 else 250)
    sent = datetime.combine(cal.add_working_days(sin, 14), datetime.min.time(), UTC) + timedelta(hours=16)
    decided: dict[str, Any] = {**started, "la_aware": cal.subtract_working_days(sin, 2), "sin_submitted": sin,
                               "approved": True, "approved_by": chair, "submitted_to_panel": sent,
                               "panel_responded": cal.add_working_days(sin, 25),
                               "panel_response": "The Panel agreed with the partnership's decision."}
    if slot <= 26:  # the Panel has responded; no decision on a local review yet
        return Case(**common, **decided, stage=Stage.PANEL_RESPONDED), requests(sin, len(codes))
    if slot == 27:  # the partners decided not to commission a local review
        case = Case(**common, **decided, lcspr_decision=cal.add_working_days(sin, 16),
                    lcspr_outcome=LcsprOutcome.NOT_COMMISSIONED, no_lcspr_reasons="Learning captured in the rapid "
                    "review.", stage=Stage.LCSPR_NOT_COMMISSIONED)
        return case, requests(sin, len(codes))
    # a local review, commissioned, published a month ago
    published = today - timedelta(days=30)
    case = Case(**common, **decided, lcspr_decision=cal.add_working_days(sin, 16),
                lcspr_outcome=LcsprOutcome.COMMISSIONED, reviewer="Independent Reviewer", notices_approved=True,
                notices_approved_by=chair, lcspr_report_approved=True, lcspr_report_approved_by=chair,
                publication=published, pre_publication_sent=published - timedelta(days=30), published=published,
                stage=Stage.PUBLISHED)
    return case, requests(sin, len(codes))


def populate(register_path: Path, partnerships: dict[str, Partnership], cases_each: int,
             today: date) -> tuple[int, int]:
    """Every case and request written in one transaction straight into the local register's SQLite file (the
    adapter's own schema; `add_case` one by one re-reads the register for each). Returns (cases, requests)."""
    import sqlite3

    from bot.domain.casework import case_problems, computed_fields, derived_stage
    from bot.domain.records import CASES, REQUESTS, case_to_fields, request_to_fields

    made = datetime.combine(today, datetime.min.time(), UTC) - timedelta(days=1)
    rows: list[tuple[str, str, str, str, int]] = []
    by, at = "business-team@scale.example", made.isoformat()
    n = asked_n = 0
    for p in partnerships.values():
        for slot in range(cases_each):
            case, asked = case_for(p, slot % 30, slot, today)
            case = case.with_changes(stage=derived_stage(case))
            problems = case_problems(case, p)
            assert not problems, problems
            fields = {**case_to_fields(case), **computed_fields(case, p, today)}
            rows.append((CASES, json.dumps(fields, sort_keys=True), by, at, len(rows) + 1))
            rows += [(REQUESTS, json.dumps(request_to_fields(r), sort_keys=True), "cspr-bot", at, len(rows) + 1 + i)
                     for i, r in enumerate(asked)]
            n += 1
            asked_n += len(asked)
    conn = sqlite3.connect(register_path)
    with conn:
        conn.executemany("INSERT INTO items (list, fields, modified_by, modified_at, change_seq)"
                         " VALUES (?, ?, ?, ?, ?)", rows)
    conn.close()
    return n, asked_n


def at10(today: date) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.combine(today, datetime.min.time().replace(hour=10), ZoneInfo("Europe/London")).astimezone(UTC)


def child(partnerships: int, cases_each: int, profile: str | None = None) -> dict[str, Any]:
    """In this (fresh) process: set up, tick once, then tick STEADY_RUNS more times, then run the every-minute jobs
    STEADY_RUNS times; figures as a dict."""
    import logging

    from bot.bootstrap import build_local_app, run_job, tick
    from bot.ports import OutboxStatus
    from bot.schedule import JOBS, every_ingest

    logging.getLogger("cspr_bot").setLevel(logging.WARNING)
    found: dict[str, Any] = {"rss_start": peak_rss_mb(), "partnerships": partnerships}
    settings = settings_for(partnerships)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        app = build_local_app(settings, Path(tmp) / "ws")
        assert app.workspace is not None
        found["cases"], found["requests"] = populate(app.workspace.register, app.partnerships, cases_each, TODAY)
        found["setup"] = time.perf_counter() - start
        found["rss_setup"] = peak_rss_mb()
        now = at10(TODAY)
        start = time.perf_counter()
        if profile:
            import cProfile

            first = cProfile.Profile()
            first.runcall(tick, app, now)
            first.dump_stats(f"{profile}.first")
        else:
            tick(app, now)
        found["first"] = time.perf_counter() - start
        found["rss_first"] = peak_rss_mb()
        found["sent_first"] = len(app.ledger.outbox(OutboxStatus.SENT))
        steady = []
        for i in range(1, STEADY_RUNS + 1):
            then = now + timedelta(minutes=5 * i)
            if profile and i == STEADY_RUNS:
                import cProfile

                prof = cProfile.Profile()
                start = time.perf_counter()
                prof.runcall(tick, app, then)
                steady.append(time.perf_counter() - start)
                prof.dump_stats(profile)
            else:
                start = time.perf_counter()
                tick(app, then)
                steady.append(time.perf_counter() - start)
        found["steady"] = steady
        minutely = [job.id for job in JOBS if job.trigger is every_ingest]
        passes = []
        for i in range(1, STEADY_RUNS + 1):
            then = now + timedelta(minutes=5 * STEADY_RUNS + i)
            start = time.perf_counter()
            for job_id in minutely:
                run_job(app, job_id, then)
            passes.append(time.perf_counter() - start)
        found["minutely"] = passes
        found["rss_steady"] = peak_rss_mb()
        found["sent_total"] = len(app.ledger.outbox(OutboxStatus.SENT))
        app.close()
    return found


def measure(partnerships: int, cases_each: int, profile: str | None = None) -> dict[str, Any]:
    args = [sys.executable, str(Path(__file__).resolve()), "--child", str(partnerships), str(cases_each)]
    if profile:
        args += ["--profile", profile]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"bench/scale.py --child {partnerships} {cases_each} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run(results: Results) -> None:
    results.section(KEY, "Scale", "One process serving many partnerships on the local workspace: `bootstrap.tick` "
                    "(every job once, as `cspr-bot run` does every 5 minutes) at 10:00 on a working day, each size "
                    "in a fresh process. Per partnership, 30 open cases of 15 agencies each: 1 SIN submitted that "
                    "morning (its 15 requests go out on the first tick), 2 referred, 15 rapid reviews under way "
                    "(1-12 working days in, some returns in, some due or overdue), 4 drafted, 3 with the Panel, 2 "
                    "answered by the Panel, 1 not commissioned, 2 local reviews published.")
    small = [measure(1, 30) for _ in range(3)]
    big = measure(150, 30)
    b_cases, s_cases = big["cases"], small[0]["cases"]
    results.add(KEY, "first tick, 1 x 30 x 15", [r["first"] for r in small], "s",
                note=f"{small[0]['sent_first']} messages sent")
    results.add(KEY, "first tick, 150 x 30 x 15", big["first"], "s", baseline="first tick, 1 x 30 x 15",
                note=f"{big['sent_first']:,} messages sent, {big['partnerships'] * 15:,} request forms rendered; "
                     "1 run: a second would need a second set-up and first tick, another 2 minutes")
    results.add(KEY, "first tick per case, 1 x 30", [r["first"] / s_cases * 1000 for r in small], "ms")
    results.add(KEY, "first tick per case, 150 x 30", big["first"] / b_cases * 1000, "ms",
                baseline="first tick per case, 1 x 30")
    results.add(KEY, "steady tick, 1 x 30 x 15", [t * 1000 for r in small for t in r["steady"]], "ms",
                note="nothing new to send")
    results.add(KEY, "steady tick, 150 x 30 x 15", [t * 1000 for t in big["steady"]], "ms",
                baseline="steady tick, 1 x 30 x 15", note="nothing new to send")
    results.add(KEY, "steady tick per case, 1 x 30", [t / s_cases * 1000 for r in small for t in r["steady"]], "ms")
    results.add(KEY, "steady tick per case, 150 x 30", [t / b_cases * 1000 for t in big["steady"]], "ms",
                baseline="steady tick per case, 1 x 30")
    results.add(KEY, "idle minute pass, 1 x 30 x 15", [t * 1000 for r in small for t in r["minutely"]], "ms",
                note="ingest_mail, collate_returns, send_outbox: the jobs run every minute; empty inbox")
    results.add(KEY, "idle minute pass, 150 x 30 x 15", [t * 1000 for t in big["minutely"]], "ms",
                baseline="idle minute pass, 1 x 30 x 15", note="empty inbox")
    results.add(KEY, "peak RSS, 1 x 30 x 15", [r["rss_steady"] for r in small], "MB",
                note="VmHWM of the process after its ticks")
    results.add(KEY, "peak RSS, 150 x 30 x 15", big["rss_steady"], "MB", baseline="peak RSS, 1 x 30 x 15",
                note=f"after set-up {big['rss_setup']:.0f} MB, after the first tick {big['rss_first']:.0f} MB")
    results.add(KEY, "set-up, 150 x 30 x 15 (bulk register write)", big["setup"], "s",
                note=f"{b_cases:,} cases and {big['requests']:,} agency requests in one transaction")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        profile = sys.argv[5] if len(sys.argv) > 5 and sys.argv[4] == "--profile" else None
        print(json.dumps(child(int(sys.argv[2]), int(sys.argv[3]), profile)))
    else:
        results = Results()
        run(results)
        print(results.markdown("bench/scale.py"))
