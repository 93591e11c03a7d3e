"""The whole timetable on one screen: which job runs when. APScheduler only decides *when* a tick
runs; it holds no state (in-memory job store), so a restart loses nothing and a missed run is
caught up by the next one (reliability-security.md EO-11)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger


@dataclass(frozen=True)
class Job:
    id: str
    trigger: Callable[[int], BaseTrigger]  # tick minutes -> trigger
    what: str


def every_tick(minutes: int) -> BaseTrigger:
    return IntervalTrigger(minutes=minutes, timezone=UTC)


JOBS: tuple[Job, ...] = (
    Job("sync_cases", every_tick, "deadlines and RAG written back to the case register"),
)


def build_scheduler(run_job: Callable[[str, datetime], object], *, tick_minutes: int, timezone: str) -> Any:
    """A BlockingScheduler running every job once at start and then on its trigger, one at a time."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = BlockingScheduler(
        timezone=timezone,
        executors={"default": ThreadPoolExecutor(max_workers=1)},  # jobs never overlap
        job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )
    start = datetime.now(UTC)
    for job in JOBS:
        scheduler.add_job(
            lambda job_id=job.id: run_job(job_id, datetime.now(UTC)),
            trigger=job.trigger(tick_minutes), id=job.id, name=job.what, next_run_time=start,
        )
    return scheduler
