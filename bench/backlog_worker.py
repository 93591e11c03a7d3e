"""The bot's side of the backlog benchmark, in a process of its own so its memory is its own: the Graph app
(the real SDK, the per-mailbox limiter) against an emulator already filled by bench/backlog.py. It loads the
register (its first read of the lists, timed apart), then drains the inbox with ingest_mail passes while a
thread samples its resident memory every 10 ms. Prints one JSON line: times, messages processed, passes,
resident memory when the drain began and at its highest during it, the limiter's peak in-flight count.

    python bench/backlog_worker.py BASE_URL WORKSPACE
"""

from __future__ import annotations

import gc
import json
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(base_url: str, workspace: str) -> None:
    from bench.backlog import DRAIN_DAY
    from bench.graph_rig import at, settings_for
    from bench.measure import peak_rss_mb
    from bot.adapters.graph.client import StaticTokenCredential, mailbox_limiter
    from bot.bootstrap import build_graph_app, run_job
    from bot.logs import tick_context

    settings = settings_for(base_url)
    app = build_graph_app(settings, Path(workspace), credential=StaticTokenCredential("emulator-token", base_url))
    graph = getattr(app.mailbox, "graph", None)
    start = time.perf_counter()
    with tick_context():  # the register's first load: once per process, whatever the backlog
        app.register.items("cases"), app.register.items("requests")
    load = time.perf_counter() - start
    gc.collect()
    sampler = Sampler()
    sampler.start()
    start = time.perf_counter()
    processed, passes = 0, 0
    while True:
        report = run_job(app, "ingest_mail", at(DRAIN_DAY, 10, passes % 60))
        passes += 1
        processed += report.processed  # type: ignore[attr-defined]
        if report.processed == 0:  # type: ignore[attr-defined]
            break
    wall = time.perf_counter() - start
    sampler.stop()
    limiter = mailbox_limiter(graph) if graph is not None else None
    peak = limiter.peak_in_flight(settings.bot.mailbox_address.lower()) if limiter is not None else -1
    app.close()
    print(json.dumps({"wall": wall, "load": load, "processed": processed, "passes": passes,
                      "rss_start_mb": sampler.first, "rss_peak_mb": sampler.peak, "maxrss_mb": peak_rss_mb(),
                      "limiter_peak": peak}))


class Sampler(threading.Thread):
    """Resident memory (/proc/self/statm) every 10 ms: the first sample and the highest."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.first, self.peak, self._halt = self.rss(), 0.0, threading.Event()
        self.peak = self.first

    @staticmethod
    def rss() -> float:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024

    def run(self) -> None:
        while not self._halt.wait(0.01):
            self.peak = max(self.peak, self.rss())

    def stop(self) -> None:
        self._halt.set()
        self.join()
        self.peak = max(self.peak, self.rss())


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
