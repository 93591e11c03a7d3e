"""Start-up: what a command costs before it does anything, against a bare interpreter start (`python -c pass`);
the first tick of a Microsoft 365 instance in a cold process (the SDK's model warm-up included) against the
Graph emulator; and the memory of `cspr-bot run` over simulated hours.

    .venv/bin/python bench/startup.py

`cspr-bot run` on a fake clock: `bot.service.Service` (what `run` serves: the leadership check and heartbeat
before every job, the job under its correlation id, the metrics) is built as `run` builds it and driven without
sleeping: the watch every poll (15 s), ingest_mail, collate_returns and send_outbox every minute, the other jobs
every 5 minutes (bot/schedule.py), `now` advancing 15 s a step. Only APScheduler's own loop is left out.
Nothing here is asserted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.measure import Results, samples  # noqa: E402
from bench.measure import peak_rss_mb as peak_mb  # noqa: E402  (VmHWM: this process's own peak)

KEY = "startup"
EXE = str(Path(sys.executable).parent / "cspr-bot")
CONFIG = ROOT / "config" / "cspr-bot.toml"
ENV = {k: v for k, v in os.environ.items() if not k.startswith("CSPR_")}
BARE = "python -c pass"
SERVICE_HOURS = 3
SERVICE_RUNS = 3
GRAPH_RUNS = 3


def ms(values: list[float]) -> list[float]:
    return [v * 1000 for v in values]


def fresh_tick() -> None:
    """`cspr-bot tick` on a workspace made for it (the settings' own, the jobs on an empty register)."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([EXE, "--config", str(CONFIG), "--workspace", f"{tmp}/ws", "tick"], cwd=ROOT, env=ENV,
                       check=True, capture_output=True)


def child_json(args: list[str]) -> dict[str, Any]:
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), *args], cwd=ROOT, env=ENV,
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"bench/startup.py {' '.join(args[:1])} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# ---- the first Graph tick, in a cold process


def graph_case_at() -> tuple[datetime, datetime]:
    """When the case is added (its SIN submitted that morning), and the first tick (office hours, same day)."""
    from bot.demo.scenario import at

    return at(date(2026, 12, 24), 9), at(date(2026, 12, 24), 10)


def graph_child(base_url: str, token: str, workspace: str) -> dict[str, Any]:
    """In a fresh process: build_graph_app (the SDK's warm-up inside) and the first tick, timed."""
    started = time.perf_counter()
    import bot.adapters.graph.client as client
    from bot.adapters.graph.client import StaticTokenCredential
    from bot.bootstrap import build_graph_app, tick
    from bot.settings import GraphSettings, load_settings
    from tests.graph_sdk import SITE_REF

    imports = time.perf_counter() - started
    warmed: list[float] = []
    real_warm_up = client.warm_up

    def warm_up() -> float:
        warmed.append(real_warm_up())
        return warmed[-1]

    client.warm_up = warm_up  # build_graph_app imports it when called: this records what it took
    settings = load_settings(CONFIG)
    settings = settings.model_copy(update={
        "bot": settings.bot.model_copy(update={"backend": "graph"}),
        "graph": GraphSettings(auth="static_token", base_url=base_url, site=SITE_REF)})
    start = time.perf_counter()
    app = build_graph_app(settings, Path(workspace), credential=StaticTokenCredential(token, base_url))
    built = time.perf_counter() - start
    start = time.perf_counter()
    report = tick(app, graph_case_at()[1])
    ticked = time.perf_counter() - start
    sent = getattr(report["send_outbox"], "sent", 0)
    app.close()
    return {"imports": imports, "build": built, "warm_up": sum(warmed), "tick": ticked, "sent": sent,
            "rss": peak_mb()}


def graph_first_tick() -> dict[str, Any]:
    """A provisioned emulator with one case in the register, served from this process; the bot in another."""
    from bot.adapters.graph.client import LoopThread
    from bot.adapters.graph.register import SharePointCaseRegister
    from bot.cases import add_case
    from bot.domain.model import Case
    from bot.settings import load_settings
    from tests.graph_emulator import GraphEmulator
    from tests.graph_sdk import SITE, SITE_REF, provisioned

    settings = load_settings(CONFIG)
    p = settings.partnerships[0].to_domain()
    added, _ = graph_case_at()
    with GraphEmulator() as g, tempfile.TemporaryDirectory() as tmp:
        g.add_mailbox(settings.bot.mailbox_address)
        g.add_site(*SITE)
        loop = LoopThread()
        try:
            graph = provisioned(g, loop)
            add_case(SharePointCaseRegister(graph, loop, site=SITE_REF), p,
                     Case(ref="RR-2026-014", partnership=p.id, child="Child A", la_aware=date(2026, 12, 22),
                          sin_submitted=added.date(), agencies=("POL", "CSC", "HLT", "GP", "EDU")),
                     by=p.team_address, at=added)
        finally:
            loop.close()
        return child_json(["--graph-child", g.base_url, g.token, f"{tmp}/ws"])


