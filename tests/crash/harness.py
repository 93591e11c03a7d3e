"""The crash harness: the demo's rapid review with the bot killed (SIGKILL) at a named point, restarted, and run
to the end; then the world is inspected from the outside and compared with a run nobody killed.

The harness process is the world: the simulated clock, the business team, the agencies' mail servers and, on
the Graph backend, Microsoft 365 itself (the emulator outlives every bot it serves). The bot is a separate
process (`tests.crash.worker`) told which job to run at which simulated time. When it dies, a new one starts on
the same workspace and is asked again, as `cspr-bot run` would be restarted by its service manager.
"""

from __future__ import annotations

import email
import email.utils
import json
import os
import random
import subprocess
import sys
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

from bot.bootstrap import App, build_local_app
from bot.crashpoints import POINTS
from bot.demo.scenario import DEMO_CADENCE, maildir_delivery, register_edit, run_scenario
from bot.domain.records import CASES, REQUESTS, case_changes_to_fields, case_from_fields, request_from_fields
from bot.handlers.ingest_mail import inbound_key
from bot.mail.mime import OUTBOX_KEY_HEADER, parse_message
from bot.ports import OutboxStatus
from bot.schedule import Cadence
from bot.settings import load_settings
from tests.conftest import DEFAULT_CONFIG, ROOT

BACKENDS = ("local", "graph")
# on Graph every job runs once a day: the SDK spends ~6 ms of CPU per model it parses, and a day per pass
# still reaches every point (the local run keeps the demo's hourly pace)
CADENCES = {"local": DEMO_CADENCE, "graph": Cadence(tick=timedelta(hours=24), ingest=timedelta(hours=24))}
KINDS = ("duplicates", "losses", "stuck", "disagreements", "half_written")


class BotDied(RuntimeError):
    pass


