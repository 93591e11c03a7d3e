"""`make bench`: every benchmark section in one run, written to bench/RESULTS.md with the machine and the commands.

    make bench                          # or: .venv/bin/python bench/run.py
    .venv/bin/python bench/run.py idle backlog   # some sections only (written to RESULTS.md all the same)

Sections: 1 idle Graph cost, 2 requests per unit of work, 3 backlog after an outage, 4 documents, 5 start-up,
6 scale, 7 high availability (PostgreSQL ledger, failover). Each figure is several runs (median, min, max)
and a ratio to a baseline measured in the same run. Nothing here is asserted; tests never time anything.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.measure import Results  # noqa: E402


def _sections() -> dict[str, tuple[str, Callable[[Results], None]]]:
    from bench import backlog, documents, graph_costs, ha, pickup, scale, startup

    return {
        "graph": ("1-2", graph_costs.run),
        "backlog": ("3", backlog.run),
        "documents": ("4", documents.run),
        "startup": ("5", startup.run),
        "pickup": ("5", pickup.run),
        "scale": ("6", scale.run),
        "ha": ("7", ha.run),
    }


TITLES = {"documents": "4. Documents", "startup": "5. Start-up", "scale": "6. Scale"}


def main(wanted: list[str]) -> None:
    results = Results()
    sections = _sections()
    unknown = [w for w in wanted if w not in sections]
    if unknown:
        raise SystemExit(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(sections)}")
    timings = []
    for name, (_, run) in sections.items():
        if wanted and name not in wanted:
            continue
        start = time.perf_counter()
        run(results)
        timings.append(f"{name} {time.perf_counter() - start:.0f} s")
    for key, title in TITLES.items():
        if key in results.sections:
            results.sections[key].title = title
    command = "make bench" if not wanted else f"python bench/run.py {' '.join(wanted)}"
    text = results.markdown(command) + "\n\nSection wall times: " + ", ".join(timings) + ".\n"
    (ROOT / "bench" / "RESULTS.md").write_text(text)
    print(f"\nwrote bench/RESULTS.md ({', '.join(timings)})")


if __name__ == "__main__":
    main(sys.argv[1:])