# ---- `cspr-bot run` over simulated hours


def service_child(hours: int) -> dict[str, Any]:
    """In a fresh process: the service on the shipped settings and a fresh workspace with a case whose SIN was
    submitted that morning, driven on a fake clock for `hours`; three agencies return each hour and a question
    arrives every 20 minutes. Peak RSS after the first pass of every job, and at the end of each hour."""
    from bot.bootstrap import build_ledger, build_local_app
    from bot.cases import add_case
    from bot.demo.agencies import return_email
    from bot.demo.scenario import at
    from bot.domain.model import Case
    from bot.leadership import leadership_for
    from bot.logs import configure, set_instance
    from bot.ops import METRICS, instance_name
    from bot.schedule import JOBS, every_tick
    from bot.service import Service
    from bot.settings import load_settings

    s = load_settings(CONFIG)
    configure(verbose=True, fmt=s.ops.log_format, level=s.ops.log_level, levels=s.ops.log_levels)
    start = at(date(2027, 1, 6), 9)  # a Wednesday morning
    clock = [start]
    found: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        app = build_local_app(s, Path(tmp) / "ws")
        assert app.workspace is not None
        p = app.partnership()
        name = instance_name(s.ops.instance)
        set_instance(name)
        ops_ledger = build_ledger(s, app.workspace)
        service = Service(app, leadership=leadership_for(None), ops_ledger=ops_ledger, instance=name,
                          clock=lambda: clock[0])
        ref = add_case(app.register, p, Case(ref="RR-2027-001", partnership=p.id, child="Child A",
                                             la_aware=date(2027, 1, 4), sin_submitted=date(2027, 1, 6),
                                             agencies=("POL", "CSC", "HLT", "GP", "EDU"), domestic_abuse=True),
                       by=p.team_address, at=start - timedelta(minutes=30)).case.ref
        codes = ["POL", "CSC", "HLT", "GP", "EDU", "DAS"]
        inbox = app.workspace.mail / "inbox" / "new"
        cadence, poll = app.cadence, timedelta(seconds=service.poll)
        every = {job.id: cadence.tick if job.trigger is every_tick else cadence.ingest for job in JOBS}
        steps = int(timedelta(hours=hours) / poll)
        t0 = time.perf_counter()
        for step in range(steps + 1):
            now = start + step * poll
            clock[0] = now
            service.check()  # the watch job
            for job in JOBS:
                if (now - start) % every[job.id] == timedelta(0):
                    service.run_job(job.id, now)
            minute = (now - start) // timedelta(minutes=1)
            if step == 0:
                found["rss_first_tick"] = peak_mb()
            if (now - start) % timedelta(minutes=1):
                continue
            if minute % 20 == 5:  # a question nobody's request answers: filed for a person
                (inbox / f"q{minute}.eml").write_bytes(question(minute, s.bot.mailbox_address, now))
            if minute % 20 == 10 and codes:  # an agency's completed form
                code = codes.pop(0)
                request = next(i.message for i in app.ledger.outbox() if i.key == f"request:{ref}:{code}")
                agency = p.agency(code)
                assert agency is not None
                (inbox / f"r{code}.eml").write_bytes(return_email(request, sender=agency.lead_address,
                                                                  mailbox=s.bot.mailbox_address, at=now, agency=code))
            if minute and minute % 60 == 0:
                found[f"rss_hour_{minute // 60}"] = peak_mb()
                found[f"vmrss_hour_{minute // 60}"] = vm_rss_mb()
        found["wall"] = time.perf_counter() - t0
        found["jobs"] = sum(METRICS.jobs.values())
        found["failures"] = sum(METRICS.failures.values())
        found["drafts"] = len(app.library.list(ref, "reports"))
        service.stop()
        ops_ledger.close()
        app.close()
    return found


