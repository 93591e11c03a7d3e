"""The demo's rapid review on Microsoft 365 — the Graph adapter, through the real SDK, over HTTP to the
emulator — produces the same facts as on the local workspace."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from bot.adapters.graph.client import StaticTokenCredential
from bot.adapters.graph.provision import Provisioner
from bot.bootstrap import App, build_graph_app, build_local_app
from bot.demo.scenario import run_scenario
from bot.domain.records import case_changes_to_fields
from bot.ports import OutboxStatus
from bot.schedule import Cadence
from bot.settings import GraphSettings, Settings
from tests.graph_emulator import GraphEmulator

SITE = ("northshire.sharepoint.example", "sites/cspr")
SITE_REF = "northshire.sharepoint.example:/sites/cspr"
# one pass a day (mail every 6 hours): the SDK spends ~6 ms of CPU per model it parses, so fewer ticks keep CI
# quick; both runs use it, so the facts must match exactly
CADENCE = Cadence(tick=timedelta(hours=24), ingest=timedelta(hours=6))


def facts(app: App, ref: str) -> dict[str, object]:
    sent = app.ledger.outbox(OutboxStatus.SENT)
    inbound = Counter()  # type: Counter[str]
    for item in app.ledger.audit_trail():
        if item.action in ("request_returned", "request_undeliverable", "request_sent"):
            inbound[item.action] += 1
    return {
        "purposes": Counter(i.purpose for i in sent),
        "requests": sorted(i.key for i in sent if i.purpose == "information_request"),
        "panel": [(i.message.to, [a.name for a in i.message.attachments]) for i in sent
                  if i.purpose == "panel_submission"],
        "pending": len(app.ledger.outbox(OutboxStatus.PENDING)),
        "returns": sorted(d.path.split("-")[0] for d in app.library.list(ref, "returns")),
        "inbound": inbound,
    }


@pytest.fixture(scope="module")
def local_facts(tmp_path_factory: pytest.TempPathFactory, settings: Settings) -> dict[str, object]:
    app = build_local_app(settings, tmp_path_factory.mktemp("local"))
    try:
        ref = run_scenario(app, cadence=CADENCE, echo=lambda _line: None)
        return facts(app, ref)
    finally:
        app.close()


def test_the_demo_on_the_graph_emulator_has_the_same_facts_as_on_the_local_workspace(
        settings: Settings, local_facts: dict[str, object], tmp_path: Path) -> None:
    with GraphEmulator() as emulator:
        emulator.add_mailbox(settings.bot.mailbox_address)
        site = emulator.add_site(*SITE)
        graph_settings = settings.model_copy(update={
            "bot": settings.bot.model_copy(update={"backend": "graph"}),
            "graph": GraphSettings(auth="static_token", base_url=emulator.base_url, site=SITE_REF)})
        app = build_graph_app(graph_settings, tmp_path, credential=StaticTokenCredential(emulator.token,
                                                                                          emulator.base_url))
        try:
            from bot.adapters.graph.client import LoopThread, make_client

            loop = LoopThread()
            Provisioner(make_client(StaticTokenCredential(emulator.token, emulator.base_url),
                                    base_url=emulator.base_url, allowed_hosts=["127.0.0.1"]), loop,
                        site=SITE_REF).run()
            loop.close()
            def person_edit(ref: str, changes: dict[str, object], by: str, when: object) -> None:
                # a person ticking the approval column in SharePoint: the version history records them
                (item,) = app.register.find("cases", Title=ref)
                emulator.edit_item(site, "Cases", item.id, case_changes_to_fields(**changes), by=by)

            ref = run_scenario(app, deliver=lambda raw, _name: emulator.deliver(settings.bot.mailbox_address, raw),
                               person_edit=person_edit, cadence=CADENCE, echo=lambda _line: None)
            got = facts(app, ref)
            print(f"Graph requests for the whole rapid review: {len(emulator.requests)}")
        finally:
            app.close()
        assert got == local_facts
        transmitted = emulator.messages(settings.bot.mailbox_address, "sentitems")
        assert len(transmitted) == sum(local_facts["purposes"].values())  # type: ignore[attr-defined]
        assert emulator.messages(settings.bot.mailbox_address, "inbox") == []
        assert emulator.upload_auth_violations == [] and emulator.immutable_id_violations == []
