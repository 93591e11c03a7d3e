"""High availability on a real PostgreSQL server: two instances on one ledger, exactly one leader, and a standby
that takes over when the leader dies, finishing the run with nothing sent twice and nothing lost.

Needs a PostgreSQL server (`.ci/postgres` starts Debian's on loopback; see tests/postgres.py): without one these
tests skip, naming what is missing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import DEFAULT_CONFIG, ROOT
from tests.crash import harness
from tests.postgres import fresh_schema

pytestmark = pytest.mark.e2e


@pytest.fixture
def pg() -> Iterator[str]:
    with fresh_schema() as url:
        yield url


@pytest.mark.parametrize(("backend", "point"), [
    ("graph", "send.transmitted"),  # the message left, the ledger does not know: the standby must not send again
    ("local", "ingest.return_saved"),  # a return half processed: the standby must finish it, once
])
def test_the_standby_finishes_the_run_after_the_leader_is_killed(backend: str, point: str, pg: str,
                                                                  tmp_path: Path) -> None:
    reference = harness.run(backend, tmp_path / "reference", count=True)
    assert reference.clean and reference.facts is not None, reference.errors
    reached = reference.counts.get(point, 0)
    assert reached >= 2, f"the reference run reached {point} {reached} times"

    failover = harness.run_failover(backend, tmp_path / "ha", pg, point, hit=(reached + 1) // 2)
    outcome = harness.check(failover.outcome, reference.facts)

    assert outcome.killed, "the leader was never killed"
    assert failover.takeover.startswith("b:"), failover.takeover  # the standby, not the restarted leader
    assert failover.acted["a"] > 0 and failover.acted["b"] > 0
    assert failover.acted["a2"] == 0  # restarted, it found b leading and stayed standby to the end
    assert failover.asked_standby > 0
    assert outcome.errors == []
    assert outcome.violations == {kind: [] for kind in harness.KINDS}  # 0 duplicates, 0 losses, nothing stuck


def _config(tmp_path: Path, name: str, url: str) -> Path:
    text = DEFAULT_CONFIG.read_text()
    text = text.replace("tick_minutes = 5", "tick_minutes = 1").replace("ingest_seconds = 60", "ingest_seconds = 1")
    text = text.replace('[workspace]\n', f'[workspace]\nledger_url = "{url}"\n', 1)
    path = tmp_path / f"{name}.toml"
    path.write_text(text + f'\n[ops]\ninstance = "{name}"\nlog_format = "json"\n')
    return path


def _instances(url: str) -> dict[str, tuple[str, object]]:
    import psycopg

    with psycopg.connect(url) as conn:
        try:
            rows = conn.execute("SELECT name, role, last_tick_at FROM instances").fetchall()
        except psycopg.errors.UndefinedTable:  # the first instance has not migrated the ledger yet
            return {}
        return {name: (role, tick) for name, role, tick in rows}


def _wait(what: str, ready: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_cspr_bot_run_twice_one_leads_and_the_other_takes_over_when_it_is_killed(pg: str, tmp_path: Path) -> None:
    assert "tick_minutes = 5" in DEFAULT_CONFIG.read_text() and "ingest_seconds = 60" in DEFAULT_CONFIG.read_text()
    exe = str(Path(sys.executable).parent / "cspr-bot")
    procs: dict[str, subprocess.Popen[bytes]] = {}
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSPR_")}
    try:
        for name in ("alpha", "beta"):
            procs[name] = subprocess.Popen(
                [exe, "--config", str(_config(tmp_path, name, pg)), "--workspace", str(tmp_path / name), "run"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=(tmp_path / f"{name}.log").open("wb"))
            _wait(f"{name} to report", lambda n=name: n in _instances(pg))  # type: ignore[misc]
        _wait("alpha to lead and finish a job", lambda: _instances(pg)["alpha"][1] is not None)
        time.sleep(2)  # two polls: beta has tried for the lock, and must still be standby
        seen = _instances(pg)
        assert seen["alpha"][0] == "leader" and seen["beta"] == ("standby", None)  # beta never ran a job

        procs["alpha"].send_signal(signal.SIGKILL)
        procs["alpha"].wait()
        _wait("beta to take over", lambda: _instances(pg)["beta"][0] == "leader")
        _wait("beta to finish a job", lambda: _instances(pg)["beta"][1] is not None)

        health = subprocess.run([exe, "--config", str(tmp_path / "beta.toml"), "--workspace", str(tmp_path / "beta"),
                                 "health"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert health.returncode == 0 and health.stdout.startswith("healthy: beta leader"), health.stdout
        log = (tmp_path / "beta.log").read_text()
        assert '"msg": "beta: became the leader: running every job now"' in log
        assert '"tick": "' in log and '"instance": "beta"' in log  # JSON lines with the tick's correlation id
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=30)
    assert _instances(pg)["beta"][0] == "stopped"  # SIGTERM: released the lock and said so


def test_a_one_off_tick_refuses_while_another_instance_leads(pg: str, tmp_path: Path) -> None:
    from bot.leadership import AdvisoryLock

    exe = str(Path(sys.executable).parent / "cspr-bot")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSPR_")}
    config = _config(tmp_path, "gamma", pg)
    command = [exe, "--config", str(config), "--workspace", str(tmp_path / "gamma"), "tick",
               "--now", "2026-12-01T09:00"]
    leader = AdvisoryLock(pg)
    assert leader.ensure()
    try:
        refused = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    finally:
        leader.release()
    assert refused.returncode == 1
    assert "is the leader on this ledger, so this tick would act twice. Fix:" in refused.stderr
    ticked = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert ticked.returncode == 0 and "send_outbox:" in ticked.stdout, ticked.stderr