def question(n: int, mailbox: str, now: datetime) -> bytes:
    import email.policy
    from email.message import EmailMessage
    from email.utils import format_datetime

    msg = EmailMessage()
    msg["From"] = f"person{n}@elsewhere.example"
    msg["To"] = mailbox
    msg["Subject"] = f"A question {n}"
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = f"<q{n}@elsewhere.example>"
    msg.set_content("Hello, who should I send our chronology to?\n" * 5)
    return msg.as_bytes(policy=email.policy.SMTP)


def vm_rss_mb() -> float:
    """This process's resident set size now (not the peak), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run(results: Results) -> None:
    results.section(KEY, "Start-up", "Commands from process start to exit, each against a bare interpreter "
                    f"start ({BARE}) measured in the same run; the first Microsoft 365 tick in a cold process; and "
                    "the memory of `cspr-bot run` over simulated hours.")
    results.add(KEY, BARE, ms(samples(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), 5)), "ms")
    results.add(KEY, "cspr-bot --help",
                ms(samples(lambda: subprocess.run([EXE, "--help"], check=True, capture_output=True), 5)), "ms",
                baseline=BARE)
    results.add(KEY, "cspr-bot tick, fresh local workspace", ms(samples(fresh_tick, 5)), "ms", baseline=BARE,
                note="config/cspr-bot.toml; makes the workspace, checks the templates, runs every job once")

    graph = [graph_first_tick() for _ in range(GRAPH_RUNS)]
    sent = graph[0]["sent"]
    results.add(KEY, "first Graph tick, cold process: build_graph_app + first tick",
                ms([r["build"] + r["tick"] for r in graph]), "ms", baseline=BARE,
                note=f"against the Graph emulator (served from the parent process); one case, SIN submitted that "
                     f"morning: {sent} messages sent")
    results.add(KEY, "  of which the SDK warm-up (in build_graph_app)", ms([r["warm_up"] for r in graph]), "ms",
                baseline=BARE)
    results.add(KEY, "  of which the first tick", ms([r["tick"] for r in graph]), "ms", baseline=BARE)
    results.add(KEY, "  of which the rest of build_graph_app (client, ledger)",
                ms([r["build"] - r["warm_up"] for r in graph]), "ms")
    results.note(KEY, "The Graph child process imports bot.bootstrap before its clock starts "
                      f"({sorted(round(r['imports'] * 1000) for r in graph)[1]} ms median, not counted); the "
                      "emulator runs in the parent so its server thread does not share the measured process's "
                      "interpreter.")

    hours = [child_json(["--service-child", str(SERVICE_HOURS)]) for _ in range(SERVICE_RUNS)]
    results.add(KEY, "cspr-bot run: peak RSS after the first tick", [r["rss_first_tick"] for r in hours], "MB",
                note="every job once at start, as the service does; the case's 6 requests sent")
    results.add(KEY, "cspr-bot run: peak RSS after 1 simulated hour", [r["rss_hour_1"] for r in hours], "MB",
                baseline="cspr-bot run: peak RSS after the first tick",
                note="an hour: 240 watch passes, 60 ingest passes, 12 full ticks")
    traffic = {1: "3 returns, each collated into a new draft, and 3 questions",
               2: "the other 3 returns (bigger collations) and 3 questions", 3: "3 questions only"}
    for h in range(1, SERVICE_HOURS + 1):
        before = "rss_first_tick" if h == 1 else f"rss_hour_{h - 1}"
        results.add(KEY, f"cspr-bot run: peak RSS growth in hour {h}", [r[f"rss_hour_{h}"] - r[before] for r in hours],
                    "MB", note=traffic.get(h, "3 questions only"))
    results.note(KEY, f"`cspr-bot run` was driven on a fake clock through bot.service.Service, not APScheduler: "
                      f"{hours[0]['jobs']} job runs over {SERVICE_HOURS} simulated hours took "
                      f"{sorted(r['wall'] for r in hours)[1]:.1f} s of wall time (median), {hours[0]['failures']} "
                      f"failed; current RSS after the last hour "
                      f"{sorted(r[f'vmrss_hour_{SERVICE_HOURS}'] for r in hours)[1]:.0f} MB (median).")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--graph-child"]:
        print(json.dumps(graph_child(*sys.argv[2:5])))
    elif sys.argv[1:2] == ["--service-child"]:
        print(json.dumps(service_child(int(sys.argv[2]))))
    else:
        results = Results()
        run(results)
        print(results.markdown("bench/startup.py"))
