"""`cspr-bot provision | doctor`: set up the SharePoint lists, and check the Microsoft 365 connection."""

from __future__ import annotations

import sys
from typing import Any

import click

from bot.cli_common import ConfigFailure, load


def _graph(ctx: click.Context) -> Any:
    from bot.adapters.graph.client import LoopThread
    from bot.bootstrap import graph_client
    from bot.settings import ConfigError

    settings = load(ctx)
    assert settings is not None
    try:
        credential, graph = graph_client(settings)
    except ConfigError as exc:
        raise ConfigFailure(str(exc)) from None
    loop = LoopThread()
    ctx.call_on_close(loop.close)
    return settings, credential, graph, loop


@click.command()
@click.pass_context
def provision(ctx: click.Context) -> None:
    """Create or update the SharePoint lists (typed, indexed columns); a second run changes nothing."""
    from bot.adapters.graph.mailbox import GraphMailbox
    from bot.adapters.graph.provision import Provisioner

    settings, _, graph, loop = _graph(ctx)
    changes = Provisioner(graph, loop, site=settings.graph.site).run()
    mailbox = GraphMailbox(graph, loop, address=settings.bot.mailbox_address)
    changes += [f"created mail folder {name}" for name in mailbox.ensure_folders()]
    for line in changes:
        click.echo(line)
    click.echo(f"{len(changes)} change(s)" if changes else "everything was already in place; nothing changed")


@click.command()
@click.pass_context
def doctor(ctx: click.Context) -> None:
    """Check the Microsoft 365 connection: one line per check, with the fix for each failure."""
    from bot.adapters.graph.doctor import Check, Doctor

    settings, credential, graph, loop = _graph(ctx)
    checks = [Check("configuration valid", True, "settings loaded")] + Doctor(
        graph, loop, credential=credential, mailbox=settings.bot.mailbox_address, site=settings.graph.site,
        timezone=settings.bot.timezone).run()
    for c in checks:
        mark = click.style("ok  ", fg="green") if c.ok else click.style("FAIL", fg="red", bold=True)
        click.echo(f"{mark} {c.name}: {c.detail}" + (f"\n     fix: {c.fix}" if not c.ok else ""))
    if not all(c.ok for c in checks):
        sys.exit(1)


__all__ = ["doctor", "provision"]
