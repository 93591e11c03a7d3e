"""`cspr-bot case add | update | list | show`: the register edited the way a person edits a
SharePoint list item, with who made each change."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import click

from bot.cli_common import DATE, Failure, emit_json, now_utc, open_app, rag_label

if TYPE_CHECKING:  # `cspr-bot --help` imports none of these
    from bot.bootstrap import App
    from bot.cases import CaseRecord

FLAGS = ("looked_after", "care_leaver", "domestic_abuse", "home_office_input")
# option -> case attribute, for plain values that `case add` and `case update` both take
PLACES = (("age", "age"), ("incident_la", "incident_la"), ("residence_la", "residence_la"),
          ("responsible_la", "responsible_la"), ("joint_review", "joint_review_with"), ("dardr", "dardr_contact"))
# option -> case attribute, for what happens after the rapid review (`case update` only)
LATER = (("panel_responded", "panel_responded"), ("panel_response", "panel_response"), ("reviewer", "reviewer"),
         ("no_lcspr_reasons", "no_lcspr_reasons"), ("lcspr_delay_reason", "lcspr_delay_reason"),
         ("lcspr_revised_date", "lcspr_revised_publication"), ("published", "published"),
         ("repository_sent", "repository_sent"), ("signed_off", "action_plan_signed_off"),
         ("dfe_notified", "dfe_notified"))
SHOWN = ("ref", "partnership", "child", "stage", "la_aware", "sin_submitted", "agencies", "flags", "approved",
         "approved_by", "delay_reason", "age", "incident_la", "residence_la", "responsible_la", "joint_review_with",
         "dardr_contact", "dfe_notification", "lcspr_outcome", "reviewer", "notices_approved_by",
         "lcspr_report_approved_by", "attention", "modified_by", "modified_at")


def place_options(f: Any) -> Any:
    """Age and the three local authorities, a joint review and a linked DARDR (process.md T1, T21)."""
    for decorator in reversed((
        click.option("--age", type=click.IntRange(0, 30), help="Age at the incident (a care leaver 18+ has no RR)."),
        click.option("--incident-la", help="Local authority where the incident happened."),
        click.option("--residence-la", help="Local authority where the child normally lived."),
        click.option("--responsible-la", help="Local authority responsible for the child (e.g. looked after)."),
        click.option("--joint-review", help="Another partnership reviewing jointly with this one."),
        click.option("--dardr", help="Contact for a linked domestic abuse related death review."),
    )):
        f = decorator(f)
    return f


def _agency_codes(values: tuple[str, ...]) -> tuple[str, ...]:
    """--agency POL --agency HLT, or --agency POL,HLT."""
    return tuple(dict.fromkeys(c.strip().upper() for v in values for c in v.split(",") if c.strip()))


@click.group()
def case() -> None:
    """Add, change and inspect cases in the register."""


@case.command("add")
@click.option("--ref", default="", help="Case reference, e.g. RR-2026-014 (default: the next free one).")
@click.option("--partnership", help="Partnership id (default: the first configured).")
@click.option("--child", required=True, help='Pseudonym only, e.g. "Child A".')
@click.option("--incident", type=DATE, help="Date of the incident.")
@click.option("--aware", type=DATE, required=True, help="Date the local authority became aware.")
@click.option("--sin", "sin", type=DATE, help="Date the SIN was submitted.")
@click.option("--sin-ref", default="", help="The Panel's SIN reference.")
@click.option("--agency", "agencies", multiple=True, help="Involved agency code (repeat, or comma-separated).")
@click.option("--looked-after", is_flag=True, help="The child is looked after.")
@click.option("--care-leaver", is_flag=True, help="The young person is a care leaver.")
@click.option("--domestic-abuse", is_flag=True, help="Domestic abuse is known or suspected.")
@click.option("--home-office", "home_office_input", is_flag=True, help="Home Office (NCCU) input needed.")
@place_options
@click.option("--by", "by", help="Who is adding it (default: the partnership's team address).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def case_add(ctx: click.Context, ref: str, partnership: str | None, child: str, incident: date | None,
             aware: date, sin: date | None, sin_ref: str, agencies: tuple[str, ...], looked_after: bool,
             care_leaver: bool, domestic_abuse: bool, home_office_input: bool, by: str | None,
             as_json: bool, **places: Any) -> None:
    """Add a case; its deadlines are computed at once."""
    from bot.cases import CaseError, add_case, describe
    from bot.domain.model import Case

    app = open_app(ctx)
    p = app.partnership(partnership)
    now = now_utc(None)
    new = Case(ref=ref.strip().upper(), partnership=p.id, child=child.strip(), incident=incident, la_aware=aware,
               sin_submitted=sin, sin_reference=sin_ref, agencies=_agency_codes(agencies),
               looked_after=looked_after, care_leaver=care_leaver, domestic_abuse=domestic_abuse,
               home_office_input=home_office_input,
               **{attr: places[option] for option, attr in PLACES if places[option] is not None})
    try:
        record = add_case(app.register, p, new, by=by or p.team_address, at=now)
    except CaseError as exc:
        raise Failure(str(exc)) from None
    view = describe(record, p, app.today(now))
    if as_json:
        emit_json(view)
    else:
        click.echo(f"added {view['ref']} ({p.name})")
        _print_deadlines(view)


@case.command("update")
@click.argument("ref")
@click.option("--by", "by", required=True, help="Who is making the change (their address).")
@click.option("--incident", type=DATE)
@click.option("--aware", type=DATE)
@click.option("--sin", "sin", type=DATE)
@click.option("--sin-ref")
@click.option("--add-agency", multiple=True, help="Agency code to add (repeat or comma-separate).")
@click.option("--remove-agency", multiple=True, help="Agency code to remove.")
@click.option("--looked-after/--not-looked-after", default=None)
@click.option("--care-leaver/--not-care-leaver", default=None)
@click.option("--domestic-abuse/--no-domestic-abuse", default=None)
@click.option("--home-office/--no-home-office", "home_office_input", default=None)
@click.option("--start-rapid-review", is_flag=True, help="Mark the rapid review as started.")
@click.option("--approve", is_flag=True, help="Approve the rapid review report for submission (leads only).")
@click.option("--delay-reason", help="Why the rapid review or LCSPR will be late.")
@click.option("--revised-date", type=DATE, help="The revised date that goes with a delay reason.")
@click.option("--stage", help="Set the stage (see `case show`).")
@click.option("--decision", type=DATE, help="Date of the decision to commission an LCSPR.")
@click.option("--publication", type=DATE, help="Planned publication date of the LCSPR report.")
@place_options
@click.option("--panel-responded", type=DATE, help="Date the Panel responded to the rapid review.")
@click.option("--panel-response", help="The Panel's view, in a sentence.")
@click.option("--lcspr", "lcspr", type=click.Choice(["commissioned", "not-commissioned"]),
              help="The partners' decision (give --decision with it).")
@click.option("--reviewer", help="The commissioned reviewer (named in the notice to the Panel, Ofsted, DfE).")
@click.option("--no-lcspr-reasons", help="Why no LCSPR was commissioned.")
@click.option("--approve-notices", is_flag=True, help="Approve the commissioning notice and letters (leads only).")
@click.option("--approve-lcspr-report", is_flag=True, help="Approve the final LCSPR report for the "
              "pre-publication submission (leads only).")
@click.option("--lcspr-delay-reason", help="Why the LCSPR will publish later than planned.")
@click.option("--lcspr-revised-date", type=DATE, help="The revised publication date that goes with it.")
@click.option("--published", type=DATE, help="Date the LCSPR report was published.")
@click.option("--repository-sent", type=DATE, help="Date sent to the national case review repository.")
@click.option("--signed-off", type=DATE, help="Date the action plan was signed off.")
@click.option("--dfe-notified", type=DATE, help="Date the DfE online notification was made (looked after or "
              "care leaver).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def case_update(ctx: click.Context, ref: str, by: str, as_json: bool, **options: Any) -> None:
    """Change a case's dates, flags, agencies, approval or delay reason."""
    from bot.cases import CaseError, describe, update_case
    from bot.domain.model import Stage

    app = open_app(ctx)
    now = now_utc(None)
    current = _find(app, ref)
    p = app.partnership(current.case.partnership)
    changes = _changes(current.case.agencies, options, by)
    if options["stage"]:
        try:
            changes["stage"] = Stage(options["stage"])
        except ValueError:
            raise Failure(f"--stage: {options['stage']!r} is not a stage; use one of: "
                          f"{', '.join(s.value for s in Stage)}") from None
    if not changes:
        raise Failure("nothing to change. Fix: give at least one option, see `cspr-bot case update --help`")
    approving = options["approve"] or options["approve_notices"] or options["approve_lcspr_report"]
    if approving and not p.can_approve(by):
        click.echo(f"warning: {by} is not a lead allowed to approve; the bot will refuse this approval", err=True)
    try:
        record = update_case(app.register, p, current.case.ref, changes, by=by.lower(), at=now)
    except CaseError as exc:
        raise Failure(str(exc)) from None
    view = describe(record, p, app.today(now))
    if as_json:
        emit_json(view)
    else:
        click.echo(f"updated {view['ref']}: {', '.join(sorted(changes))}")
        _print_deadlines(view)


