"""`make crash-test`: the full crash matrix, printed as a table of points x seeds x outcomes.

    python -m tests.crash [--seeds 10] [--graph-seeds 3] [--backend local|graph] [--only POINT ...] [--out FILE]

Exit status 0 only when every run was killed where asked and found 0 duplicates, 0 losses, 0 stuck rows, 0
disagreements and 0 half-written files, and every named point was reached on at least one backend.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from bot.crashpoints import POINTS
from tests.crash.harness import BACKENDS, matrix, table, totals


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.crash", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10, help="distinct kills per point on the local workspace")
    parser.add_argument("--graph-seeds", type=int, default=3, help="distinct kills per point on the Graph emulator "
                        "(each Graph run takes ~20 s: the SDK's parsing)")
    parser.add_argument("--backend", choices=BACKENDS, action="append", help="default: both")
    parser.add_argument("--only", nargs="*", default=[], choices=sorted(POINTS), metavar="POINT")
    parser.add_argument("--jobs", type=int, default=None, help="runs at once (default: one per CPU)")
    parser.add_argument("--out", type=Path, help="also write the table (Markdown) here")
    parser.add_argument("--keep", type=Path, help="work here (failed runs are kept for reading)")
    args = parser.parse_args(argv)
    backends = tuple(args.backend or BACKENDS)
    started = time.monotonic()
    rows, failures = [], []
    with tempfile.TemporaryDirectory(prefix="cspr-crash-") as tmp:
        root = args.keep or Path(tmp)
        for backend in backends:
            seeds = args.graph_seeds if backend == "graph" else args.seeds
            found, failed = matrix(root, backends=(backend,), seeds=seeds, jobs=args.jobs, only=tuple(args.only))
            rows += found
            failures += failed
        text = table(rows)
        print(text)
        t = totals(rows)
        minutes = (time.monotonic() - started) / 60
        summary = (f"{t['points']} crash points reached x up to {args.seeds} seeds (local) / {args.graph_seeds} "
                   f"(Graph): {t['runs']} runs, {t['killed']} killed and restarted; {t['duplicates']} duplicates, "
                   f"{t['losses']} losses, {t['stuck']} stuck rows, {t['disagreements']} disagreements, "
                   f"{t['half_written']} half-written files, {t['errors']} runs with job errors ({minutes:.1f} min)")
        print(summary)
        if args.out:
            args.out.write_text(f"{text}\n\n{summary}\n")
        for outcome in failures[:20]:
            print(f"FAILED {outcome.backend} {outcome.point}@{outcome.hit}: killed={outcome.killed} "
                  f"errors={outcome.errors[:3]} {({k: v[:3] for k, v in outcome.violations.items() if v})}")
        unreached = [p for p in (args.only or POINTS) if not any(r.reached for r in rows if r.point == p)
                     and backends == BACKENDS]  # a point of the other backend is fine when one is asked for
        for point in unreached:
            print(f"NEVER REACHED {point}: the demo scenario does not exercise it on {', '.join(backends)}")
        if failures and args.keep is None:
            print("(run with --keep DIR to keep the failed runs' workspaces and bot logs)")
    return 1 if failures or unreached or t["runs"] != t["killed"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
