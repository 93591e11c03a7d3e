"""`cspr-bot outbox list | release`: see what the bot has queued and sent, and let a lead release a
held message (the Home Office NCCU notification waits for this)."""

from __future__ import annotations

import click

from bot.cli_common import Failure, emit_json, now_utc, open_app


@click.group()
def outbox() -> None:
    """Messages queued, held for approval, sent or refused."""


@outbox.command("list")
@click.option("--status", type=click.Choice(["held", "pending", "sent", "failed"]), help="Only this status.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def outbox_list(ctx: click.Context, status: str | None, as_json: bool) -> None:
    """One line per message: key, status, purpose and subject."""
    from bot.ports import OutboxStatus

    app = open_app(ctx)
    items = app.ledger.outbox(OutboxStatus(status) if status else None)
    rows = [{"key": i.key, "status": i.status.value, "case": i.case_ref, "purpose": i.purpose,
             "subject": i.message.subject, "queued": i.created_at.isoformat(),
             "sent": i.sent_at.isoformat() if i.sent_at else None, "error": i.error} for i in items]
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        click.echo(f"{r['status']:<8} {r['key']:<44} {r['subject']}")
    if not rows:
        click.echo("the outbox is empty")


@outbox.command("release")
@click.argument("key")
@click.option("--by", "by", required=True, help="The approving lead's address.")
@click.pass_context
def outbox_release(ctx: click.Context, key: str, by: str) -> None:
    """Release a held message so the next tick sends it (approving leads only)."""
    from bot.ports import AuditEvent, OutboxStatus

    app = open_app(ctx)
    held = {i.key: i for i in app.ledger.outbox(OutboxStatus.HELD)}
    item = held.get(key)
    if item is None:
        raise Failure(f"no held message with key {key!r}. Fix: `cspr-bot outbox list --status held` shows them")
    if not any(p.can_approve(by) for p in app.partnerships.values()):
        raise Failure(f"{by} is not a lead allowed to approve; the message stays held")
    now = now_utc(None)
    with app.ledger.atomic():
        app.ledger.release(key, at=now)
        app.ledger.audit(AuditEvent(now, "released", case_ref=item.case_ref, detail=item.purpose, outbox_key=key,
                                    actor=by.lower()))
    click.echo(f"released {key}: it goes with the next tick")
