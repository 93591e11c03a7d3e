"""The CaseRegister contract, run against every implementation (see the `register` fixture)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.adapters.graph.mirror import MirroredRegister
from bot.adapters.graph.register import SharePointCaseRegister
from bot.ports import CaseRegister, FieldValue, Item, ItemNotFound, StaleItem

T0 = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)

CASE_FIELDS = {
    "Title": "RR-2025-001",
    "ChildPseudonym": "Child A",
    "DelayReason": "open",
    "LookedAfter": True,
    "Agencies": ["agency-police", "agency-health"],
    "RevisedDueDate": None,
    }


def present(fields: object) -> dict[str, FieldValue]:
    """The fields with None values left out: a cleared column may read back as None or be absent
    (SharePoint omits empty columns), and the register codec treats the two alike."""
    assert isinstance(fields, dict) or hasattr(fields, "items")
    return {k: v for k, v in dict(fields).items() if v is not None}  # type: ignore[call-overload]


def assert_written_by(item: Item, register: CaseRegister, by: str, at: datetime) -> None:
    """Who and when: the local register records the `by` and `at` it is given; SharePoint, written
    app-only, records the app itself and the server's time (a person's edit records the person)."""
    if isinstance(register, (SharePointCaseRegister, MirroredRegister)):
        assert item.modified_by.startswith("app:")
    else:
        assert item.modified_by == by
        assert item.modified_at == at


class TestCaseRegisterContract:
    def test_the_implementation_satisfies_the_port(self, register: CaseRegister) -> None:
        assert isinstance(register, CaseRegister)

    def test_an_added_item_reads_back_with_every_field_type_intact(self, register: CaseRegister) -> None:
        added = register.add("cases", CASE_FIELDS, by="coordinator@scp.example", at=T0)

        got = register.get("cases", added.id)
        assert present(got.fields) == present(CASE_FIELDS)
        assert got.fields["LookedAfter"] is True
        assert got.fields.get("RevisedDueDate") is None
        assert got == added
        assert_written_by(got, register, "coordinator@scp.example", T0)
        assert got.etag

    def test_items_lists_every_item_of_a_list_oldest_first(self, register: CaseRegister) -> None:
        first = register.add("cases", {"Title": "RR-1"}, by="bot", at=T0)
        second = register.add("cases", {"Title": "RR-2"}, by="bot", at=T0 + timedelta(minutes=1))
        third = register.add("cases", {"Title": "RR-3"}, by="bot", at=T0 + timedelta(minutes=2))

        assert [i.id for i in register.items("cases")] == [first.id, second.id, third.id]
        assert len({first.id, second.id, third.id}) == 3

    def test_a_list_starts_empty_and_keeps_to_its_own_items(self, register: CaseRegister) -> None:
        assert register.items("agencies") == []
        register.add("cases", {"Title": "RR-1"}, by="bot")
        agency = register.add("agencies", {"Title": "POL"}, by="bot")

        assert [i.id for i in register.items("agencies")] == [agency.id]
        assert [i.fields["Title"] for i in register.items("cases")] == ["RR-1"]

    def test_find_returns_only_items_whose_fields_equal_all_the_given_values(self, register: CaseRegister) -> None:
        a = register.add("requests", {"CaseRef": "RR-1", "Agency": "POL", "Note": "outstanding"}, by="bot")
        register.add("requests", {"CaseRef": "RR-1", "Agency": "HEA", "Note": "returned"}, by="bot")
        c = register.add("requests", {"CaseRef": "RR-2", "Agency": "POL", "Note": "outstanding"}, by="bot")
        register.add("cases", {"Title": "RR-1", "DelayReason": "outstanding"}, by="bot")

        assert [i.id for i in register.find("requests", Agency="POL")] == [a.id, c.id]
        assert [i.id for i in register.find("requests", CaseRef="RR-1", Note="outstanding")] == [a.id]
        assert register.find("requests", CaseRef="RR-9") == []

    def test_find_matches_list_and_none_fields(self, register: CaseRegister) -> None:
        item = register.add("cases", {"Agencies": ["POL", "HEA"], "RevisedDueDate": None, "DelayReason": "open"},
                            by="bot")
        register.add("cases", {"Agencies": ["POL"], "RevisedDueDate": "2025-04-01", "DelayReason": "open"}, by="bot")

        assert [i.id for i in register.find("cases", Agencies=["POL", "HEA"])] == [item.id]
        assert [i.id for i in register.find("cases", RevisedDueDate=None, DelayReason="open")] == [item.id]

    def test_an_unknown_list_raises_key_error(self, register: CaseRegister) -> None:
        with pytest.raises(KeyError):
            register.items("no-such-list")
        with pytest.raises(KeyError):
            register.add("no-such-list", {"x": "y"}, by="bot")
        with pytest.raises(KeyError):
            register.changed_since("no-such-list", None)
        with pytest.raises(KeyError):
            register.find("no-such-list", x="y")

    def test_getting_a_missing_id_raises_item_not_found(self, register: CaseRegister) -> None:
        register.add("cases", {"Title": "RR-1"}, by="bot")
        with pytest.raises(ItemNotFound):
            register.get("cases", "999999")
        with pytest.raises(ItemNotFound):
            register.get("cases", "not-an-id")

    def test_an_item_cannot_be_read_or_updated_through_another_list(self, register: CaseRegister) -> None:
        item = register.add("cases", {"Title": "RR-1"}, by="bot")
        with pytest.raises(ItemNotFound):
            register.get("agencies", item.id)
        with pytest.raises(ItemNotFound):
            register.update("agencies", item.id, {"Title": "RR-X"}, by="bot")
        assert register.get("cases", item.id).fields == {"Title": "RR-1"}

    def test_updating_a_missing_item_raises_item_not_found(self, register: CaseRegister) -> None:
        with pytest.raises(ItemNotFound):
            register.update("cases", "999999", {"DelayReason": "closed"}, by="bot")

    def test_update_merges_fields_records_who_changed_it_and_changes_the_etag(self, register: CaseRegister) -> None:
        item = register.add("cases", {"Title": "RR-1", "DelayReason": "open", "Agencies": ["POL"]},
                            by="coordinator@scp.example", at=T0)
        later = T0 + timedelta(hours=2)

        updated = register.update("cases", item.id, {"DelayReason": "closed", "Agencies": ["POL", "HEA"],
                                                     "RevisedDueDate": None}, by="cspr-bot", at=later)

        assert present(updated.fields) == {"Title": "RR-1", "DelayReason": "closed", "Agencies": ["POL", "HEA"]}
        assert updated.id == item.id
        assert_written_by(updated, register, "cspr-bot", later)
        assert updated.etag != item.etag
        assert register.get("cases", item.id) == updated

    def test_every_real_change_gives_a_new_etag(self, register: CaseRegister) -> None:
        item = register.add("cases", {"NeedsAttention": "0"}, by="bot")
        etags = {item.etag}
        for n in range(1, 4):
            item = register.update("cases", item.id, {"NeedsAttention": str(n)}, by="bot")
            etags.add(item.etag)
        assert len(etags) == 4

    def test_an_update_with_the_current_etag_is_applied(self, register: CaseRegister) -> None:
        item = register.add("cases", {"DelayReason": "open"}, by="bot")
        updated = register.update("cases", item.id, {"DelayReason": "closed"}, by="bot", if_match=item.etag)
        assert register.get("cases", item.id).fields["DelayReason"] == "closed"
        assert updated.etag != item.etag

    def test_a_stale_etag_is_refused_instead_of_overwriting_a_newer_edit(self, register: CaseRegister) -> None:
        read_by_bot = register.add("cases", {"DelayReason": "open", "ApprovedBy": "bot"}, by="bot", at=T0)
        newer = register.update("cases", read_by_bot.id, {"DelayReason": "on-hold"}, by="coordinator@scp.example",
                                at=T0 + timedelta(minutes=5))

        with pytest.raises(StaleItem):
            register.update("cases", read_by_bot.id, {"DelayReason": "closed", "ApprovedBy": "someone"}, by="bot",
                            at=T0 + timedelta(minutes=10), if_match=read_by_bot.etag)

        assert register.get("cases", read_by_bot.id) == newer

    def test_a_stale_update_produces_no_change_event(self, register: CaseRegister) -> None:
        item = register.add("cases", {"DelayReason": "open"}, by="bot")
        register.update("cases", item.id, {"DelayReason": "on-hold"}, by="coordinator")
        cursor = register.changed_since("cases", None).cursor

        with pytest.raises(StaleItem):
            register.update("cases", item.id, {"DelayReason": "closed"}, by="bot", if_match=item.etag)

        assert register.changed_since("cases", cursor).items == []

    def test_an_update_that_changes_nothing_keeps_the_etag_and_makes_no_change_event(
            self, register: CaseRegister) -> None:
        item = register.add("cases", {"DelayReason": "open", "Agencies": ["POL"]}, by="coordinator", at=T0)
        cursor = register.changed_since("cases", None).cursor

        same = register.update("cases", item.id, {"DelayReason": "open", "Agencies": ["POL"]}, by="cspr-bot",
                               at=T0 + timedelta(days=1))

        assert same.etag == item.etag
        assert register.get("cases", item.id) == item
        assert register.changed_since("cases", cursor).items == []

    def test_changed_since_none_returns_every_item_of_the_list(self, register: CaseRegister) -> None:
        a = register.add("cases", {"Title": "RR-1"}, by="bot")
        b = register.add("cases", {"Title": "RR-2"}, by="bot")
        register.update("cases", a.id, {"DelayReason": "closed"}, by="bot")

        changes = register.changed_since("cases", None)

        assert sorted(i.id for i in changes.items) == sorted([a.id, b.id])
        assert changes.cursor

    def test_changed_since_a_cursor_returns_only_items_added_or_changed_after_it(
            self, register: CaseRegister) -> None:
        untouched = register.add("cases", {"Title": "RR-1"}, by="bot")
        edited = register.add("cases", {"Title": "RR-2"}, by="bot")
        cursor = register.changed_since("cases", None).cursor

        edited = register.update("cases", edited.id, {"DelayReason": "closed"}, by="coordinator")
        added = register.add("cases", {"Title": "RR-3"}, by="bot")

        changes = register.changed_since("cases", cursor)
        assert [i.id for i in changes.items] == [edited.id, added.id]
        assert untouched.id not in [i.id for i in changes.items]
        assert changes.items[0] == edited
        assert changes.items[0].fields["DelayReason"] == "closed"

    def test_changed_since_reports_an_item_once_with_its_latest_version(self, register: CaseRegister) -> None:
        item = register.add("cases", {"NeedsAttention": "0"}, by="bot")
        cursor = register.changed_since("cases", None).cursor
        for n in range(1, 4):
            register.update("cases", item.id, {"NeedsAttention": str(n)}, by="bot")

        changes = register.changed_since("cases", cursor)
        assert [(i.id, i.fields["NeedsAttention"]) for i in changes.items] == [(item.id, "3")]

    def test_changed_since_the_latest_cursor_is_empty_when_nothing_changed(self, register: CaseRegister) -> None:
        register.add("cases", {"Title": "RR-1"}, by="bot")
        cursor = register.changed_since("cases", None).cursor

        again = register.changed_since("cases", cursor)
        assert again.items == []
        assert register.changed_since("cases", again.cursor).items == []

    def test_following_cursors_sees_each_change_exactly_once(self, register: CaseRegister) -> None:
        cursor = register.changed_since("cases", None).cursor
        seen: list[str] = []
        for n in range(3):
            register.add("cases", {"Title": f"RR-{n}"}, by="bot")
            changes = register.changed_since("cases", cursor)
            seen += [str(i.fields["Title"]) for i in changes.items]
            cursor = changes.cursor
        assert seen == ["RR-0", "RR-1", "RR-2"]

    def test_changes_in_one_list_do_not_show_in_another_lists_changes(self, register: CaseRegister) -> None:
        case = register.add("cases", {"Title": "RR-1"}, by="bot")
        agencies_cursor = register.changed_since("agencies", None).cursor
        cases_cursor = register.changed_since("cases", None).cursor

        register.update("cases", case.id, {"DelayReason": "closed"}, by="bot")
        register.add("requests", {"CaseRef": "RR-1", "Agency": "POL"}, by="bot")

        assert register.changed_since("agencies", agencies_cursor).items == []
        assert register.changed_since("agencies", None).items == []
        assert [i.id for i in register.changed_since("cases", cases_cursor).items] == [case.id]

    def test_changing_a_returned_item_or_the_fields_passed_in_does_not_change_the_register(
            self, register: CaseRegister) -> None:
        fields = {"Agencies": ["POL"]}
        item = register.add("cases", fields, by="bot")
        fields["Agencies"].append("HEA")
        members = item.fields["Agencies"]
        assert isinstance(members, list)
        members.append("EDU")

        assert register.get("cases", item.id).fields["Agencies"] == ["POL"]
