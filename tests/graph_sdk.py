"""The bot's own Graph client (the real SDK, as bootstrap builds it) pointed at a Graph emulator on
loopback with the emulator's static token: shared by the contract, integration and bench set-ups."""

from __future__ import annotations

from typing import Any

from bot.adapters.graph.client import LoopThread, StaticTokenCredential, make_client
from bot.adapters.graph.provision import Provisioner

SITE = ("northshire.sharepoint.example", "sites/cspr")
SITE_REF = "northshire.sharepoint.example:/sites/cspr"


def sdk_client(emulator: Any) -> Any:
    return make_client(StaticTokenCredential(emulator.token, emulator.base_url), base_url=emulator.base_url,
                       allowed_hosts=["127.0.0.1"])


def provisioned(emulator: Any, loop: LoopThread) -> Any:
    """A client for an emulator whose site (SITE, already added) has the bot's lists."""
    graph = sdk_client(emulator)
    Provisioner(graph, loop, site=SITE_REF).run()
    return graph
