"""Graph requests the bot makes, counted by the Graph emulator it talks to through the real SDK.

1. Idle cost: requests per idle tick (after hours, nothing due) with 1, 10 and 100 open cases, against the
   floor (one delta request per watched resource: the inbox, the Cases, Agency requests and Actions lists) and
   against a naive bot that lists the inbox and every list in full each tick (measured on the same emulator,
   in the same state).
2. Per unit of work: requests per processed agency return (one .docx attached), per request email sent, per
   chaser, per Panel submission, against the minimum each needs.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.graph_rig import DAY, Rig, add_cases, at, breakdown, rig, settle  # noqa: E402
from bench.measure import Results  # noqa: E402

WATCHED = ("inbox", "Cases", "Agency requests", "Actions")
FLOOR = len(WATCHED)


def naive_tick(r: Rig) -> int:
    """What a bot without change tracking reads each tick: the inbox and every list in full, in pages, through
    the same SDK. Returns the number of requests it took."""
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from msgraph.generated.sites.item.lists.item.items.items_request_builder import ItemsRequestBuilder

    from bot.adapters.graph.register import LIST_TITLES

    graph, loop = r.app.mailbox.graph, r.app.mailbox.loop
    before = r.mark()

    async def read_all() -> None:
        page = await graph.users.by_user_id(r.mailbox).mail_folders.by_mail_folder_id("inbox").messages.get()
        while page is not None and page.odata_next_link:
            page = await graph.users.by_user_id(r.mailbox).mail_folders.by_mail_folder_id(
                "inbox").messages.with_url(page.odata_next_link).get()
        site = graph.sites.by_site_id(r.settings.graph.site)
        for title in LIST_TITLES.values():
            builder = site.lists.by_list_id(title).items
            query = ItemsRequestBuilder.ItemsRequestBuilderGetQueryParameters(expand=["fields"], top=200)
            items = await builder.get(request_configuration=RequestConfiguration(query_parameters=query))
            while items is not None and items.odata_next_link:
                items = await builder.with_url(items.odata_next_link).get()

    loop.read(read_all)
    return len(r.since(before))


def idle(results: Results, key: str, sizes: tuple[int, ...] = (1, 10, 100), ticks: int = 3) -> None:
    from bot.bootstrap import tick

    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp, rig(Path(tmp)) as r:
            add_cases(r, n)
            settle(r, at(DAY, 20))
            ours, naive, shapes = [], [], ""
            for k in range(ticks):
                before = r.mark()
                tick(r.app, at(DAY, 21, 5 * k))
                ours.append(float(len(r.since(before))))
                shapes = breakdown(r.since(before))
                naive.append(float(naive_tick(r)))
        label = f"{n} open case{'s' if n > 1 else ''}"
        results.add(key, f"{label}: floor (one delta per watched resource)", float(FLOOR), "requests",
                    note=", ".join(WATCHED))
        results.add(key, f"{label}: naive bot (inbox and every list in full)", naive, "requests",
                    baseline=f"{label}: floor (one delta per watched resource)")
        results.add(key, f"{label}: cspr-bot idle tick", ours, "requests",
                    baseline=f"{label}: floor (one delta per watched resource)", note=shapes)


def _count(r: Rig, job_runs: list[tuple[str, Any]]) -> tuple[int, str]:
    """Requests the jobs made beyond the list and inbox deltas every tick pays anyway (the idle floor)."""
    from bot.bootstrap import run_job

    before = r.mark()
    for job, now in job_runs:
        run_job(r.app, job, now)
    made = [q for q in r.since(before) if not q.path.endswith("/delta") and "token=" not in q.path]
    return len(made), breakdown(made)


def _sent(r: Rig) -> int:
    return sum(1 for i in r.app.ledger.outbox() if i.status.value == "sent")


def per_unit(results: Results, key: str) -> None:
    """One case through its rapid review on the emulator, counting the requests of each unit of work beyond
    the tick's own deltas. One-off costs (the register's first load, the bot's mail folders made on first
    use) are paid before counting."""
    from bot.bootstrap import run_job
    from bot.demo.agencies import return_email

    with tempfile.TemporaryDirectory() as tmp, rig(Path(tmp)) as r:
        settle(r, at(DAY, 9), ticks=1)  # no case yet: the lists are loaded
        (ref,) = add_cases(r, 1)
        p = r.app.partnership()
        day = at(DAY, 10)
        for job in ("sync_cases", "start_rapid_review"):
            run_job(r.app, job, day)
        queued, sent = sum(1 for i in r.app.ledger.outbox() if i.status.value == "pending"), _sent(r)
        n, shapes = _count(r, [("send_outbox", day)])
        results.add(key, "request email sent (its Word form attached)", float(n) / max(_sent(r) - sent, 1),
                    "requests", note=f"minimum 2 (create the draft carrying its key, send it); {queued} sent: "
                                     f"{shapes}")
        requests = {i.key.rsplit(":", 1)[1]: i.message for i in r.app.ledger.outbox() if i.key.startswith("request:")}
        leads = {a.code: a.lead_address for a in p.agencies}

        def reply(agency: str, when: Any) -> None:
            r.g.deliver(r.mailbox, return_email(requests[agency], sender=leads[agency], mailbox=r.mailbox, at=when,
                                                agency=agency))

        reply_at = at(date(2026, 12, 29), 10)
        reply("POL", reply_at)
        run_job(r.app, "ingest_mail", reply_at)  # the first: the bot's mail folders are made (once)
        reply("HLT", reply_at + timedelta(minutes=1))
        n, shapes = _count(r, [("ingest_mail", reply_at + timedelta(minutes=2))])
        results.add(key, "agency return processed (ingest)", float(n), "requests",
                    note="minimum 5 (attachment list, the attachment, save the form, mark the request, file the "
                         f"message; plus a share of the inbox delta); {shapes}")
        n, shapes = _count(r, [("collate_returns", reply_at + timedelta(minutes=3))])
        results.add(key, "report draft made from 2 returns (collate)", float(n), "requests",
                    note=f"minimum 4 (list the returns, read each, save the draft); {shapes}")
        run_job(r.app, "send_outbox", reply_at + timedelta(minutes=4))  # the acknowledgements
        chase_day = at(date(2027, 1, 8), 10)
        run_job(r.app, "sync_cases", chase_day)
        sent = _sent(r)
        n_chase, chase_shapes = _count(r, [("chase_returns", chase_day)])
        chasers = sum(1 for i in r.app.ledger.outbox() if i.status.value == "pending")
        n_send, send_shapes = _count(r, [("send_outbox", chase_day)])
        if chasers:
            results.add(key, "chaser sent", float(n_chase + n_send) / chasers, "requests",
                        note=f"minimum 3 (record the chase on the request, draft, send); {chasers} chasers "
                             f"(and escalations): chase_returns {chase_shapes}; send_outbox {send_shapes}")
        else:
            results.note(key, "no chaser was due on the day chosen; chaser cost not measured")
        # the Panel submission: the final report saved, a lead ticks the approval in the Cases list
        from bot.documents.examples import EXAMPLES
        from bot.documents.render import DocumentTemplates

        final = DocumentTemplates().render("rapid_review_report", EXAMPLES["rapid_review_report"]).data
        r.app.library.save(ref, f"reports/Rapid Review Report - {ref} - final.docx", final)
        approver = next(lead.address for lead in p.leads if lead.can_approve)
        item = next(i for i in r.app.register.items("cases") if i.fields.get("Title") == ref)
        r.g.edit_item(_site_id(r), "Cases", item.id, {"ApprovedForSubmission": True}, by=approver)
        submit_day = at(date(2027, 1, 11), 10)
        n_submit, submit_shapes = _count(r, [("sync_cases", submit_day), ("submit_to_panel", submit_day)])
        n_send, send_shapes = _count(r, [("send_outbox", submit_day)])
        results.add(key, "Panel submission (report attached)", float(n_submit + n_send), "requests",
                    note=f"minimum 7 (the approved case read, who ticked it from its version history, find the "
                         f"final report, read it, record the submission, draft, send): sync_cases and "
                         f"submit_to_panel {submit_shapes}; send_outbox {send_shapes}")


def _site_id(r: Rig) -> str:
    from bench.graph_rig import SITE_HOST, SITE_PATH

    site = next(s for s in r.g._state.sites.values() if s.hostname == SITE_HOST and s.path == SITE_PATH)
    return str(site.id)


def run(results: Results) -> None:
    key = "idle"
    results.section(key, "1. Idle cost (Graph requests per idle tick)", __doc__.split("\n\n")[1].split(
        "\n2.")[0].removeprefix("1. ").replace("\n   ", " ").strip())
    idle(results, key)
    key = "unit"
    results.section(key, "2. Requests per unit of work", "Counted on the emulator's request log for one case "
                    "with five agencies, beyond the deltas every tick makes anyway (section 1); one-off costs (the "
                    "register's first load, the bot's mail folders made on first use) are paid before counting. "
                    "Request counts do not vary from run to run, so each is one run.")
    per_unit(results, key)


if __name__ == "__main__":
    run(Results())
