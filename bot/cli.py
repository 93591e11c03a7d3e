"""The `cspr-bot` command. Only this module and `bot.bootstrap` read settings.

Imports are deferred into the commands so `cspr-bot --help` stays fast and never loads msgraph.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from bot import __version__
from bot.cli_audit import audit, retention
from bot.cli_cases import case, timeline
from bot.cli_common import DATE, EXIT_USAGE, Failure, emit_json, load
from bot.cli_m365 import doctor, provision
from bot.cli_outbox import outbox
from bot.cli_run import demo, health, run, status, tick


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", type=click.Path(dir_okay=False), default=None,
              help="Settings file (default: $CSPR_BOT_CONFIG or config/cspr-bot.toml).")
@click.option("--workspace", type=click.Path(file_okay=False), default=None,
              help="Local workspace folder (overrides workspace.path in the settings).")
@click.option("-v", "--verbose", is_flag=True, help="Log what each job does.")
@click.option("--log-format", type=click.Choice(["auto", "json", "text"]), default="auto",
              help="JSON lines (for a service) or text; auto: JSON unless on a terminal.")
@click.version_option(__version__, prog_name="cspr-bot", message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx: click.Context, config: str | None, workspace: str | None, verbose: bool, log_format: str) -> None:
    """Rapid reviews and case reviews for Safeguarding Children Partnerships.

    Sends agency information requests, chases returns, reminds leads of statutory deadlines and
    submits to the Child Safeguarding Practice Review Panel, on a local workspace or Microsoft 365.
    """
    ctx.obj = {"config": config, "workspace": Path(workspace) if workspace else None,
               "log_format": None if log_format == "auto" else log_format}
    from bot.logs import configure

    configure(verbose=verbose, fmt=log_format)


@cli.command()
@click.option("--aware", type=DATE, required=True, help="Date the local authority became aware.")
@click.option("--sin", "sin", type=DATE, help="Date the serious incident notification was submitted.")
@click.option("--decision", type=DATE, help="Date of the decision to commission an LCSPR.")
@click.option("--publication", type=DATE, help="Planned publication date of the LCSPR report.")
@click.option("--partnership", help="Partnership id or name (its clock and closure days apply).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object of ISO dates.")
@click.pass_context
def deadlines(ctx: click.Context, aware: date, sin: date | None, decision: date | None,
              publication: date | None, partnership: str | None, as_json: bool) -> None:
    """Every statutory deadline the given dates determine."""
    from bot.domain.deadlines import KeyDates, Policy, deadlines_for
    from bot.domain.rules import ClockStart, rapid_review_due
    from bot.settings import ConfigError

    settings = load(ctx, required=partnership is not None)
    policy = Policy()
    if settings is not None:
        try:
            policy = settings.partnership(partnership).to_domain().policy
        except ConfigError as exc:
            raise Failure(str(exc)) from None
    found = deadlines_for(KeyDates(la_aware=aware, sin_submitted=sin, decision=decision,
                                   publication=publication), policy)
    if as_json:
        emit_json({d.name: d.due.isoformat() for d in found if d.name != "learning_event_due"})
        return
    strict = rapid_review_due(sin_submitted=None, la_aware=aware, clock=ClockStart.LA_AWARE,
                              calendar=policy.calendar)
    for d in found:
        click.echo(f"{d.name:<32} {d.due:%a %d %b %Y}  [{d.rule.strength.value}] {d.rule.summary}")
        click.echo(f"{'':<32} source: {d.rule.source}")
        if d.name == "rapid_review_due" and policy.clock is ClockStart.SIN_SUBMITTED and strict is not None:
            # process.md §1.4: always show the stricter reading (clock from LA aware) beside it
            click.echo(f"{'':<32} strict reading, 15 working days from LA aware: {strict:%a %d %b %Y}")
    if sin is None and policy.clock is ClockStart.SIN_SUBMITTED:
        click.echo("rapid_review_due: give --sin (this partnership starts the clock at SIN submission)")


for command in (case, timeline, outbox, tick, run, health, status, demo, provision, doctor, audit, retention):
    cli.add_command(command)


def main(argv: list[str] | None = None) -> None:
    """Entry point: usage errors are one line on stderr with exit status 2."""
    try:
        status = cli.main(args=argv, prog_name="cspr-bot", standalone_mode=False)
    except click.UsageError as exc:
        click.echo(f"cspr-bot: error: {exc.format_message()}", err=True)
        sys.exit(EXIT_USAGE)
    except click.ClickException as exc:
        click.echo(f"cspr-bot: error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("cspr-bot: aborted", err=True)
        sys.exit(1)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    if isinstance(status, int) and status:
        sys.exit(status)
