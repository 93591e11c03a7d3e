"""On SharePoint an approval counts only as the person who ticked it: read from the item's version history,
never from a column anyone can type in, and not confused by the bot's own later writes."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.adapters.graph.client import LoopThread
from bot.adapters.graph.register import SharePointCaseRegister
from tests.graph_emulator import GraphEmulator
from tests.graph_sdk import SITE, SITE_REF, provisioned

CHAIR = "crg.chair@northshire-scp.example"


def register_on(g: GraphEmulator) -> tuple[SharePointCaseRegister, LoopThread]:
    loop = LoopThread()
    return SharePointCaseRegister(provisioned(g, loop), loop, site=SITE_REF), loop


def test_the_approver_is_whoever_ticked_the_column_even_when_every_version_has_the_same_time():
    frozen = datetime(2027, 1, 15, 17, 45, tzinfo=UTC)
    with GraphEmulator(clock=lambda: frozen) as g:
        site = g.add_site(*SITE)
        register, loop = register_on(g)
        try:
            item = register.add("cases", {"Title": "RR-2026-014"}, by="cspr-bot")
            g.edit_item(site, "Cases", item.id, {"ApprovedForSubmission": True, "ApprovedBy": "typed@anyone.example"},
                        by=CHAIR)
            register.update("cases", item.id, {"RAG": "amber"}, by="cspr-bot")  # the bot writes after, same second
            assert register.get("cases", item.id).fields["ApprovedBy"] == CHAIR
        finally:
            loop.close()


def test_an_approval_ticked_by_the_bots_own_credentials_names_no_person():
    with GraphEmulator() as g:
        g.add_site(*SITE)
        register, loop = register_on(g)
        try:
            item = register.add("cases", {"Title": "RR-2026-014"}, by="cspr-bot")
            register.update("cases", item.id, {"ApprovedForSubmission": True, "ApprovedBy": CHAIR}, by=CHAIR)
            assert register.get("cases", item.id).fields["ApprovedBy"].startswith("app:")
        finally:
            loop.close()
