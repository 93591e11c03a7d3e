"""Benchmarks for cspr-bot, reported as ratios against a baseline measured in the same run.

    make bench            # or: .venv/bin/python bench/run.py

Figures: command start-up (vs. a bare interpreter), the demo's wall time and messages per case,
ingest cost per message (vs. parsing the same bytes), and pickup latency of `cspr-bot run` on the
local workspace with a 1-second ingest interval. Nothing here is asserted; tests never time things.
"""

from __future__ import annotations

import email.policy
import statistics
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EXE = str(Path(sys.executable).parent / "cspr-bot")


def timed(fn, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def startup() -> None:
    bare = timed(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True))
    helped = timed(lambda: subprocess.run([EXE, "--help"], check=True, capture_output=True))
    deadlines = timed(lambda: subprocess.run([EXE, "deadlines", "--aware", "2026-12-22", "--json"], check=True,
                                             capture_output=True, cwd=ROOT))
    print(f"start-up   python -c pass        {bare * 1000:7.1f} ms   1.00x (baseline)")
    print(f"           cspr-bot --help       {helped * 1000:7.1f} ms   {helped / bare:5.2f}x")
    print(f"           cspr-bot deadlines    {deadlines * 1000:7.1f} ms   {deadlines / bare:5.2f}x")


def demo() -> None:
    from bot.demo import run_demo
    from bot.ports import OutboxStatus
    from bot.settings import load_settings

    settings = load_settings(ROOT / "config" / "cspr-bot.toml")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        app = run_demo(settings, Path(tmp) / "demo", echo=lambda _line: None)
        wall = time.perf_counter() - start
        from bot.bootstrap import build_local_app

        again = build_local_app(settings, Path(tmp) / "demo")
        sent = again.ledger.outbox(OutboxStatus.SENT)
        again.close()
    del app
    digests = sum(1 for i in sent if i.purpose == "lead_digest")
    print(f"demo       wall time             {wall:7.2f} s    ({len(sent)} messages sent for 1 case: "
          f"{len(sent) - digests} about the case, {digests} lead digests)")


