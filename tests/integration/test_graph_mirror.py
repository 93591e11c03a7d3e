"""The register on Microsoft 365 reads each list once per tick, as one delta request: an idle tick costs one
request per watched resource (the inbox, Cases, Agency requests, Actions) however many cases are open, while
what the bot writes is seen by the next job at once and what a person edits is seen on the next tick."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.bootstrap import tick
from bot.domain.records import CASES, REQUESTS
from bot.logs import tick_context
from bot.ports import StaleItem
from tests.conftest import london
from tests.integration.graph_rig import MAILBOX, SIN, GraphRig, graph_rig

ITEMS_READ = r"/lists/[^/]+/items(/\d+)?$"  # a list read in full, or one item


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[GraphRig]:
    yield from graph_rig(tmp_path)


def test_an_idle_tick_costs_one_delta_per_watched_resource(rig: GraphRig) -> None:
    rig.open_case(("POL", "HLT", "EDU"))
    for minutes in (0, 10, 20):  # the requests go, the register settles
        tick(rig.app, london(SIN, 10, minutes))
    made = []
    for minutes in (0, 5, 10):
        before = len(rig.emulator.requests)
        tick(rig.app, london(SIN, 21, minutes))  # after hours: nothing is due
        made.append(sorted(f"{r.method} {_tail(rig, r.path)}" for r in rig.emulator.requests[before:]))
    floor = sorted(["GET Cases/delta", "GET Agency requests/delta", "GET Actions/delta", "GET inbox/delta"])
    assert made == [floor, floor, floor]


def test_lists_are_read_once_per_tick_and_the_bots_own_writes_are_seen_at_once(rig: GraphRig) -> None:
    rig.open_case(("POL",))
    rig.passes(SIN, count=2)
    register = rig.app.register
    before = len(rig.emulator.requests)
    with tick_context():
        (case,) = register.items(CASES)
        register.find(CASES, Title=case.fields["Title"])
        register.items(REQUESTS)
        register.find(REQUESTS, CaseRef=case.fields["Title"])
        written = register.update(CASES, case.id, {"NeedsAttention": "checked by the bot"}, by="cspr-bot",
                                  if_match=case.etag)
        assert register.items(CASES)[0].fields["NeedsAttention"] == "checked by the bot"
        assert register.items(CASES)[0].etag == written.etag != case.etag
    paths = [f"{r.method} {_tail(rig, r.path)}" for r in rig.emulator.requests[before:]]
    assert sorted(p for p in paths if p.endswith("delta")) == ["GET Agency requests/delta", "GET Cases/delta"]
    assert sum(1 for r in rig.emulator.requests[before:] if r.method == "PATCH") == 1
    assert rig.emulator.count("GET", ITEMS_READ) > 0  # (the write reads the item back once for its new etag)


def test_a_persons_edit_is_seen_on_the_next_tick_and_a_stale_conditional_write_still_fails(rig: GraphRig) -> None:
    item_id = rig.open_case(("POL",))
    rig.passes(SIN, count=2)
    register = rig.app.register
    with tick_context():
        (case,) = register.items(CASES)
        rig.emulator.edit_item(rig.site, "Cases", item_id, {"NeedsAttention": "a person's note"},
                               by="team@northshire-scp.example")
        assert register.items(CASES)[0].fields.get("NeedsAttention") != "a person's note"  # same tick: the copy
        with pytest.raises(StaleItem):
            register.update(CASES, case.id, {"NeedsAttention": "the bot's note"}, by="cspr-bot", if_match=case.etag)
    with tick_context():
        assert register.items(CASES)[0].fields["NeedsAttention"] == "a person's note"


def test_changed_since_answers_from_the_same_delta(rig: GraphRig) -> None:
    first = rig.open_case(("POL",))
    register = rig.app.register
    with tick_context():
        everything = register.changed_since(CASES, None)
        assert [i.id for i in everything.items] == [first]
    second = rig.emulator.add_item(rig.site, "Cases", {"Title": "RR-2027-002", "Partnership": "northshire"},
                                   by="team@northshire-scp.example")
    before = len(rig.emulator.requests)
    with tick_context():
        changes = register.changed_since(CASES, everything.cursor)
        assert [i.id for i in changes.items] == [second]
        assert register.changed_since(CASES, changes.cursor).items == []
        assert {i.id for i in register.changed_since(CASES, "a cursor it never gave").items} == {first, second}
    deltas = [r for r in rig.emulator.requests[before:] if r.path.endswith("/delta")]
    assert len(deltas) == 1


def test_a_deleted_item_leaves_the_copy_on_the_next_tick(rig: GraphRig) -> None:
    item_id = rig.open_case(("POL",))
    register = rig.app.register
    with tick_context():
        assert len(register.items(CASES)) == 1
    rig.emulator.delete_item(rig.site, "Cases", item_id)
    with tick_context():
        assert register.items(CASES) == []
        assert register.find(CASES, Title="RR-2027-001") == []


def test_the_copy_is_brought_up_to_date_on_every_read_outside_a_tick(rig: GraphRig) -> None:
    item_id = rig.open_case(("POL",))
    register = rig.app.register
    assert register.items(CASES)[0].fields.get("NeedsAttention") in (None, "")
    rig.emulator.edit_item(rig.site, "Cases", item_id, {"NeedsAttention": "edited"}, by="team@northshire-scp.example")
    assert register.items(CASES)[0].fields["NeedsAttention"] == "edited"


def _tail(rig: GraphRig, path: str) -> str:
    """'Cases/delta' for a list's delta, 'inbox/delta' for the inbox's, else the path's last two segments."""
    from urllib.parse import unquote

    parts = unquote(path).split("/")
    if parts[-1] != "delta":
        return "/".join(parts[-2:])
    if "lists" in parts:
        list_id = parts[parts.index("lists") + 1]
        site = rig.emulator._state.site(rig.site)
        return f"{next(sp.display_name for sp in site.lists.values() if sp.id == list_id)}/delta"
    inbox = rig.emulator.folder_id(MAILBOX, "inbox")
    return "inbox/delta" if f"/mailFolders/{inbox}/" in unquote(path) else f"{parts[-3]}/delta"