def _changes(agencies: tuple[str, ...], o: dict[str, Any], by: str) -> dict[str, Any]:
    from bot.domain.model import LcsprOutcome

    changes: dict[str, Any] = {}
    for option, attr in (("incident", "incident"), ("aware", "la_aware"), ("sin", "sin_submitted"),
                         ("sin_ref", "sin_reference"), ("delay_reason", "delay_reason"),
                         ("revised_date", "revised_due"), ("decision", "lcspr_decision"),
                         ("publication", "publication"), *((f, f) for f in FLAGS), *PLACES, *LATER):
        if o[option] is not None:
            changes[attr] = o[option]
    if o["lcspr"]:
        changes["lcspr_outcome"] = LcsprOutcome(o["lcspr"].replace("-", "_"))
    added, removed = _agency_codes(o["add_agency"]), set(_agency_codes(o["remove_agency"]))
    if added or removed:
        changes["agencies"] = tuple(a for a in dict.fromkeys(agencies + added) if a not in removed)
    if o["start_rapid_review"]:
        changes["rapid_review_started"] = True
    if o["approve"]:
        changes["approved"], changes["approved_by"] = True, by.lower()
    if o["approve_notices"]:
        changes["notices_approved"], changes["notices_approved_by"] = True, by.lower()
    if o["approve_lcspr_report"]:
        changes["lcspr_report_approved"], changes["lcspr_report_approved_by"] = True, by.lower()
    return changes