def message(n: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"person{n}@elsewhere.example"
    msg["To"] = "cspr-bot@northshire-scp.example"
    msg["Subject"] = f"question {n}"
    msg["Message-ID"] = f"<q{n}@elsewhere.example>"
    msg.set_content("Hello\n" * 20)
    return msg.as_bytes(policy=email.policy.SMTP)


def ingest() -> None:
    from bot.bootstrap import build_local_app, run_job
    from bot.mail.mime import parse_message
    from bot.settings import load_settings

    settings = load_settings(ROOT / "config" / "cspr-bot.toml")
    n = 200
    raws = [message(i) for i in range(n)]
    parse = timed(lambda: [parse_message(str(i), r) for i, r in enumerate(raws)], repeat=3)
    with tempfile.TemporaryDirectory() as tmp:
        app = build_local_app(settings, Path(tmp))
        assert app.workspace is not None
        for i, raw in enumerate(raws):
            (app.workspace.mail / "inbox" / "new" / f"m{i}.eml").write_bytes(raw)
        from datetime import UTC, datetime

        start = time.perf_counter()
        run_job(app, "ingest_mail", datetime.now(UTC))
        whole = time.perf_counter() - start
        app.close()
    print(f"ingest     parse only            {parse / n * 1000:7.2f} ms/message   1.00x (baseline)")
    print(f"           ingest_mail (local)   {whole / n * 1000:7.2f} ms/message   {whole / parse:5.2f}x "
          "(classify, record, file, alert)")


def documents() -> None:
    """Rendering a big report and reading returned forms, against rendering the small example report
    and merely opening the same forms with python-docx."""
    import io

    import docx

    from bot.documents.examples import EXAMPLES
    from bot.documents.render import DocumentTemplates
    from bot.documents.returns import parse_return
    from tests.filled_forms import VARIANTS

    templates = DocumentTemplates()
    small = EXAMPLES["rapid_review_report"]
    agencies = [{"name": f"Agency {i:02d}", "status": "returned", "received": "5 January 2027", "explanation": ""}
                for i in range(15)]
    rows = [{"date": f"{1 + i % 28} March 2026", "agency": f"Agency {i % 15:02d}", "event": f"Contact {i}",
             "role": "Practitioner", "outcome": "Recorded"} for i in range(300)]
    big = {**small, "agencies": agencies, "chronology": rows}
    base = timed(lambda: templates.render("rapid_review_report", small), repeat=3)
    large = timed(lambda: templates.render("rapid_review_report", big), repeat=3)
    print(f"report     render, example (2 rows)  {base * 1000:7.1f} ms   1.00x (baseline)")
    print(f"           15 agencies, 300 rows     {large * 1000:7.1f} ms   {large / base:5.2f}x")
    form = templates.render("information_request", EXAMPLES["information_request"]).data
    filled = [fill(form) for fill, _ in VARIANTS.values()]
    opened = timed(lambda: [docx.Document(io.BytesIO(f)) for f in filled], repeat=3) / len(filled)
    parsed = timed(lambda: [parse_return(f, "POL") for f in filled], repeat=3) / len(filled)
    print(f"returns    open with python-docx     {opened * 1000:7.1f} ms/form   1.00x (baseline)")
    print(f"           parse_return              {parsed * 1000:7.1f} ms/form   {parsed / opened:5.2f}x "
          f"({len(filled)} differently filled forms)")


def graph() -> None:
    """Microsoft Graph request counts through the real SDK against the emulator, and the SDK's cold
    first-parse cost (paid at start by warm_up) against a bare interpreter start."""
    from datetime import date

    from bot.adapters.graph.client import LoopThread, StaticTokenCredential
    from bot.bootstrap import build_graph_app, run_job, tick
    from bot.cases import add_case
    from bot.demo.agencies import return_email
    from bot.demo.scenario import at
    from bot.domain.model import Case
    from bot.settings import GraphSettings, load_settings
    from tests.graph_emulator import GraphEmulator
    from tests.graph_sdk import provisioned

    bare = timed(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), repeat=3)
    cold = timed(lambda: subprocess.run([sys.executable, "-c", "from bot.adapters.graph.client import warm_up; "
                                         "warm_up()"], check=True, cwd=ROOT), repeat=3)
    print(f"graph      python -c pass             {bare * 1000:7.1f} ms   1.00x (baseline)")
    print(f"           SDK warm-up at start       {cold * 1000:7.1f} ms   {cold / bare:5.2f}x (paid once, at start)")
    settings = load_settings(ROOT / "config" / "cspr-bot.toml")
    site_ref = "northshire.sharepoint.example:/sites/cspr"
    with GraphEmulator() as g, tempfile.TemporaryDirectory() as tmp:
        g.add_mailbox(settings.bot.mailbox_address)
        g.add_site("northshire.sharepoint.example", "sites/cspr")
        loop = LoopThread()
        provisioned(g, loop)
        loop.close()
        graph_settings = GraphSettings(auth="static_token", base_url=g.base_url, site=site_ref)
        s = settings.model_copy(update={"bot": settings.bot.model_copy(update={"backend": "graph"}),
                                        "graph": graph_settings})
        app = build_graph_app(s, Path(tmp), credential=StaticTokenCredential(g.token, g.base_url))
        p = app.partnership()
        add_case(app.register, p, Case(ref="RR-2026-014", partnership=p.id, child="Child A",
                                       la_aware=date(2026, 12, 22), sin_submitted=date(2026, 12, 24),
                                       agencies=("POL", "CSC", "HLT", "GP", "EDU")),
                 by=p.team_address, at=at(date(2026, 12, 24), 9))
        for job in ("sync_cases", "ingest_mail", "start_rapid_review", "collate_returns"):
            run_job(app, job, at(date(2026, 12, 24), 20))
        before = len(g.requests)
        run_job(app, "send_outbox", at(date(2026, 12, 24), 20))
        sent = sum(1 for i in app.ledger.outbox() if i.status.value == "sent")
        per_send = (len(g.requests) - before) / max(sent, 1)
        tick(app, at(date(2026, 12, 24), 21))  # settle
        before = len(g.requests)
        tick(app, at(date(2026, 12, 24), 22))  # after hours, nothing to do
        idle = len(g.requests) - before
        request = next(i.message for i in app.ledger.outbox() if i.key == "request:RR-2026-014:POL")
        g.deliver(settings.bot.mailbox_address, return_email(request, sender=p.agencies[0].lead_address,
                                                             mailbox=settings.bot.mailbox_address,
                                                             at=at(date(2026, 12, 29), 10), agency="POL"))
        before = len(g.requests)
        for job in ("ingest_mail", "collate_returns", "send_outbox"):
            run_job(app, job, at(date(2026, 12, 29), 10, 30))
        per_return = len(g.requests) - before
        app.close()
    print(f"           requests per idle tick     {idle:7d}      (one case, {sent} messages already sent)")
    print(f"           requests per sent email    {per_send:7.1f}      (lookup by key, draft, send, state)")
    print(f"           requests per agency return {per_return:7d}      (delta, attachments, save, register, "
          "draft report, ack)")


def pickup() -> None:
    text = (ROOT / "config" / "cspr-bot.toml").read_text().replace("ingest_seconds = 60", "ingest_seconds = 1")
    with tempfile.TemporaryDirectory() as tmp:
        config, ws = Path(tmp) / "fast.toml", Path(tmp) / "ws"
        config.write_text(text)
        service = subprocess.Popen([EXE, "--config", str(config), "--workspace", str(ws), "run"], cwd=ROOT,
                                   stderr=subprocess.PIPE, text=True)
        assert service.stderr is not None
        service.stderr.readline()
        latencies = []
        try:
            for i in range(5):
                (ws / "mail" / "inbox" / "tmp" / f"p{i}.eml").write_bytes(message(i))
                start = time.perf_counter()
                (ws / "mail" / "inbox" / "tmp" / f"p{i}.eml").rename(ws / "mail" / "inbox" / "new" / f"p{i}.eml")
                target = ws / "mail" / "needs-attention" / "new" / f"p{i}.eml"
                while not target.exists() and time.perf_counter() - start < 30:
                    time.sleep(0.01)
                latencies.append(time.perf_counter() - start)
        finally:
            service.terminate()
            service.wait(timeout=20)
    print(f"pickup     cspr-bot run, 1 s ingest interval: median {statistics.median(latencies):.2f} s, "
          f"max {max(latencies):.2f} s over {len(latencies)} drops ({statistics.median(latencies):.2f}x the interval)")


if __name__ == "__main__":
    startup()
    demo()
    ingest()
    documents()
    graph()
    pickup()
    from bench.ha import failover, ledgers

    ledgers()
    failover()
