"""sync_cases: keep the register's computed columns (deadlines, RAG) current and audit stage changes.

Reads only what changed since the last tick, plus every case once a day (RAG moves with the date).
A person's edit that lands while the bot writes wins: the bot's write is conditional on the etag.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from bot.crashpoints import crash_point
from bot.domain.casework import computed_fields, derived_stage
from bot.domain.model import Partnership
from bot.domain.records import AGENCIES, CASES, FieldError, agency_to_fields, case_from_fields, same_value
from bot.handlers.common import BOT_ACTOR
from bot.ports import AuditEvent, CaseRegister, Item, Ledger, StaleItem

CURSOR = "register:cases"
FULL_PASS = "register:cases:full-pass-day"


@dataclass
class SyncReport:
    seen: int = 0
    updated: list[str] = field(default_factory=list)
    stage_changes: list[str] = field(default_factory=list)
    unreadable: int = 0
    conflicts: int = 0


def sync_cases(now: datetime, *, today: date, register: CaseRegister, ledger: Ledger,
               partnerships: dict[str, Partnership]) -> SyncReport:
    report = SyncReport()
    full_pass = ledger.cursor(FULL_PASS) != today.isoformat()
    if full_pass:
        _mirror_agencies(now, register, partnerships)
    changes = register.changed_since(CASES, None if full_pass else ledger.cursor(CURSOR))
    for item in changes.items:
        report.seen += 1
        _sync_one(now, today, item, register, ledger, partnerships, report)
    with ledger.atomic():
        ledger.set_cursor(CURSOR, changes.cursor)
        ledger.set_cursor(FULL_PASS, today.isoformat())
    return report


def _sync_one(now: datetime, today: date, item: Item, register: CaseRegister, ledger: Ledger,
              partnerships: dict[str, Partnership], report: SyncReport) -> None:
    ref = str(item.fields.get("Title", ""))[:40]
    try:
        case = case_from_fields(item.fields)
    except FieldError as exc:
        report.unreadable += 1
        ledger.audit(AuditEvent(now, "case_unreadable", case_ref=ref, detail=str(exc).split(":")[0]))
        return
    partnership = partnerships.get(case.partnership)
    if partnership is None:
        report.unreadable += 1
        ledger.audit(AuditEvent(now, "case_unknown_partnership", case_ref=case.ref))
        return
    wanted = computed_fields(case, partnership, today)
    stage = derived_stage(case)
    if stage is not case.stage:
        wanted["Stage"] = stage.value
    stage_key = f"case-stage:{case.ref}"
    if ledger.cursor(stage_key) != stage.value:
        with ledger.atomic():
            ledger.audit(AuditEvent(now, "stage_changed", case_ref=case.ref,
                                    detail=f"{ledger.cursor(stage_key) or 'new'} -> {stage.value}"))
            ledger.set_cursor(stage_key, stage.value)
        crash_point("sync.stage_audited")
        report.stage_changes.append(case.ref)
    if not all(same_value(item.fields.get(k), v) for k, v in wanted.items()):
        try:
            register.update(CASES, item.id, wanted, by=BOT_ACTOR, at=now, if_match=item.etag)
            report.updated.append(case.ref)
        except StaleItem:
            report.conflicts += 1  # a person changed it meanwhile; the next tick sees their edit


def _mirror_agencies(now: datetime, register: CaseRegister, partnerships: dict[str, Partnership]) -> None:
    """The Agencies list shows the configured agencies (config is the source: it is the allow-list)."""
    existing = {(i.fields.get("Partnership"), i.fields.get("Title")): i for i in register.items(AGENCIES)}
    for partnership in partnerships.values():
        for agency in partnership.agencies:
            fields = {**agency_to_fields(agency), "Partnership": partnership.id}
            current = existing.get((partnership.id, agency.code))
            if current is None:
                register.add(AGENCIES, fields, by=BOT_ACTOR, at=now)
            elif not all(same_value(current.fields.get(k), v) for k, v in fields.items()):
                register.update(AGENCIES, current.id, fields, by=BOT_ACTOR, at=now)
