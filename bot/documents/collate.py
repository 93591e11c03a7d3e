"""Agency returns merged into the parts of the rapid review report: one multi-agency chronology,
sorted by date (stable: same inputs, same order) with identical rows from one agency kept once, and
good practice and learning grouped by agency. Whatever could not be read is carried, never dropped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.documents.returns import ParsedReturn


@dataclass(frozen=True)
class Collated:
    chronology: list[dict[str, str]]
    good_practice: list[dict[str, object]]
    learning: list[dict[str, object]]
    unread: list[dict[str, str]]


def long_date(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


def collate(returns: list[ParsedReturn], names: dict[str, str]) -> Collated:
    """`names` maps agency codes to the names shown in the report."""
    rows: list[tuple[tuple[int, date, str, int], dict[str, str]]] = []
    seen: set[tuple[str, str, str, str, str]] = set()
    for r in sorted(returns, key=lambda x: x.agency):
        name = names.get(r.agency, r.agency)
        for n, row in enumerate(r.chronology):
            identity = (r.agency, row.date_text.strip(), row.event.strip(), row.role.strip(), row.outcome.strip())
            if identity in seen:
                continue
            seen.add(identity)
            # dated rows first by date, then undated ones in the order the agency wrote them
            key = (0, row.date, name, n) if row.date else (1, date.max, name, n)
            rows.append((key, {"date": long_date(row.date) if row.date else row.date_text, "agency": name,
                               "event": row.event, "role": row.role, "outcome": row.outcome}))
    rows.sort(key=lambda pair: pair[0])
    unread = [{"agency": names.get(r.agency, r.agency), "text": text}
              for r in sorted(returns, key=lambda x: x.agency) for text in (*r.unread, *r.flags)]
    return Collated(
        chronology=[row for _, row in rows],
        good_practice=_grouped(returns, names, "good_practice"),
        learning=_grouped(returns, names, "learning"),
        unread=unread,
    )


def _grouped(returns: list[ParsedReturn], names: dict[str, str], field: str) -> list[dict[str, object]]:
    groups: list[dict[str, object]] = []
    for r in sorted(returns, key=lambda x: x.agency):
        entries = list(dict.fromkeys(e for e in getattr(r, field) if e.strip()))
        if entries:
            groups.append({"agency": names.get(r.agency, r.agency), "entries": entries})
    return groups
