"""The case register on Microsoft 365 is written only when something changes: SharePoint returns a date column as a
date-time at midnight (the SDK parses it into a datetime) where the bot writes 2026-12-31, and before this was
compared as a date, every tick rewrote every case's dates: a PATCH and a new list version each time, for ever."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.domain.records import CASES
from tests.conftest import london
from tests.integration.graph_rig import SIN, GraphRig, graph_rig


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[GraphRig]:
    yield from graph_rig(tmp_path)


def test_sync_writes_a_case_once_and_then_only_reads_the_delta(rig: GraphRig) -> None:
    item_id = rig.open_case(("POL", "HLT"))
    rig.emulator.edit_item(rig.site, "Cases", item_id, {"SINDue": None, "RAG": None}, by="team@northshire-scp.example")
    rig.run("sync_cases", london(SIN, 10))  # the person's edit blanked computed columns: written back once
    assert rig.emulator.count("PATCH", r"/items/\d+/fields$") == 1
    (case,) = rig.app.register.items(CASES)
    versions = case.etag

    made = []
    for minutes in (5, 10, 15):
        before = len(rig.emulator.requests)
        rig.run("sync_cases", london(SIN, 10) + timedelta(minutes=minutes))
        made.append([(r.method, r.path.rpartition("/")[2]) for r in rig.emulator.requests[before:]])
    # the bot's own write comes back through the delta with the etag the register's copy holds: neither
    # written nor read again; every tick is the floor, one delta request
    assert made == [[("GET", "delta")], [("GET", "delta")], [("GET", "delta")]]
    assert rig.emulator.count("PATCH", r"/items/\d+/fields$") == 1
    assert rig.app.register.items(CASES)[0].etag == versions  # no new version in the list's history
