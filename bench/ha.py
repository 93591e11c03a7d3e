"""High-availability figures, measured in one run against a real PostgreSQL on loopback (`.ci/postgres`):

- ledger throughput: outbox rows queued and marked sent per second, each in its own transaction as the bot
  does it, on PostgreSQL against the embedded SQLite ledger (the baseline, synchronous=FULL on local disk);
- failover: from SIGKILL of the leading `cspr-bot run` to the standby's heartbeat as leader, against the poll
  interval (the ceiling the design promises).
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EXE = str(Path(sys.executable).parent / "cspr-bot")


def spread(samples: list[float], fmt: str = ",.0f") -> str:
    return (f"median {statistics.median(samples):{fmt}}, min {min(samples):{fmt}}, "
            f"max {max(samples):{fmt}}")


def outbox_rate(ledger: object, n: int) -> float:
    from bot.ports import OutboundMessage

    message = OutboundMessage(to=("duty.officer@police.example",), subject="Information request: RR-2026-001",
                              text="Please return the attached form.\n" * 20)
    now = datetime.now(UTC)
    start = time.perf_counter()
    for i in range(n):
        ledger.enqueue(f"k{i}", message, case_ref="RR-2026-001", purpose="agency-request", at=now)  # type: ignore[attr-defined]
        ledger.mark_sent(f"k{i}", at=now, message_id=f"<m{i}@scp.example>")  # type: ignore[attr-defined]
    return n / (time.perf_counter() - start)


def ledgers(n: int = 1000, repeat: int = 3) -> tuple[list[float], list[float]] | None:
    from bot.ledger import SqliteLedger
    from bot.ledger_pg import PostgresLedger
    from tests.postgres import fresh_schema, unavailable

    if reason := unavailable():
        print(f"ledger     skipped: {reason}")
        return None
    sqlite, postgres = [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            lite = SqliteLedger(Path(tmp) / "ledger.sqlite")
            sqlite.append(outbox_rate(lite, n))
            lite.close()
        with fresh_schema() as url:
            pg = PostgresLedger(url)
            postgres.append(outbox_rate(pg, n))
            pg.close()
    base = statistics.median(sqlite)
    print(f"ledger     SQLite (file, FULL)    {spread(sqlite)} rows/s   1.00x (baseline; {n} rows queued + "
          f"marked sent, a transaction each)")
    print(f"           PostgreSQL (loopback)  {spread(postgres)} rows/s   {statistics.median(postgres) / base:5.2f}x")
    return sqlite, postgres


def _roles(url: str) -> dict[str, str]:
    import psycopg

    with psycopg.connect(url) as conn:
        try:
            return dict(conn.execute("SELECT name, role FROM instances").fetchall())
        except psycopg.errors.UndefinedTable:
            return {}


def _wait(ready: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not ready():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError
        time.sleep(0.02)


def failover(repeat: int = 5) -> list[float] | None:
    from tests.postgres import fresh_schema, unavailable

    if reason := unavailable():
        print(f"failover   skipped: {reason}")
        return None
    base = (ROOT / "config" / "cspr-bot.toml").read_text()
    base = base.replace("tick_minutes = 5", "tick_minutes = 1").replace("ingest_seconds = 60", "ingest_seconds = 1")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSPR_")}
    takeovers = []
    for _ in range(repeat):
        with fresh_schema() as url, tempfile.TemporaryDirectory() as tmp:
            procs = []
            try:
                for name in ("alpha", "beta"):
                    config = Path(tmp) / f"{name}.toml"
                    config.write_text(base.replace("[workspace]\n", f'[workspace]\nledger_url = "{url}"\n', 1)
                                      + f'\n[ops]\ninstance = "{name}"\n')
                    procs.append(subprocess.Popen([EXE, "--config", str(config), "--workspace", f"{tmp}/{name}",
                                                   "run"], cwd=ROOT, env=env, stderr=subprocess.DEVNULL))
                    _wait(lambda n=name: n in _roles(url))  # type: ignore[misc]
                _wait(lambda: _roles(url).get("alpha") == "leader" and _roles(url).get("beta") == "standby")
                procs[0].send_signal(signal.SIGKILL)
                start = time.perf_counter()
                _wait(lambda: _roles(url).get("beta") == "leader")
                takeovers.append(time.perf_counter() - start)
            finally:
                for proc in procs:
                    if proc.poll() is None:
                        proc.terminate()
                        proc.wait(timeout=30)
    print(f"failover   leader SIGKILLed -> standby leads: {spread(takeovers, '.2f')} s over {repeat} runs "
          f"({statistics.median(takeovers) / 1.0:4.2f}x the 1 s poll; the default settings poll every 15 s, "
          "so a standby takes over within 15 s, a twentieth of the 5-minute tick)")
    return takeovers


def run(results: object) -> None:
    """Section 7 of `make bench` (bench/run.py): the same figures, recorded."""
    from bench.measure import Results
    from tests.postgres import unavailable

    assert isinstance(results, Results)
    key = "ha"
    results.section(key, "7. High availability (PostgreSQL ledger, failover)",
                    "Against a real PostgreSQL on loopback (`.ci/postgres`, as root, starts one).")
    if reason := unavailable():
        results.note(key, f"not measured: {reason}")
        return
    found = ledgers()
    if found is not None:
        results.add(key, "ledger: SQLite file (synchronous=FULL)", found[0], "rows/s",
                    note="1,000 outbox rows queued and marked sent, a transaction each")
        results.add(key, "ledger: PostgreSQL on loopback", found[1], "rows/s",
                    baseline="ledger: SQLite file (synchronous=FULL)")
    takeovers = failover(repeat=3)
    if takeovers is not None:
        results.add(key, "failover: poll interval", 1.0, "s", note="the standby's leadership poll, set to 1 s")
        results.add(key, "failover: leader SIGKILLed until the standby leads", takeovers, "s",
                    baseline="failover: poll interval", note="the default 15 s poll takes over within 15 s")


if __name__ == "__main__":
    ledgers()
    failover()
