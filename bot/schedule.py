"""The whole timetable on one screen: which job runs when. APScheduler only decides *when* a job
runs; it holds no state (in-memory job store), so a restart loses nothing and a missed run is
caught up by the next one (reliability-security.md EO-11). Jobs that act once a day (digests,
chasers) run every tick and decide from the date and the outbox keys, not from the trigger, so a
service that was down at 08:30 still sends them when it comes back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger


@dataclass(frozen=True)
class Cadence:
    tick: timedelta
    ingest: timedelta


@dataclass(frozen=True)
class Job:
    id: str
    trigger: Callable[[Cadence], BaseTrigger]
    what: str


def every_tick(c: Cadence) -> BaseTrigger:
    return IntervalTrigger(seconds=int(c.tick.total_seconds()), timezone=UTC)


def every_ingest(c: Cadence) -> BaseTrigger:
    return IntervalTrigger(seconds=int(c.ingest.total_seconds()), timezone=UTC)


# in this order within one tick: read what changed, decide, then send
JOBS: tuple[Job, ...] = (
    Job("sync_cases", every_tick, "deadlines and RAG written back to the case register"),
    Job("ingest_mail", every_ingest, "replies matched, classified, recorded and filed"),
    Job("start_rapid_review", every_tick, "information requests to every involved agency"),
    Job("collate_returns", every_ingest, "a new draft of the rapid review report when a return arrives"),
    Job("chase_returns", every_tick, "reminders, chasers and escalations (office hours, working days)"),
    Job("remind_leads", every_tick, "lead digests from 08:30 and deadline reminders (working days)"),
    Job("submit_to_panel", every_tick, "approved reports to the Panel; urgent alerts and delay notices"),
    Job("follow_reviews", every_tick, "local reviews: notices, letters, monthly checks, pre-publication, after"),
    Job("send_outbox", every_ingest, "the outbox drained through the mailbox, once per key"),
)


def build_scheduler(run_job: Callable[[str, datetime], object], *, cadence: Cadence, timezone: str,
                    watch: Callable[[], object] | None = None, watch_every: timedelta | None = None) -> Any:
    """A BlockingScheduler running every job once at start and then on its trigger, one at a time; and `watch`
    (the leadership check and heartbeat) every `watch_every` on a thread of its own, so a long job never
    delays it."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = BlockingScheduler(
        timezone=timezone,
        executors={"default": ThreadPoolExecutor(max_workers=1),  # jobs never overlap
                   "watch": ThreadPoolExecutor(max_workers=1)},
        job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )
    start = datetime.now(UTC)
    if watch is not None:
        scheduler.add_job(watch, trigger=IntervalTrigger(seconds=(watch_every or cadence.ingest).total_seconds(),
                                                         timezone=UTC),
                          id="watch", name="leadership and heartbeat", executor="watch", next_run_time=start)
    for job in JOBS:
        scheduler.add_job(
            lambda job_id=job.id: run_job(job_id, datetime.now(UTC)),
            trigger=job.trigger(cadence), id=job.id, name=job.what, next_run_time=start,
        )
    return scheduler
