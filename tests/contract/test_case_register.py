"""The CaseRegister contract, run against every implementation (see the `register` fixture)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.ports import CaseRegister, ItemNotFound, StaleItem

T0 = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)

CASE_FIELDS = {
    "case_ref": "RR-2025-001",
    "child": "Child A",
    "status": "open",
    "notified_by_police": True,
    "panel_members": ["agency-police", "agency-health"],
    "closed_on": None,
    "agency_count": 3,
}


class TestCaseRegisterContract:
    def test_the_implementation_satisfies_the_port(self, register: CaseRegister) -> None:
        assert isinstance(register, CaseRegister)

    def test_an_added_item_reads_back_with_every_field_type_intact(self, register: CaseRegister) -> None:
        added = register.add("cases", CASE_FIELDS, by="coordinator@scp.example", at=T0)

        got = register.get("cases", added.id)
        assert dict(got.fields) == CASE_FIELDS
        assert got.fields["notified_by_police"] is True
        assert got.fields["closed_on"] is None
        assert got == added
        assert got.modified_by == "coordinator@scp.example"
        assert got.modified_at == T0
        assert got.etag

    def test_items_lists_every_item_of_a_list_oldest_first(self, register: CaseRegister) -> None:
        first = register.add("cases", {"case_ref": "RR-1"}, by="bot", at=T0)
        second = register.add("cases", {"case_ref": "RR-2"}, by="bot", at=T0 + timedelta(minutes=1))
        third = register.add("cases", {"case_ref": "RR-3"}, by="bot", at=T0 + timedelta(minutes=2))

        assert [i.id for i in register.items("cases")] == [first.id, second.id, third.id]
        assert len({first.id, second.id, third.id}) == 3

    def test_a_list_starts_empty_and_keeps_to_its_own_items(self, register: CaseRegister) -> None:
        assert register.items("agencies") == []
        register.add("cases", {"case_ref": "RR-1"}, by="bot")
        agency = register.add("agencies", {"code": "POL"}, by="bot")

        assert [i.id for i in register.items("agencies")] == [agency.id]
        assert [i.fields["case_ref"] for i in register.items("cases")] == ["RR-1"]

    def test_find_returns_only_items_whose_fields_equal_all_the_given_values(self, register: CaseRegister) -> None:
        a = register.add("requests", {"case_ref": "RR-1", "agency": "POL", "returned": False}, by="bot")
        register.add("requests", {"case_ref": "RR-1", "agency": "HEA", "returned": True}, by="bot")
        c = register.add("requests", {"case_ref": "RR-2", "agency": "POL", "returned": False}, by="bot")
        register.add("cases", {"case_ref": "RR-1", "agency": "POL", "returned": False}, by="bot")

        assert [i.id for i in register.find("requests", agency="POL")] == [a.id, c.id]
        assert [i.id for i in register.find("requests", case_ref="RR-1", returned=False)] == [a.id]
        assert register.find("requests", case_ref="RR-9") == []

    def test_find_matches_list_and_none_fields(self, register: CaseRegister) -> None:
        item = register.add("cases", {"members": ["POL", "HEA"], "closed_on": None, "status": "open"}, by="bot")
        register.add("cases", {"members": ["POL"], "closed_on": "2025-04-01", "status": "open"}, by="bot")

        assert [i.id for i in register.find("cases", members=["POL", "HEA"])] == [item.id]
        assert [i.id for i in register.find("cases", closed_on=None, status="open")] == [item.id]

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
        register.add("cases", {"case_ref": "RR-1"}, by="bot")
        with pytest.raises(ItemNotFound):
            register.get("cases", "999999")
        with pytest.raises(ItemNotFound):
            register.get("cases", "not-an-id")

    def test_an_item_cannot_be_read_or_updated_through_another_list(self, register: CaseRegister) -> None:
        item = register.add("cases", {"case_ref": "RR-1"}, by="bot")
        with pytest.raises(ItemNotFound):
            register.get("agencies", item.id)
        with pytest.raises(ItemNotFound):
            register.update("agencies", item.id, {"case_ref": "RR-X"}, by="bot")
        assert register.get("cases", item.id).fields == {"case_ref": "RR-1"}

    def test_updating_a_missing_item_raises_item_not_found(self, register: CaseRegister) -> None:
        with pytest.raises(ItemNotFound):
            register.update("cases", "999999", {"status": "closed"}, by="bot")

    def test_update_merges_fields_records_who_changed_it_and_changes_the_etag(self, register: CaseRegister) -> None:
        item = register.add("cases", {"case_ref": "RR-1", "status": "open", "members": ["POL"]},
                            by="coordinator@scp.example", at=T0)
        later = T0 + timedelta(hours=2)

        updated = register.update("cases", item.id, {"status": "closed", "members": ["POL", "HEA"],
                                                     "closed_on": None}, by="cspr-bot", at=later)

        assert dict(updated.fields) == {"case_ref": "RR-1", "status": "closed", "members": ["POL", "HEA"],
                                        "closed_on": None}
        assert updated.id == item.id
        assert updated.modified_by == "cspr-bot"
        assert updated.modified_at == later
        assert updated.etag != item.etag
        assert register.get("cases", item.id) == updated

    def test_every_real_change_gives_a_new_etag(self, register: CaseRegister) -> None:
        item = register.add("cases", {"n": 0}, by="bot")
        etags = {item.etag}
        for n in range(1, 4):
            item = register.update("cases", item.id, {"n": n}, by="bot")
            etags.add(item.etag)
        assert len(etags) == 4

    def test_an_update_with_the_current_etag_is_applied(self, register: CaseRegister) -> None:
        item = register.add("cases", {"status": "open"}, by="bot")
        updated = register.update("cases", item.id, {"status": "closed"}, by="bot", if_match=item.etag)
        assert register.get("cases", item.id).fields["status"] == "closed"
        assert updated.etag != item.etag

    def test_a_stale_etag_is_refused_instead_of_overwriting_a_newer_edit(self, register: CaseRegister) -> None:
        read_by_bot = register.add("cases", {"status": "open", "owner": "bot"}, by="bot", at=T0)
        newer = register.update("cases", read_by_bot.id, {"status": "on-hold"}, by="coordinator@scp.example",
                                at=T0 + timedelta(minutes=5))

        with pytest.raises(StaleItem):
            register.update("cases", read_by_bot.id, {"status": "closed", "owner": "someone"}, by="bot",
                            at=T0 + timedelta(minutes=10), if_match=read_by_bot.etag)

        assert register.get("cases", read_by_bot.id) == newer

    def test_a_stale_update_produces_no_change_event(self, register: CaseRegister) -> None:
        item = register.add("cases", {"status": "open"}, by="bot")
        register.update("cases", item.id, {"status": "on-hold"}, by="coordinator")
        cursor = register.changed_since("cases", None).cursor

        with pytest.raises(StaleItem):
            register.update("cases", item.id, {"status": "closed"}, by="bot", if_match=item.etag)

        assert register.changed_since("cases", cursor).items == []

    def test_an_update_that_changes_nothing_keeps_the_etag_and_makes_no_change_event(
            self, register: CaseRegister) -> None:
        item = register.add("cases", {"status": "open", "members": ["POL"]}, by="coordinator", at=T0)
        cursor = register.changed_since("cases", None).cursor

        same = register.update("cases", item.id, {"status": "open", "members": ["POL"]}, by="cspr-bot",
                               at=T0 + timedelta(days=1))

        assert same.etag == item.etag
        assert register.get("cases", item.id) == item
        assert register.changed_since("cases", cursor).items == []

    def test_changed_since_none_returns_every_item_of_the_list(self, register: CaseRegister) -> None:
        a = register.add("cases", {"case_ref": "RR-1"}, by="bot")
        b = register.add("cases", {"case_ref": "RR-2"}, by="bot")
        register.update("cases", a.id, {"status": "closed"}, by="bot")

        changes = register.changed_since("cases", None)

        assert sorted(i.id for i in changes.items) == sorted([a.id, b.id])
        assert changes.cursor

    def test_changed_since_a_cursor_returns_only_items_added_or_changed_after_it(
            self, register: CaseRegister) -> None:
        untouched = register.add("cases", {"case_ref": "RR-1"}, by="bot")
        edited = register.add("cases", {"case_ref": "RR-2"}, by="bot")
        cursor = register.changed_since("cases", None).cursor

        edited = register.update("cases", edited.id, {"status": "closed"}, by="coordinator")
        added = register.add("cases", {"case_ref": "RR-3"}, by="bot")

        changes = register.changed_since("cases", cursor)
        assert [i.id for i in changes.items] == [edited.id, added.id]
        assert untouched.id not in [i.id for i in changes.items]
        assert changes.items[0] == edited
        assert changes.items[0].fields["status"] == "closed"

    def test_changed_since_reports_an_item_once_with_its_latest_version(self, register: CaseRegister) -> None:
        item = register.add("cases", {"n": 0}, by="bot")
        cursor = register.changed_since("cases", None).cursor
        for n in range(1, 4):
            register.update("cases", item.id, {"n": n}, by="bot")

        changes = register.changed_since("cases", cursor)
        assert [(i.id, i.fields["n"]) for i in changes.items] == [(item.id, 3)]

    def test_changed_since_the_latest_cursor_is_empty_when_nothing_changed(self, register: CaseRegister) -> None:
        register.add("cases", {"case_ref": "RR-1"}, by="bot")
        cursor = register.changed_since("cases", None).cursor

        again = register.changed_since("cases", cursor)
        assert again.items == []
        assert register.changed_since("cases", again.cursor).items == []

    def test_following_cursors_sees_each_change_exactly_once(self, register: CaseRegister) -> None:
        cursor = register.changed_since("cases", None).cursor
        seen: list[str] = []
        for n in range(3):
            register.add("cases", {"case_ref": f"RR-{n}"}, by="bot")
            changes = register.changed_since("cases", cursor)
            seen += [str(i.fields["case_ref"]) for i in changes.items]
            cursor = changes.cursor
        assert seen == ["RR-0", "RR-1", "RR-2"]

    def test_changes_in_one_list_do_not_show_in_another_lists_changes(self, register: CaseRegister) -> None:
        case = register.add("cases", {"case_ref": "RR-1"}, by="bot")
        agencies_cursor = register.changed_since("agencies", None).cursor
        cases_cursor = register.changed_since("cases", None).cursor

        register.update("cases", case.id, {"status": "closed"}, by="bot")
        register.add("requests", {"case_ref": "RR-1", "agency": "POL"}, by="bot")

        assert register.changed_since("agencies", agencies_cursor).items == []
        assert register.changed_since("agencies", None).items == []
        assert [i.id for i in register.changed_since("cases", cases_cursor).items] == [case.id]

    def test_changing_a_returned_item_or_the_fields_passed_in_does_not_change_the_register(
            self, register: CaseRegister) -> None:
        fields = {"members": ["POL"]}
        item = register.add("cases", fields, by="bot")
        fields["members"].append("HEA")
        members = item.fields["members"]
        assert isinstance(members, list)
        members.append("EDU")

        assert register.get("cases", item.id).fields["members"] == ["POL"]