@case.command("list")
@click.option("--partnership", help="Only this partnership's cases.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def case_list(ctx: click.Context, partnership: str | None, as_json: bool) -> None:
    """Every case with its next deadline and red/amber/green state."""
    views = _views(ctx, partnership)
    if as_json:
        emit_json(views)
        return
    if not views:
        click.echo("no cases yet: add one with `cspr-bot case add`")
    for v in views:
        nxt = next((d for d in v["deadlines"] if d["met_on"] is None and d["rag"] != "none"), None)
        due = f"{nxt['name']} {nxt['due']}" if nxt else "no open deadline"
        click.echo(f"{v['ref']:<14} {v['child']:<12} {v['stage']:<26} {due:<40} {rag_label(v['rag'])}")


@case.command("show")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def case_show(ctx: click.Context, ref: str, as_json: bool) -> None:
    """One case in full, with every deadline."""
    from bot.cases import describe

    app = open_app(ctx)
    record = _find(app, ref)
    view = describe(record, app.partnership(record.case.partnership), app.today(now_utc(None)))
    if as_json:
        emit_json(view)
        return
    for key in SHOWN:
        value = view[key]
        if value in ("", None, []) and key not in ("ref", "stage", "la_aware"):
            continue
        click.echo(f"{key:<14} {', '.join(value) if isinstance(value, list) else value}")
    click.echo(f"{'rag':<14} {rag_label(view['rag'])}")
    _print_deadlines(view)


def _find(app: App, ref: str) -> CaseRecord:
    from bot.cases import CaseError, find_case

    try:
        return find_case(app.register, ref.upper())
    except CaseError as exc:
        raise Failure(str(exc)) from None


def _views(ctx: click.Context, partnership: str | None, now: datetime | None = None) -> list[dict[str, Any]]:
    from bot.cases import all_cases, describe

    app = open_app(ctx)
    now = now_utc(now)
    wanted = app.partnership(partnership).id if partnership else None
    return [describe(r, app.partnerships[r.case.partnership], app.today(now))
            for r in all_cases(app.register)
            if r.case.partnership in app.partnerships and wanted in (None, r.case.partnership)]


def _print_deadlines(view: dict[str, Any]) -> None:
    for d in view["deadlines"]:
        met = f" (met {d['met_on']})" if d["met_on"] else ""
        click.echo(f"  {d['name']:<32} {d['due']}  {rag_label(d['rag']):<8} [{d['strength']}]{met}")


@click.command()
@click.argument("ref")
@click.option("--out", "out", type=click.Path(file_okay=False), default=".",
              help="Folder for the two files (default: the current folder).")
@click.option("--today", "today", type=DATE, help="Draw as if today were this date.")
@click.pass_context
def timeline(ctx: click.Context, ref: str, out: str, today: date | None) -> None:
    """Draw a case's statutory timeline (done, ahead, today marked) as a PNG and an HTML page."""
    from pathlib import Path

    from bot.adapters.local.files import write_atomic
    from bot.case_timeline import file_names, pictures

    app = open_app(ctx)
    record = _find(app, ref)
    p = app.partnership(record.case.partnership)
    png, html = pictures(record.case, p, today or app.today(now_utc(None)))
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in zip(file_names(record.case.ref), (png, html.encode()), strict=True):
        write_atomic(folder / name, data)
        click.echo(str(folder / name))
