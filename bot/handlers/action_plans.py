"""Action plans (process.md T23): each open action's owner is reminded before it is due; overdue actions go
into the leads' digest (remind_leads). Run by the follow_reviews job."""

from __future__ import annotations

from datetime import datetime

from bot.cases import CaseRecord
from bot.domain.model import Partnership
from bot.domain.records import ACTIONS, FieldError, action_from_fields
from bot.handlers.common import Deps, alert, queue

ACTION_REMINDERS = (5, 0)  # working days before an action is due


def remind_action_owners(now: datetime, cases: dict[str, CaseRecord], deps: Deps) -> dict[str, int]:
    """Each open action's owner is reminded 5 working days before it is due and on the day (again if the due
    date moves); overdue actions are in the leads' digest (remind_leads). Returns how many went, by purpose."""
    sent: dict[str, int] = {}
    for item in deps.register.items(ACTIONS):
        try:
            action = action_from_fields(item.fields)
        except FieldError:
            continue
        record = cases.get(action.case_ref)
        p = deps.partnerships.get(record.case.partnership) if record else None
        if action.done or action.due is None or p is None or record is None:
            continue
        today, cal = deps.hours.today(now), p.policy.calendar
        if not deps.hours.is_open(now, cal) or today > action.due:
            continue
        days_left = cal.working_days_between(today, action.due)
        if days_left not in ACTION_REMINDERS:
            continue
        owner, copy = action.owner.lower(), [p.team_address]
        if owner not in _known(p):  # the bot sends only to configured addresses: the team passes it on
            sent["team_alert"] = sent.get("team_alert", 0) + alert(
                now, p, deps, key=f"action-owner:{item.id}", case_ref=action.case_ref,
                what=f"action {item.id}'s owner is not an address in the configuration",
                action="pass its reminders on, or make the owner an agency lead or partner in the configuration")
            owner, copy = p.team_address, []
        key = f"action:{item.id}:{action.due.isoformat()}:{days_left}"
        message = deps.composer.compose(
            "action_reminder", key=key, to=[owner], cc=copy, classification=p.classification, partnership=p,
            case=record.case, action=action, days_left=days_left)
        sent["action_reminder"] = sent.get("action_reminder", 0) + int(queue(
            deps.ledger, key, message, now=now, case_ref=action.case_ref, purpose="action_reminder",
            due_by=action.due))
    return sent


def _known(p: Partnership) -> set[str]:
    found = {p.team_address, *(lead.address for lead in p.leads)}
    for agency in p.agencies:
        found.update((agency.lead_address, agency.escalation_address))
    return {a.lower() for a in found}
