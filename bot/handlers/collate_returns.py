"""collate_returns: whenever a new return is in a case's library, a new numbered draft of the rapid
review report with the merged chronology (`reports/Rapid Review Report - REF - draft vN.docx`). The
team edits the draft in Word and saves the version it approves as "... final.docx".

The case's `returns/` folder is listed only when something says a return may have come since the last
look: ingest saved one (its `return_saved` audit event), or one of the case's agency requests changed. An
idle tick costs no library request. A return saved into the folder by hand is picked up once its request
is updated in the Requests list (its status set to returned, say)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from bot.cases import RequestRecord, all_cases, requests_of
from bot.crashpoints import crash_point
from bot.documents import contexts
from bot.documents.returns import ParsedReturn, parse_return
from bot.domain.cadence import returns_wanted
from bot.handlers.common import Deps
from bot.ports import AuditEvent

CURSOR = "collated:{ref}"
LOOKED = "collate-looked:{ref}"  # fingerprint of the case's requests when its returns folder was last listed
PENDING = "collating:{ref}"  # "<fingerprint> <draft name>" while a draft is being written


@dataclass
class CollateReport:
    drafted: list[str] = field(default_factory=list)


def collate_returns(now: datetime, *, deps: Deps) -> CollateReport:
    report = CollateReport()
    for record in all_cases(deps.register):
        case = record.case
        p = deps.partnerships.get(case.partnership)
        if p is None or not returns_wanted(case):
            continue
        requests = requests_of(deps.register, case.ref)
        looked = _looked(deps, case.ref, requests)
        if deps.ledger.cursor(LOOKED.format(ref=case.ref)) == looked:
            continue
        files = deps.library.list(case.ref, "returns")
        fingerprint = hashlib.sha256("|".join(f"{d.path}:{d.size}" for d in files).encode()).hexdigest()
        if not files or deps.ledger.cursor(CURSOR.format(ref=case.ref)) == fingerprint:
            deps.ledger.set_cursor(LOOKED.format(ref=case.ref), looked)
            continue
        parsed = [_parse(deps, case.ref, d.path) for d in files]
        name, n = _draft_name(deps, case.ref, fingerprint)
        rendered = deps.documents[p.id].render("rapid_review_report", contexts.rapid_review_report(
            case, p, requests=requests, returns=parsed,
            version=f"draft v{n}", today=deps.hours.today(now)))
        crash_point("collate.rendered")
        deps.library.save(case.ref, f"reports/{name}", rendered.data)
        crash_point("collate.saved")
        with deps.ledger.atomic():
            deps.ledger.audit(AuditEvent(now, "report_drafted", case_ref=case.ref, detail=f"reports/{name}"))
            if rendered.stripped:
                deps.ledger.audit(AuditEvent(now, "characters_stripped", case_ref=case.ref,
                                             detail=f"{rendered.stripped} character(s) Word cannot hold, in {name}"))
            deps.ledger.set_cursor(CURSOR.format(ref=case.ref), fingerprint)
            deps.ledger.set_cursor(LOOKED.format(ref=case.ref), looked)
        report.drafted.append(name)
    return report


def _looked(deps: Deps, case_ref: str, requests: list[RequestRecord]) -> str:
    """What says whether a new return may be in the folder: the returns ingest saved for the case and every
    column of every request of it, as a short hash."""
    state = sorted((r.item.id, sorted((k, str(v)) for k, v in r.item.fields.items())) for r in requests)
    saved = deps.ledger.audit_count("return_saved", case_ref=case_ref, agency=None)
    return hashlib.sha256(repr((saved, state)).encode()).hexdigest()


def _draft_name(deps: Deps, case_ref: str, fingerprint: str) -> tuple[str, int]:
    """The draft's name: the one chosen before a crash for these same returns, else the next number (chosen
    and recorded before the file is written, so a crash between the save and the cursor rewrites that
    draft rather than adding an identical one)."""
    pending = (deps.ledger.cursor(PENDING.format(ref=case_ref)) or "").split(" ", 1)
    if len(pending) == 2 and pending[0] == fingerprint:
        name = pending[1]
        return name, int(name.rpartition(" v")[2].split(".")[0])
    existing = [d.path for d in deps.library.list(case_ref, "reports")]
    name, n = contexts.next_draft_name(case_ref, existing)
    deps.ledger.set_cursor(PENDING.format(ref=case_ref), f"{fingerprint} {name}")
    return name, n


def _parse(deps: Deps, case_ref: str, path: str) -> ParsedReturn:
    """A return read into the report's parts; one the bot cannot read (a PDF, a broken file) is still
    listed under "Returns the bot could not read", so no agency's return silently drops out."""
    agency = path.rpartition("/")[2].split("-")[0]
    if not path.lower().endswith(".docx"):
        return _unread(agency, f"{path} is not a Word form: read it by hand and add it to the report")
    try:
        parsed = parse_return(deps.library.read(case_ref, path), agency)
    except Exception:  # parse_return keeps what it cannot place; this guards only a broken file
        return _unread(agency, f"{path} could not be opened: read it by hand")
    unopened = [f for f in parsed.flags if f.startswith("could not open")]
    return _unread(agency, f"{path} {unopened[0]}: read it by hand") if unopened else parsed


def _unread(agency: str, note: str) -> ParsedReturn:
    return ParsedReturn(agency=agency, involvement=None, summary="", chronology=(), analysis="",
                        lived_experience="", good_practice=(), learning=(), actions=(), criteria_view="",
                        author="", unread=(note,), flags=())
