"""Operating it: this process's counters, the health verdict (`cspr-bot health`, `/healthz`), Prometheus text
(`/metrics`), and the optional HTTP endpoint on a loopback port (off unless [ops] http_port is set).

Health is read from the ledger, so the `health` command (a separate process: a container's HEALTHCHECK) and the
service agree: an instance is healthy when its heartbeat is fresh and, if it is the leader, a job finished within
three tick intervals. Counts that must survive restarts (messages in and out, outbox depth) come from the ledger;
ticks and throttling are this process's own, as Prometheus counters are.
"""

from __future__ import annotations

import logging
import socket
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from bot.ports import Instance, Ledger

log = logging.getLogger("cspr_bot.http")


@dataclass
class Metrics:
    """This process's counters (a Prometheus counter starts again at 0 when its process does)."""

    jobs: dict[str, int] = field(default_factory=dict)  # job -> runs finished
    failures: dict[str, int] = field(default_factory=dict)  # job -> runs that raised
    ticks: int = 0  # passes that ran as leader
    throttled: int = 0  # Graph responses 429 (Too Many Requests), retried ones included
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def job_done(self, job_id: str, *, failed: bool = False) -> None:
        with self._lock:
            target = self.failures if failed else self.jobs
            target[job_id] = target.get(job_id, 0) + 1

    def count_throttled(self) -> None:
        with self._lock:
            self.throttled += 1


METRICS = Metrics()


def instance_name(configured: str = "") -> str:
    return configured or socket.gethostname()


def poll_seconds(tick: timedelta, ingest: timedelta) -> float:
    """How often an instance checks (and a standby tries for) the leadership: often enough that a standby takes
    over well within one tick interval, never more than every 15 seconds."""
    return max(1.0, min(tick.total_seconds(), ingest.total_seconds(), 15.0))


@dataclass(frozen=True)
class Verdict:
    ok: bool
    line: str


def health(ledger: Ledger, name: str, *, now: datetime, tick: timedelta, poll: float) -> Verdict:
    """One line on this instance: alive (heartbeat), and, if leader, still getting jobs done."""
    try:
        mine = next((i for i in ledger.instances() if i.name == name), None)
        stats = ledger.stats()
    except Exception as exc:  # noqa: BLE001 - any failure to read the ledger is the verdict
        return Verdict(False, f"unhealthy: cannot read the ledger ({type(exc).__name__})")
    if mine is None:
        return Verdict(False, f"unhealthy: instance {name} has no heartbeat in the ledger (not started yet?)")
    quiet = (now - mine.seen_at).total_seconds()
    stale = max(3 * poll, 60.0)
    if quiet > stale:
        return Verdict(False, f"unhealthy: {name} last seen {ago(quiet)} ago (expected every {poll:.0f} s)")
    outbox = f"outbox {stats.outbox.get('pending', 0)} pending"
    if mine.role != "leader":
        leader = next((i.name for i in ledger.instances() if i.role == "leader" and i.name != name), "none seen")
        return Verdict(True, f"healthy: {name} standby (leader: {leader}), {outbox}")
    since = (now - (mine.last_tick_at or mine.started_at)).total_seconds()
    if since > 3 * tick.total_seconds() + stale:
        return Verdict(False, f"unhealthy: {name} is leader but no job has finished for {ago(since)}")
    return Verdict(True, f"healthy: {name} leader, last job {ago(since)} ago, {outbox}")


def ago(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


def prometheus(ledger: Ledger, *, now: datetime, me: Instance | None, next_deadline: date | None,
               metrics: Metrics = METRICS) -> str:
    """The Prometheus text exposition of what operators watch."""
    stats = ledger.stats()
    lines: list[str] = []

    def family(name: str, kind: str, what: str, samples: list[tuple[str, float]]) -> None:
        lines.extend([f"# HELP {name} {what}", f"# TYPE {name} {kind}"])
        lines.extend(f"{name}{labels} {_number(value)}" for labels, value in samples)

    with metrics._lock:
        jobs, failures = dict(metrics.jobs), dict(metrics.failures)
        ticks, throttled = metrics.ticks, metrics.throttled
    family("cspr_ticks_total", "counter", "Passes of the jobs run as leader by this process.", [("", ticks)])
    family("cspr_job_runs_total", "counter", "Job runs finished by this process.",
           [(f'{{job="{j}"}}', n) for j, n in sorted(jobs.items())])
    family("cspr_job_failures_total", "counter", "Job runs that failed in this process.",
           [(f'{{job="{j}"}}', n) for j, n in sorted(failures.items())])
    family("cspr_messages_in_total", "counter", "Inbound messages processed (the ledger's count).",
           [("", stats.inbound)])
    family("cspr_messages_out_total", "counter", "Messages sent (the ledger's count).", [("", stats.sent)])
    family("cspr_quarantined_total", "counter", "Inbound messages quarantined.", [("", stats.quarantined)])
    family("cspr_outbox_depth", "gauge", "Outbox rows by status.",
           [(f'{{status="{s}"}}', n) for s, n in sorted(stats.outbox.items())])
    oldest = (now - stats.oldest_unsent).total_seconds() if stats.oldest_unsent else 0.0
    family("cspr_outbox_oldest_unsent_seconds", "gauge", "Age of the oldest pending outbox row (0: none).",
           [("", max(0.0, oldest))])
    family("cspr_graph_throttled_total", "counter", "Graph responses 429 Too Many Requests seen by this process.",
           [("", throttled)])
    family("cspr_leader", "gauge", "1 if this instance is the leader.",
           [("", 1.0 if me is not None and me.role == "leader" else 0.0)])
    if me is not None and me.last_tick_at is not None:
        family("cspr_last_tick_timestamp_seconds", "gauge", "When this instance last finished a job.",
               [("", me.last_tick_at.timestamp())])
    if next_deadline is not None:
        due = datetime.combine(next_deadline, datetime.min.time(), tzinfo=UTC)
        family("cspr_next_deadline_timestamp_seconds", "gauge", "The earliest open statutory deadline (its date).",
               [("", due.timestamp())])
        family("cspr_next_deadline_days", "gauge", "Days until the earliest open deadline (negative: overdue).",
               [("", (next_deadline - now.date()).days)])
    return "\n".join(lines) + "\n"


def _number(value: float) -> str:
    """Exactly, as Prometheus reads it (a timestamp in %g would lose its last digits)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class Endpoint:
    """`/healthz` and `/metrics` on host:port, in a daemon thread."""

    def __init__(self, host: str, port: int, *, healthz: Callable[[], Verdict], metrics: Callable[[], str]) -> None:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the http.server API)
                try:
                    if self.path == "/healthz":
                        verdict = endpoint.healthz()
                        self._reply(200 if verdict.ok else 503, verdict.line + "\n")
                    elif self.path == "/metrics":
                        self._reply(200, endpoint.metrics(), "text/plain; version=0.0.4; charset=utf-8")
                    else:
                        self._reply(404, "not found: try /healthz or /metrics\n")
                except Exception as exc:  # noqa: BLE001 - a broken scrape must not stop the service
                    log.warning("http %s failed: %s", self.path, type(exc).__name__)
                    self._reply(500, "error\n")

            def _reply(self, status: int, body: str, kind: str = "text/plain; charset=utf-8") -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet: scrapes are frequent
                pass

        self.healthz, self.metrics = healthz, metrics
        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self._thread = threading.Thread(target=self.server.serve_forever, name="cspr-http", daemon=True)

    def start(self) -> Endpoint:
        self._thread.start()
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
