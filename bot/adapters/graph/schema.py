"""The SharePoint lists cspr-bot needs, column by column, derived from the same tables the register
codec uses (bot/domain/records.py), so the lists and the code cannot drift apart."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.model import AgencyKind, LcsprOutcome, RequestStatus, Stage
from bot.domain.records import CASE_COLUMNS, COMPUTED_COLUMNS, REQUEST_COLUMNS


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text, note, date, datetime, boolean, number, choice, multichoice
    choices: tuple[str, ...] = ()
    indexed: bool = False


@dataclass(frozen=True)
class ListSpec:
    title: str
    columns: tuple[Column, ...]


KIND = {"str": "text", "date": "date", "datetime": "datetime", "bool": "boolean", "int": "number", "optint": "number",
        "list": "note"}
INDEXED = {"Partnership", "Stage", "CaseRef", "Agency", "Token", "Status", "RAG"}
RAG = ("red", "amber", "green", "done", "none")


def _column(name: str, kind: str) -> Column:
    if kind == "stage":
        return Column(name, "choice", tuple(s.value for s in Stage), indexed=True)
    if kind == "status":
        return Column(name, "choice", tuple(s.value for s in RequestStatus), indexed=True)
    if kind == "outcome":
        return Column(name, "choice", tuple(o.value for o in LcsprOutcome if o.value))
    return Column(name, KIND[kind], indexed=name in INDEXED)


def _columns(table: dict[str, tuple[str, str]]) -> tuple[Column, ...]:
    return tuple(_column(name, kind) for name, kind in table.values() if name != "Title")


LISTS: tuple[ListSpec, ...] = (
    ListSpec("Cases", _columns(CASE_COLUMNS) + (
        Column("SINDue", "date"), Column("RapidReviewDue", "date"), Column("NextDeadline", "text"),
        Column("NextDeadlineDate", "date"), Column("RAG", "choice", RAG, indexed=True))),
    ListSpec("Agency requests", _columns(REQUEST_COLUMNS)),
    ListSpec("Agencies", (Column("AgencyName", "text"), Column("Kind", "choice", tuple(k.value for k in AgencyKind)),
                          Column("LeadAddress", "text"), Column("EscalationAddress", "text"),
                          Column("AllowedDomains", "note"), Column("Partnership", "text", indexed=True))),
    ListSpec("Leads", (Column("Role", "text"), Column("Address", "text"), Column("CanApprove", "boolean"),
                       Column("Partnership", "text", indexed=True))),
    ListSpec("Actions", (Column("CaseRef", "text", indexed=True), Column("Owner", "text"), Column("Due", "date"),
                         Column("Status", "choice", ("open", "done"), indexed=True))),
)
assert set(COMPUTED_COLUMNS) <= {c.name for c in LISTS[0].columns}
