"""The demo's rapid review on Microsoft 365 — the Graph adapter, through the real SDK, over HTTP to the
emulator — produces the same facts as on the local workspace."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from bot.bootstrap import App, build_local_app
from bot.demo.scenario import run_scenario
from bot.domain.records import case_changes_to_fields
from bot.ports import OutboxStatus
from bot.schedule import Cadence
from bot.settings import Settings
from tests.graph_emulator import GraphEmulator
from tests.integration.graph_rig import MAILBOX, GraphRig

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
        rig = GraphRig.build(emulator, tmp_path)
        app = rig.app
        try:
            def person_edit(ref: str, changes: dict[str, object], by: str, when: object) -> None:
                # a person ticking the approval column in SharePoint: the version history records them
                (item,) = app.register.find("cases", Title=ref)
                emulator.edit_item(rig.site, "Cases", item.id, case_changes_to_fields(**changes), by=by)

            ref = run_scenario(app, deliver=lambda raw, _name: emulator.deliver(MAILBOX, raw),
                               person_edit=person_edit, cadence=CADENCE, echo=lambda _line: None)
            got = facts(app, ref)
            print(f"Graph requests for the whole rapid review: {len(emulator.requests)}")
        finally:
            app.close()
        assert got == local_facts
        transmitted = emulator.messages(MAILBOX, "sentitems")
        assert len(transmitted) == sum(local_facts["purposes"].values())  # type: ignore[attr-defined]
        assert emulator.messages(MAILBOX, "inbox") == []
        assert emulator.upload_auth_violations == [] and emulator.immutable_id_violations == []
