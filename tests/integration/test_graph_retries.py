"""One retry layer per operation on Graph: a read survives a reset connection (tenacity); a throttled
read is the SDK's to retry (Retry-After honoured); a send is never retried blindly."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from bot.adapters.graph.client import LoopThread
from bot.adapters.graph.mailbox import GraphMailbox, SendUncertain
from bot.adapters.graph.register import SharePointCaseRegister
from bot.ports import OutboundMessage
from tests.graph_emulator import GraphEmulator
from tests.graph_sdk import SITE, SITE_REF, provisioned

MAILBOX = "cspr-bot@northshire-scp.example"


@dataclass
class Rig:
    g: GraphEmulator
    register: SharePointCaseRegister
    mailbox: GraphMailbox


@pytest.fixture
def rig() -> Iterator[Rig]:
    with GraphEmulator() as g:
        g.add_mailbox(MAILBOX)
        g.add_site(*SITE)
        loop = LoopThread()
        graph = provisioned(g, loop)
        try:
            yield Rig(g, SharePointCaseRegister(graph, loop, site=SITE_REF), GraphMailbox(graph, loop, address=MAILBOX))
        finally:
            loop.close()


def test_a_read_survives_a_reset_connection(rig: Rig) -> None:
    rig.register.add("cases", {"Title": "RR-2026-014"}, by="bot")
    rig.g.fault("GET", r"/lists/[^/]+/items$", kind="reset", times=2)
    assert [i.fields["Title"] for i in rig.register.items("cases")] == ["RR-2026-014"]
    assert rig.g.count("GET", r"/lists/[^/]+/items$") >= 3


def test_a_throttled_read_is_retried_after_the_servers_wait_and_counted(rig: Rig) -> None:
    from bot.ops import METRICS

    before = METRICS.throttled
    rig.g.fault("GET", r"/mailFolders/inbox/messages/delta", kind="429", times=1, retry_after=1)
    assert rig.mailbox.changes(None).messages == []
    assert rig.g.count("GET", r"/mailFolders/inbox/messages/delta") == 2
    assert METRICS.throttled == before + 1  # seen under the SDK's retry: /metrics reports it


def test_a_send_that_meets_a_reset_is_not_retried_but_reconciled_on_the_next_try(rig: Rig) -> None:
    message = OutboundMessage(to=("agency@police.example",), subject="OFFICIAL-SENSITIVE: request", text="Hello")
    rig.g.fault("POST", r"/send$", kind="reset", times=1)
    with pytest.raises(SendUncertain):
        rig.mailbox.send(message, key="request:RR-2026-014:POL")
    assert rig.g.count("POST", r"/send$") == 1  # no blind retry
    rig.mailbox.send(message, key="request:RR-2026-014:POL")
    rig.mailbox.send(message, key="request:RR-2026-014:POL")
    assert len(rig.g.messages(MAILBOX, "sentitems")) == 1
    assert rig.g.count("POST", r"/users/[^/]+/messages$") == 1  # the same draft, found by its key
