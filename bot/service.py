"""`cspr-bot run` as a service: the timetable, run only while this instance is the leader, with a heartbeat in the
ledger for `status` and `health`, and the optional /healthz and /metrics endpoint.

A watch job (its own thread, so a long job never delays it) checks the leadership every poll (at most 15 s):
a standby that gets the lock runs every job at once, so it takes over well within one tick interval; a leader
checks again before each job, so one cut off from the database stops acting.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot import __version__
from bot.leadership import Leadership
from bot.logs import tick_context
from bot.ops import METRICS, Endpoint, Verdict, health, poll_seconds, prometheus
from bot.ports import Instance, Ledger

if TYPE_CHECKING:
    from bot.bootstrap import App

log = logging.getLogger("cspr_bot.service")


class Service:
    def __init__(self, app: App, *, leadership: Leadership, ops_ledger: Ledger, instance: str,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.app, self.leadership, self.ledger, self.name, self.clock = app, leadership, ops_ledger, instance, clock
        self.started = clock()
        self.leader = False
        self.poll = poll_seconds(app.cadence.tick, app.cadence.ingest)
        self.scheduler: Any = None
        self.endpoint: Endpoint | None = None
        self._lock = threading.Lock()
        self._deadline: tuple[datetime, date | None] | None = None
        self._outdated = False

    # leadership and heartbeat
    def check(self) -> bool:
        """Whether this instance leads now; records the heartbeat; on becoming leader, runs every job at once.
        An instance whose ledger a newer version has migrated stands down for good (a rolling upgrade)."""
        leader = not self.outdated() and self.leadership.ensure()
        with self._lock:
            changed, self.leader = leader != self.leader, leader
        if changed:
            log.warning("%s: %s", self.name, "became the leader: running every job now" if leader else
                        "standby: another instance is the leader")
            if leader and self.scheduler is not None:
                now = datetime.now(UTC)
                soon = now + timedelta(seconds=self.poll)
                for job in self.scheduler.get_jobs():  # those not due within a poll anyway
                    if job.id != "watch" and job.next_run_time and job.next_run_time > soon:
                        job.modify(next_run_time=now)
        self.beat()
        return leader

    def outdated(self) -> bool:
        from bot.migrations import LATEST

        try:
            found = self.ledger.schema_version()
        except Exception:  # noqa: BLE001 - unreadable now: leadership's own check decides
            return False
        if found > LATEST and not self._outdated:
            self._outdated = True
            log.error("%s: the ledger is at schema version %d, newer than this cspr-bot (%d): a newer version is "
                      "running; standing down. Fix: stop this instance and run the new version", self.name, found,
                      LATEST)
            self.leadership.release()
        return self._outdated

    def beat(self, *, tick_at: datetime | None = None, tick_id: str = "", role: str = "") -> None:
        try:
            self.ledger.heartbeat(Instance(
                name=self.name, host=socket.gethostname(), pid=os.getpid(), version=__version__,
                role=role or ("leader" if self.leader else "standby"), started_at=self.started, seen_at=self.clock(),
                last_tick_at=tick_at, last_tick_id=tick_id))
        except Exception as exc:  # noqa: BLE001 - a missed heartbeat shows in health; the jobs go on
            log.warning("heartbeat not recorded: %s", type(exc).__name__)

    # the jobs
    def run_job(self, job_id: str, now: datetime) -> None:
        from bot.bootstrap import run_job

        if not self.check():
            return
        with tick_context() as tick_id:
            try:
                run_job(self.app, job_id, now)
                METRICS.job_done(job_id)
            except Exception:  # one failed job must not stop the service; the next tick tries again
                log.exception("job %s failed", job_id)
                METRICS.job_done(job_id, failed=True)
            if job_id == "sync_cases":
                METRICS.ticks += 1
            self.beat(tick_at=self.clock(), tick_id=tick_id)

    # operators
    def health(self) -> Verdict:
        return health(self.ledger, self.name, now=self.clock(), tick=self.app.cadence.tick, poll=self.poll)

    def metrics(self) -> str:
        me = next((i for i in self.ledger.instances() if i.name == self.name), None)
        return prometheus(self.ledger, now=self.clock(), me=me, next_deadline=self.next_deadline())

    def next_deadline(self) -> date | None:
        """The earliest open deadline in the register (as sync_cases wrote it), read at most once per tick."""
        now = self.clock()
        if self._deadline is None or now - self._deadline[0] > self.app.cadence.tick:
            self._deadline = (now, earliest_deadline(self.app))
        return self._deadline[1]

    def serve(self, *, host: str, port: int, timezone: str) -> None:
        """Run until SIGTERM or Ctrl-C: the watch job on its own thread, the jobs one at a time on another."""
        from bot.schedule import build_scheduler

        if port:
            self.endpoint = Endpoint(host, port, healthz=self.health, metrics=self.metrics).start()
            log.warning("serving /healthz and /metrics on %s:%d", host, self.endpoint.port)
        self.scheduler = build_scheduler(self.run_job, cadence=self.app.cadence, timezone=timezone,
                                         watch=self.check, watch_every=timedelta(seconds=self.poll))
        signal.signal(signal.SIGTERM, lambda *_: self.scheduler.shutdown(wait=False))
        try:
            self.scheduler.start()
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.stop()

    def stop(self) -> None:
        if self.endpoint is not None:
            self.endpoint.close()
            self.endpoint = None
        self.leadership.release()
        with self._lock:
            self.leader = False
        self.beat(role="stopped")


def earliest_deadline(app: App) -> date | None:
    from bot.domain.records import CASES

    found = []
    for item in app.register.items(CASES):
        due, stage = item.fields.get("NextDeadlineDate"), item.fields.get("Stage")
        if stage == "closed" or not due:
            continue
        if isinstance(due, date):  # Graph: the SDK parses the column into a datetime (a date too)
            found.append(due.date() if isinstance(due, datetime) else due)
            continue
        try:
            found.append(date.fromisoformat(str(due)[:10]))
        except ValueError:
            continue
    return min(found, default=None)
