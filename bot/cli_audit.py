"""`cspr-bot audit` and `cspr-bot retention`: export the append-only audit trail (who was sent what, when
and why) and apply each partnership's retention period to closed cases. Neither adds personal data: audit
rows hold case references, agency codes, purposes and outbox keys; retention names documents by path."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import click

from bot.cli_common import DATE, NOW, emit_json, now_utc, open_app
from bot.domain.rules import retention_ends

if TYPE_CHECKING:
    from bot.bootstrap import App
    from bot.ports import AuditEvent, Document

AUDIT_COLUMNS = ("at", "actor", "action", "case_ref", "agency", "detail", "outbox_key")
# a spreadsheet runs a cell starting with one of these as a formula (OWASP CSV injection;
# reliability-security.md CSV-1 adds tab, carriage return and NUL)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")


def neutralise(cell: str) -> str:
    """A CSV cell a spreadsheet will show as text: a leading quote stops it being read as a formula."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def _printable(text: str) -> str:
    """One terminal line: control characters shown escaped, so a crafted detail cannot forge rows."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


@click.command()
@click.option("--case", "case_ref", help="Only this case reference.")
@click.option("--since", type=DATE, help="Only events on or after this date (UK time).")
@click.option("--csv", "as_csv", is_flag=True, help="CSV (RFC 4180), formula-like cells neutralised.")
@click.option("--json", "as_json", is_flag=True, help="A JSON list of events (ISO times as recorded, UTC).")
@click.pass_context
def audit(ctx: click.Context, case_ref: str | None, since: date | None, as_csv: bool, as_json: bool) -> None:
    """Export the audit trail: every disclosure, approval and deletion, oldest first."""
    if as_csv and as_json:
        raise click.UsageError("--csv and --json: choose one")
    app = open_app(ctx)
    ref = case_ref.strip().upper() if case_ref else None
    events = [e for e in app.ledger.audit_trail(ref) if since is None or app.today(e.at) >= since]
    rows = [_audit_row(e) for e in events]
    if as_json:
        emit_json(rows)
    elif as_csv:
        out = io.StringIO()
        writer = csv.writer(out)  # quotes per RFC 4180; lines end in CRLF
        writer.writerow(AUDIT_COLUMNS)
        writer.writerows([neutralise(str(r[c])) for c in AUDIT_COLUMNS] for r in rows)
        click.echo(out.getvalue(), nl=False)
    else:
        _audit_table(app, events)


def _audit_row(event: AuditEvent) -> dict[str, Any]:
    return {"at": event.at.isoformat(), "actor": event.actor, "action": event.action, "case_ref": event.case_ref,
            "agency": event.agency, "detail": event.detail, "outbox_key": event.outbox_key}


def _audit_table(app: App, events: list[AuditEvent]) -> None:
    if not events:
        click.echo("no audit events match")
        return
    lines = [(f"{app.hours.local(e.at):%Y-%m-%d %H:%M}", e.action, e.case_ref, e.agency, e.actor,
              e.outbox_key, e.detail) for e in events]
    header = ("when (UK)", "action", "case", "agency", "actor", "outbox key", "detail")
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header[:-1])]
    for line in (header, *lines):
        cells = [_printable(c) for c in line]
        click.echo("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=False)) + "  " + cells[-1])


# --- retention -------------------------------------------------------------------------------

@dataclass(frozen=True)
class PastRetention:
    """A closed case whose retention period has ended, and what it left behind."""

    ref: str
    partnership: str
    closed_on: date
    retain_until: date
    documents: list[Document]
    register_items: list[tuple[str, str, str]]  # (list, item id, what it is)


def past_retention(app: App, today: date) -> list[PastRetention]:
    """Closed cases whose retention ended before `today`. The register item's last change stands for the
    closure date, so any later edit restarts the period (erring towards keeping)."""
    from bot.cases import all_cases
    from bot.domain.model import Stage
    from bot.domain.records import CASES, REQUESTS

    found = []
    for record in all_cases(app.register):
        case = record.case
        partnership = app.partnerships.get(case.partnership)
        if case.stage is not Stage.CLOSED:
            continue
        if partnership is None:
            click.echo(f"warning: {case.ref}: partnership {case.partnership!r} is not configured, so its "
                       "retention period is unknown; skipped", err=True)
            continue
        closed_on = app.today(record.item.modified_at)
        until = retention_ends(closed_on, partnership.retention_years)
        if until >= today:
            continue
        items = [(CASES, record.item.id, "the case"), *(
            (REQUESTS, i.id, f"agency request {i.fields.get('Agency', '')}")
            for i in app.register.find(REQUESTS, CaseRef=case.ref))]
        found.append(PastRetention(case.ref, partnership.id, closed_on, until, app.library.list(case.ref), items))
    return found


@click.command()
@click.option("--dry-run", is_flag=True, help="List what is past retention and change nothing (the default).")
@click.option("--apply", "apply_", is_flag=True, help="Delete the listed documents, auditing each deletion.")
@click.option("--now", "now", type=NOW, help="Preview as if it were this time (not with --apply).")
@click.option("--by", "by", default="cspr-bot", help="Who is applying retention (recorded in the audit trail).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def retention(ctx: click.Context, dry_run: bool, apply_: bool, now: datetime | None, by: str,
              as_json: bool) -> None:
    """Closed cases past the partnership's retention period (retention_years after closure)."""
    from bot.ports import AuditEvent

    if dry_run and apply_:
        raise click.UsageError("--dry-run and --apply: choose one")
    if apply_ and now is not None:
        raise click.UsageError("--now previews a later date; --apply always uses the current time")
    app = open_app(ctx)
    at = now_utc(now)
    cases = past_retention(app, app.today(at))
    deleted: dict[str, list[str]] = {}
    if apply_:
        for found in cases:
            for doc in found.documents:
                app.library.delete(found.ref, doc.path)
                app.ledger.audit(AuditEvent(now_utc(None), "retention_deleted", case_ref=found.ref, detail=doc.path,
                                            actor=by.strip().lower()))
                deleted.setdefault(found.ref, []).append(doc.path)
    if as_json:
        emit_json([{"ref": c.ref, "partnership": c.partnership, "closed_on": c.closed_on.isoformat(),
                    "retain_until": c.retain_until.isoformat(), "documents": [d.path for d in c.documents],
                    "deleted": deleted.get(c.ref, []),
                    "register_items": [{"list": li, "id": iid, "what": what} for li, iid, what in c.register_items]}
                   for c in cases])
        return
    _retention_report(cases, deleted, applied=apply_)


def _retention_report(cases: list[PastRetention], deleted: dict[str, list[str]], *, applied: bool) -> None:
    if not cases:
        click.echo("no closed case is past its retention period: nothing to " + ("delete" if applied else "list"))
        return
    for c in cases:
        click.echo(f"{c.ref}  closed {c.closed_on:%d %b %Y}, retained until {c.retain_until:%d %b %Y}")
        for doc in c.documents:
            click.echo(f"  {'deleted' if doc.path in deleted.get(c.ref, []) else 'document'}  {doc.path}")
        for list_name, item_id, what in c.register_items:
            click.echo(f"  register  {list_name}/{item_id} ({what}): remove by hand")
    documents = sum(len(c.documents) for c in cases)
    if applied:
        click.echo(f"deleted {sum(map(len, deleted.values()))} documents of {len(cases)} cases (each audited); "
                   "remove the register items listed by hand")
    else:
        click.echo(f"{len(cases)} cases past retention, {documents} documents: nothing changed. "
                   "Run `cspr-bot retention --apply` to delete the documents")