class Bot:
    """One bot process, driven a job at a time over its stdin and stdout."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log.open("ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.crash.worker", *args], cwd=ROOT, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True)
        self._read()  # {"ready": true}, once the app is built

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait()
            raise BotDied(f"exit {self.proc.returncode}")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def run(self, job: str, now: datetime) -> dict[str, Any]:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps({"job": job, "now": now.isoformat()}) + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            self.proc.wait()
            raise BotDied(f"exit {self.proc.returncode}") from None
        return self._read()

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)
        self.log.close()


@dataclass
class Facts:
    """The world after a run, as seen from outside the bot."""

    transmitted: Counter[str]  # outbox key -> times a message with it left the mailbox
    outbox: dict[str, str]  # key -> status in the ledger
    audited_sent: Counter[str]  # key -> "sent" rows in the audit trail
    inbound: list[str | None]  # the ledger's outcome for each delivered message, in delivery order
    left_in_inbox: int
    drafts_left: int
    cases: list[tuple[str, str, str]]  # ref, stage, submitted to the Panel
    requests: list[tuple[str, str, str, int]]  # case, agency, status, chases
    library: dict[str, bytes]  # every file, by path (hidden ones too)
    panel: str = ""
    ref: str = ""


class World:
    """The workspace, the people and the mail servers for one run on one backend."""

    def __init__(self, backend: str, root: Path, ledger_url: str = "") -> None:
        self.backend, self.root, self.ledger_url = backend, root, ledger_url
        self.delivered: list[bytes] = []
        self.emulator: Any = None
        settings = load_settings(DEFAULT_CONFIG)
        self.panel = settings.panel.address
        if backend == "local":
            self.app: App = build_local_app(settings, root / "workspace")
            deliver, self.person_edit = maildir_delivery(self.app), register_edit(self.app)
        else:
            from tests.graph_emulator import GraphEmulator
            from tests.integration.graph_rig import MAILBOX, GraphRig

            self.emulator = GraphEmulator().start()
            self.rig = GraphRig.build(self.emulator, root / "workspace")
            self.app = self.rig.app

            def edit(ref: str, changes: dict[str, object], by: str, when: object) -> None:
                (item,) = self.app.register.find(CASES, Title=ref)
                self.emulator.edit_item(self.rig.site, "Cases", item.id, case_changes_to_fields(**changes), by=by)

            self.person_edit = edit

            def deliver(raw: bytes, _name: str) -> None:  # received when its Date header says, as on the clock
                sent = email.utils.parsedate_to_datetime(str(email.message_from_bytes(raw)["Date"]))
                self.emulator.deliver(MAILBOX, raw, received=sent)

        if ledger_url:  # the world reads the instances' shared ledger (before anything has used the app's own)
            from bot.ledger_pg import PostgresLedger

            self.app.ledger.close()
            self.app.ledger = PostgresLedger(ledger_url)
            self.app.closers.append(self.app.ledger.close)

        def recorded(raw: bytes, name: str) -> None:
            self.delivered.append(raw)
            deliver(raw, name)

        self.deliver = recorded

    def bot_args(self) -> tuple[list[str], dict[str, str]]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CSPR_")}
        args = [self.backend, str(self.root / "workspace")]
        if self.emulator is not None:
            args.append(self.emulator.base_url)
            env["CSPR_BOT_STATIC_TOKEN"] = self.emulator.token
        if self.ledger_url:
            env["CSPR_TEST_LEDGER_URL"] = self.ledger_url
        return args, env

    def facts(self, ref: str) -> Facts:
        ledger = self.app.ledger
        rows = ledger.outbox()
        requests = [request_from_fields(i.fields) for i in self.app.register.items(REQUESTS)]
        cases = [case_from_fields(i.fields) for i in self.app.register.items(CASES)]
        return Facts(
            transmitted=self._transmitted(), outbox={r.key: r.status.value for r in rows},
            audited_sent=Counter(e.outbox_key for e in ledger.audit_trail() if e.action == "sent"),
            inbound=[ledger.inbound_outcome(inbound_key(parse_message("", raw))) for raw in self.delivered],
            left_in_inbox=self._inbox(), drafts_left=self._drafts(),
            cases=sorted((c.ref, c.stage.value, str(c.submitted_to_panel or "")) for c in cases),
            requests=sorted((r.case_ref, r.agency, r.status.value, r.chases) for r in requests),
            library=self._library(), panel=self.panel, ref=ref)

    def _transmitted(self) -> Counter[str]:
        if self.emulator is None:
            sent = (self.root / "workspace" / "mail" / "sent" / "new").glob("*.eml")
            return Counter(str(email.message_from_bytes(p.read_bytes()).get(OUTBOX_KEY_HEADER, "")) for p in sent)
        from tests.integration.graph_rig import _key_of

        return Counter(_key_of(m) for m in self.emulator.transmitted)

    def _inbox(self) -> int:
        if self.emulator is None:
            return len(self.app.mailbox.keys("inbox"))  # type: ignore[attr-defined]
        from tests.integration.graph_rig import MAILBOX

        return len(self.emulator.messages(MAILBOX, "inbox"))

    def _drafts(self) -> int:
        if self.emulator is None:
            return 0
        from tests.integration.graph_rig import MAILBOX

        return len(self.emulator.messages(MAILBOX, "drafts"))

    def _library(self) -> dict[str, bytes]:
        if self.emulator is not None:
            return {path.lstrip("/"): data for path, data in self.emulator.drive_files(self.rig.site).items()}
        found: dict[str, bytes] = {}
        workspace = self.root / "workspace"
        for folder in ("library", "mail"):  # the mail folders too: a half-written message is as bad
            for path in (workspace / folder).rglob("*"):
                if path.is_file() and (folder == "library" or path.name.startswith(".")):
                    found[path.relative_to(workspace).as_posix()] = path.read_bytes()
        return found

    def close(self) -> None:
        self.app.close()
        if self.emulator is not None:
            self.emulator.stop()


@dataclass
class Outcome:
    backend: str
    point: str
    hit: int
    killed: bool = False
    restarts: int = 0
    errors: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    facts: Facts | None = None
    violations: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in KINDS})

    @property
    def clean(self) -> bool:
        """Killed where asked (a reference run is not armed), nothing violated, no job failed."""
        return (self.killed or not self.point) and not any(self.violations.values()) and not self.errors


def run(backend: str, root: Path, point: str = "", hit: int = 0, *, count: bool = False) -> Outcome:
    """The demo scenario on `backend` with the bot killed the `hit`-th time it reaches `point` (never, without a
    point); `count` has the bot count every point it reaches."""
    root.mkdir(parents=True, exist_ok=True)
    outcome = Outcome(backend, point, hit)
    world = World(backend, root)
    try:
        args, env = world.bot_args()
        armed = dict(env, CSPR_CRASH_AT=point, CSPR_CRASH_HIT=str(hit)) if point else dict(env)
        if count:
            armed["CSPR_CRASH_COUNT"] = "1"
        bot = Bot(args, armed, root / "bot.log")

        def runner(job: str, now: datetime) -> None:
            nonlocal bot
            while True:
                try:
                    reply = bot.run(job, now)
                except BotDied as died:
                    if outcome.restarts or died.args[0] != "exit -9":
                        raise  # died twice, or not by our kill: the harness reports the run as broken
                    outcome.killed, outcome.restarts = True, outcome.restarts + 1
                    bot = Bot(args, env, root / "bot.log")  # restarted, unarmed: it runs to the end
                    continue
                if not reply["ok"]:
                    outcome.errors.append(f"{now:%d %b %H:%M} {reply['error']}")
                outcome.counts = reply["counts"]
                return

        try:
            ref = run_scenario(world.app, deliver=world.deliver, person_edit=world.person_edit,
                               cadence=CADENCES[backend], echo=lambda _line: None, runner=runner)
        finally:
            bot.close()
        outcome.facts = world.facts(ref)
    except BotDied as died:
        outcome.errors.append(f"the bot died unexpectedly ({died}); see {root / 'bot.log'}")
    finally:
        world.close()
    return outcome


def check(outcome: Outcome, reference: Facts) -> Outcome:
    """The invariants, from outside the bot, against the run nobody killed."""
    got, v = outcome.facts, outcome.violations
    if got is None:
        return outcome
    ref = got.ref
    # exactly once: each agency one information request, the Panel one submission, every key at most once
    for key in [k for k in reference.outbox if k.startswith(f"request:{ref}:")] + [f"panel:{ref}"]:
        n = got.transmitted[key]
        if n > 1:
            v["duplicates"].append(f"{key} transmitted {n} times")
        elif n == 0:
            v["losses"].append(f"{key} never transmitted")
    v["duplicates"] += [f"{key} transmitted {n} times" for key, n in got.transmitted.items()
                        if n > 1 and not key.startswith(("request:", "panel:"))]
    v["duplicates"] += [f"{key or '(no key)'} transmitted, not in the reference run"
                        for key in got.transmitted if key not in reference.transmitted]
    v["duplicates"] += [f"{key} audited as sent {n} times" for key, n in got.audited_sent.items() if n > 1]
    v["duplicates"] += [f"{got.drafts_left} draft(s) left in Drafts"] * bool(got.drafts_left)
    v["losses"] += [f"{key} never transmitted" for key in reference.transmitted
                    if key not in got.transmitted and not key.startswith(("request:", "panel:"))]
    # every inbound message recorded exactly once (the ledger's key is unique) with the reference's outcome
    for n, (mine, theirs) in enumerate(zip(got.inbound, reference.inbound, strict=True)):
        if mine is None:
            v["losses"].append(f"inbound message {n + 1} never recorded")
        elif mine != theirs:
            v["disagreements"].append(f"inbound message {n + 1} recorded as {mine}, not {theirs}")
    v["losses"] += [f"{got.left_in_inbox} message(s) left in the inbox"] * bool(got.left_in_inbox)
    # no outbox row stuck
    v["stuck"] += [f"{key} left {status}" for key, status in got.outbox.items()
                   if status in (OutboxStatus.PENDING.value, OutboxStatus.FAILED.value) or
                   (status == OutboxStatus.HELD.value and reference.outbox.get(key) != status)]
    v["losses"] += [f"{key} never queued" for key in reference.outbox if key not in got.outbox]
    # the ledger and the register agree (and agree with the run nobody killed)
    asked = Counter((case, agency) for case, agency, _status, _chases in got.requests)
    v["duplicates"] += [f"{case}/{agency} has {n} request items" for (case, agency), n in asked.items() if n > 1]
    for case, agency in asked:
        if got.outbox.get(f"request:{case}:{agency}") != OutboxStatus.SENT.value:
            v["disagreements"].append(f"register has a request to {agency}; the ledger has not sent one")
    for key in got.outbox:
        if key.startswith(f"request:{ref}:") and (ref, key.rpartition(":")[2]) not in asked:
            v["disagreements"].append(f"the ledger sent {key}; the register has no request item")
    if got.requests != reference.requests:
        v["disagreements"].append(f"requests {got.requests} differ from the reference {reference.requests}")
    if got.cases != reference.cases:
        v["disagreements"].append(f"cases {got.cases} differ from the reference {reference.cases}")
    submitted = any(c[2] for c in got.cases if c[0] == ref)
    if submitted != (got.outbox.get(f"panel:{ref}") == OutboxStatus.SENT.value):
        v["disagreements"].append("the case's Panel submission and the ledger's disagree")
    # no file half-written, none missing, none extra
    for path, data in got.library.items():
        if problem := _incomplete(path, data):
            v["half_written"].append(f"{path}: {problem}")
    v["losses"] += [f"{path} missing from the library" for path in reference.library if path not in got.library]
    v["duplicates"] += [f"{path} in the library, not in the reference run" for path in got.library
                        if path not in reference.library and not _incomplete(path, got.library[path])]
    return outcome


def _incomplete(path: str, data: bytes) -> str:
    name = path.rpartition("/")[2]
    if name.startswith(".") or ".tmp-" in name:
        return "a temporary file left behind"
    if name.endswith(".docx"):
        try:
            with zipfile.ZipFile(BytesIO(data)) as z:
                bad = z.testzip()
            return f"damaged member {bad}" if bad else ""
        except zipfile.BadZipFile:
            return "not a complete Word file"
    if name.endswith(".pdf") and not data.rstrip().endswith(b"%%EOF"):
        return "not a complete PDF"
    return ""


def hits_for(backend: str, point: str, reached: int, seeds: int) -> list[int]:
    """Which hit of `point` each seed kills at: distinct hits first, in an order fixed by the seed."""
    if reached == 0:
        return []
    order = list(range(1, reached + 1))
    random.Random(f"{backend}:{point}").shuffle(order)
    return [order[seed % reached] for seed in range(seeds)]


def points() -> list[str]:
    return list(POINTS)


# ---- the matrix: every point, several seeds, on each backend


@dataclass
class Row:
    backend: str
    point: str
    reached: int  # times the reference run reached the point
    runs: int = 0
    killed: int = 0
    errors: int = 0
    found: dict[str, int] = field(default_factory=lambda: {k: 0 for k in KINDS})


def _task(args: tuple[str, str, int, Path, Facts]) -> Outcome:
    backend, point, hit, root, reference = args
    outcome = check(run(backend, root, point, hit), reference)
    outcome.facts = None  # the verdict travels back, not the documents
    if outcome.clean:
        import shutil

        shutil.rmtree(root, ignore_errors=True)
    return outcome


def _reference(args: tuple[str, Path]) -> Outcome:
    backend, root = args
    return run(backend, root, count=True)


def matrix(root: Path, *, backends: tuple[str, ...] = BACKENDS, seeds: int = 3, jobs: int | None = None,
           only: tuple[str, ...] = (), echo: Any = print) -> tuple[list[Row], list[Outcome]]:
    """Kill the bot at every point (or those in `only`), `seeds` times each at distinct hits where there are
    that many, on each backend; returns one row per backend and point and every failing outcome."""
    from concurrent.futures import ProcessPoolExecutor

    jobs = jobs or os.cpu_count() or 2
    with ProcessPoolExecutor(jobs) as pool:
        references = dict(zip(backends, pool.map(_reference, [(b, root / b / "reference") for b in backends]),
                              strict=True))
        for backend, ref in references.items():
            if not ref.clean or ref.facts is None:
                raise RuntimeError(f"the {backend} reference run failed: {ref.errors} {ref.violations}")
        rows = {(b, p): Row(b, p, references[b].counts.get(p, 0)) for b in backends for p in POINTS
                if not only or p in only}
        tasks = [(b, p, hit, root / b / f"{p}@{hit}", references[b].facts)
                 for (b, p), row in rows.items() for hit in dict.fromkeys(hits_for(b, p, row.reached, seeds))]
        echo(f"crash matrix: {len(tasks)} runs on {jobs} worker(s) ({', '.join(backends)})")
        failures = []
        for outcome in pool.map(_task, tasks):  # type: ignore[arg-type]
            row = rows[(outcome.backend, outcome.point)]
            row.runs += 1
            row.killed += outcome.killed
            row.errors += bool(outcome.errors)
            for kind in KINDS:
                row.found[kind] += len(outcome.violations[kind])
            if not outcome.clean:
                failures.append(outcome)
    return list(rows.values()), failures


def table(rows: list[Row]) -> str:
    """The matrix as a Markdown table: points x seeds x outcomes, with totals."""
    head = ["backend", "crash point", "reached", "runs", "killed", *KINDS, "errors"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * len(head)) + "|"]
    for r in rows:
        if not r.reached:
            cells = [r.backend, r.point, "0", "-", "-", *(["-"] * len(KINDS)), "not on this backend"]
        else:
            cells = [r.backend, r.point, str(r.reached), str(r.runs), str(r.killed),
                     *(str(r.found[k]) for k in KINDS), str(r.errors)]
        lines.append("| " + " | ".join(cells) + " |")
    t = totals(rows)
    lines.append("| **all** | " + f"{t['points']} points | | {t['runs']} | {t['killed']} | "
                 + " | ".join(str(t[k]) for k in KINDS) + f" | {t['errors']} |")
    return "\n".join(lines)


def totals(rows: list[Row]) -> dict[str, int]:
    reached = {r.point for r in rows if r.reached}
    out = {"points": len(reached), "runs": sum(r.runs for r in rows), "killed": sum(r.killed for r in rows),
           "errors": sum(r.errors for r in rows)}
    out.update({k: sum(r.found[k] for r in rows) for k in KINDS})
    return out


# ---- two instances on one PostgreSQL ledger: the leader killed mid-scenario, the standby finishes the run


@dataclass
class Failover:
    outcome: Outcome
    asked_standby: int = 0  # jobs a standby declined while another instance led
    acted: Counter[str] = field(default_factory=Counter)  # instance -> jobs it ran as leader
    takeover: str = ""  # the job (and simulated time) the standby first ran after the kill


def run_failover(backend: str, root: Path, ledger_url: str, point: str, hit: int) -> Failover:
    """The demo scenario with two bot instances ("a" and "b") asked every job, as two replicas' schedulers would;
    only the leader acts. "a" starts first and leads; it is killed the `hit`-th time it reaches `point`. The
    service manager restarts it ("a2", unarmed), as a standby behind "b"."""
    import time

    root.mkdir(parents=True, exist_ok=True)
    outcome = Outcome(backend, point, hit)
    result = Failover(outcome)
    world = World(backend, root, ledger_url)
    bots: dict[str, Bot] = {}
    try:
        args, env = world.bot_args()
        bots["a"] = Bot(args, dict(env, CSPR_CRASH_AT=point, CSPR_CRASH_HIT=str(hit)), root / "bot-a.log")
        bots["b"] = Bot(args, env, root / "bot-b.log")

        def runner(job: str, now: datetime) -> None:
            for _attempt in range(200):  # a killed leader's lock is freed as its socket closes: a moment
                acted = False
                for name in list(bots):
                    try:
                        reply = bots[name].run(job, now)
                    except BotDied as died:
                        if outcome.killed or died.args[0] != "exit -9":
                            raise
                        outcome.killed, outcome.restarts = True, 1
                        del bots[name]
                        bots["a2"] = Bot(args, env, root / "bot-a2.log")
                        continue
                    if reply.get("standby"):
                        result.asked_standby += 1
                        continue
                    acted = True
                    result.acted[name] += 1
                    if outcome.killed and not result.takeover:
                        result.takeover = f"{name}: {job} at {now:%d %b %H:%M}"
                    if not reply["ok"]:
                        outcome.errors.append(f"{name} {now:%d %b %H:%M} {reply['error']}")
                if acted:
                    return
                time.sleep(0.05)
            raise RuntimeError(f"no instance took the lead for {job} at {now}")

        try:
            ref = run_scenario(world.app, deliver=world.deliver, person_edit=world.person_edit,
                               cadence=CADENCES[backend], echo=lambda _line: None, runner=runner)
        finally:
            for bot in bots.values():
                bot.close()
        outcome.facts = world.facts(ref)
    except BotDied as died:
        outcome.errors.append(f"a bot died unexpectedly ({died}); see {root}")
    finally:
        world.close()
    return result
