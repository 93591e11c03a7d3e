"""What every benchmark section shares: samples taken several times, reported as median (min-max) and as a
ratio to a baseline measured in the same run, collected into `bench/RESULTS.md` with the machine and the
commands. Nothing here asserts a time: benchmarks measure, tests assert behaviour.
"""

from __future__ import annotations

import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def samples(fn: Callable[[], object], runs: int = 5) -> list[float]:
    """Wall time of `fn`, in seconds, `runs` times."""
    found = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        found.append(time.perf_counter() - start)
    return found


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB: VmHWM, which starts afresh at exec (getrusage's
    ru_maxrss does not on Linux: a child started by a large parent would report the parent's peak)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Figure:
    label: str
    values: list[float]
    unit: str
    baseline: str | None = None  # label of the figure (same section) this one is a ratio to
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.values)


@dataclass
class Section:
    title: str
    intro: str = ""
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _number(value: float, unit: str) -> str:
    if unit in ("requests", "messages", "count", "items"):
        return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


class Results:
    """Sections of figures, printed as they come and written as Markdown at the end."""

    def __init__(self) -> None:
        self.sections: dict[str, Section] = {}
        self.started = datetime.now(UTC)
        self.clock = time.perf_counter()

    def section(self, key: str, title: str, intro: str = "") -> Section:
        if key not in self.sections:
            self.sections[key] = Section(title, intro)
            print(f"\n## {title}", flush=True)
        return self.sections[key]

    def add(self, key: str, label: str, values: list[float] | float, unit: str, *, baseline: str | None = None,
            note: str = "") -> Figure:
        section = self.sections[key]
        figure = Figure(label, list(values) if isinstance(values, list) else [values], unit, baseline, note)
        section.figures.append(figure)
        print(f"  {self.line(section, figure)}", flush=True)
        return figure

    def note(self, key: str, text: str) -> None:
        self.sections[key].notes.append(text)
        print(f"  - {text}", flush=True)

    def figure(self, key: str, label: str) -> Figure:
        return next(f for f in self.sections[key].figures if f.label == label)

    def ratio(self, section: Section, figure: Figure) -> str:
        if figure.baseline is None:
            return "1.00x (baseline)" if any(f.baseline == figure.label for f in section.figures) else ""
        base = next(f for f in section.figures if f.label == figure.baseline).median
        return f"{figure.median / base:.2f}x {figure.baseline}" if base else "n/a (baseline is 0)"

    def spread(self, figure: Figure) -> str:
        m = _number(figure.median, figure.unit)
        if len(figure.values) == 1:
            return f"{m} {figure.unit} (1 run)"
        return (f"{m} {figure.unit} (min {_number(min(figure.values), figure.unit)}, "
                f"max {_number(max(figure.values), figure.unit)}, {len(figure.values)} runs)")

    def line(self, section: Section, figure: Figure) -> str:
        ratio = self.ratio(section, figure)
        return f"{figure.label}: {self.spread(figure)}" + (f"; {ratio}" if ratio else "") + (
            f" - {figure.note}" if figure.note else "")

    def markdown(self, command: str) -> str:
        out = ["# Benchmark results", "",
               f"Written by `{command}` on {self.started:%Y-%m-%d %H:%M} UTC in "
               f"{time.perf_counter() - self.clock:.0f} s. Each figure is the median of its runs with the minimum "
               "and maximum; a ratio compares it with the baseline named beside it, measured in the same run. "
               "Nothing here is asserted by a test.", "", "## Machine", "", *[f"- {line}" for line in machine()], ""]
        for section in self.sections.values():
            out += [f"## {section.title}", ""]
            if section.intro:
                out += [section.intro, ""]
            out += ["| Figure | Median (min, max, runs) | Ratio | Note |", "|---|---|---|---|"]
            for f in section.figures:
                out.append(f"| {f.label} | {self.spread(f)} | {self.ratio(section, f)} | {f.note} |")
            out.append("")
            out += [f"- {n}" for n in section.notes]
            if section.notes:
                out.append("")
        return "\n".join(out)

    def write(self, path: Path, command: str) -> None:
        path.write_text(self.markdown(command) + "\n")
        print(f"\nwrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def machine() -> list[str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                       if line.startswith("MemTotal")))
        memory = f", {kib / 1024 / 1024:.1f} GB memory"
    except (OSError, StopIteration, ValueError):
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, check=False).stdout.strip()
    except OSError:
        commit = ""
    import importlib.metadata as md

    versions = ", ".join(f"{name} {md.version(name)}" for name in ("msgraph-sdk", "docxtpl", "APScheduler")
                         if _installed(name))
    return [f"{cpu}, {os.cpu_count()} CPUs{memory}",
            f"{platform.system()} {platform.release()}, Python {platform.python_version()} ({sys.executable})",
            f"{versions}; commit {commit or 'unknown'}"]


def _installed(name: str) -> bool:
    import importlib.metadata as md

    try:
        md.version(name)
    except md.PackageNotFoundError:
        return False
    return True
