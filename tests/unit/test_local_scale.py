"""The local register's find() filters in SQL (Title and CaseRef through an index, as SharePoint indexes them)
instead of decoding every item of the list: it must find exactly what comparing every item's fields finds."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.local.register import SqliteCaseRegister
from bot.domain.records import LISTS

AT = datetime(2027, 3, 10, 10, tzinfo=UTC)
VALUES: list[Any] = [
    "RR-2027-001", "rr-2027-001", "RR-2027-001 ", "", "1", 1, 1.0, True, False, None, ["RR-2027-001"],
    {"a": "RR-2027-001"}, "O'Brien \"quoted\"", "back\\slash", "line\nbreak", "tab\tx", "Zoë – ünïcode", "emoji 🙂",
    "nul\x00inside", "control\x01", "lone \ud800 surrogate", "%", "_", "[]", '["RR-2027-001"]', "null", "true",
]
KEYS = ("Title", "CaseRef", "Note")


def by_scanning(register: SqliteCaseRegister, list_name: str, **equals: Any) -> list[str]:
    """What find() returned before: every item of the list compared in Python."""
    return [i.id for i in register.items(list_name) if all(i.fields.get(k) == v for k, v in equals.items())]


@pytest.fixture
def register(tmp_path: Path) -> SqliteCaseRegister:
    reg = SqliteCaseRegister(tmp_path / "register.sqlite", LISTS)
    for n, value in enumerate(VALUES):
        for key in KEYS:
            reg.add("requests", {key: value, "Agency": f"A{n}"}, by="t", at=AT)
            reg.add("cases", {key: value}, by="t", at=AT)
    reg.add("requests", {"Agency": "none of the keys"}, by="t", at=AT)
    reg.add("requests", {"Title": "RR-2027-001", "CaseRef": "RR-2027-001", "Note": "both"}, by="t", at=AT)
    reg.add("requests", {"odd-key": "RR-2027-001", "a.b": "x", "$": "y"}, by="t", at=AT)
    return reg


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_find_by_one_field_finds_what_scanning_finds(register: SqliteCaseRegister, key: str, value: Any) -> None:
    for list_name in ("requests", "cases"):
        assert [i.id for i in register.find(list_name, **{key: value})] == by_scanning(register, list_name,
                                                                                       **{key: value})


@pytest.mark.parametrize("equals", [
    {"Title": "RR-2027-001", "CaseRef": "RR-2027-001"},
    {"Title": "RR-2027-001", "Note": "both"},
    {"CaseRef": "RR-2027-001", "Note": None},
    {"CaseRef": "RR-2027-001", "Agency": "A0"},
    {"odd-key": "RR-2027-001"},
    {"a.b": "x"},
    {"$": "y"},
    {"Title": 1, "CaseRef": "1"},
    {},
], ids=repr)
def test_find_by_several_or_unusual_fields_finds_what_scanning_finds(register: SqliteCaseRegister,
                                                                     equals: dict[str, Any]) -> None:
    assert [i.id for i in register.find("requests", **equals)] == by_scanning(register, "requests", **equals)


def test_find_returns_the_items_themselves_in_id_order(register: SqliteCaseRegister) -> None:
    found = register.find("requests", Title="RR-2027-001")
    assert found == [register.get("requests", i.id) for i in found]
    assert [int(i.id) for i in found] == sorted(int(i.id) for i in found)
    assert len(found) == 2


def test_find_after_update_sees_the_new_value_only(register: SqliteCaseRegister) -> None:
    item = register.find("requests", CaseRef="RR-2027-001")[0]
    register.update("requests", item.id, {"CaseRef": "RR-2027-999"}, by="t", at=AT)
    assert item.id not in [i.id for i in register.find("requests", CaseRef="RR-2027-001")]
    assert [i.id for i in register.find("requests", CaseRef="RR-2027-999")] == [item.id]


def test_find_in_an_unknown_list_is_refused(register: SqliteCaseRegister) -> None:
    with pytest.raises(KeyError):
        register.find("no-such-list", Title="x")


@pytest.mark.parametrize(("key", "index"), [("Title", "items_title"), ("CaseRef", "items_case_ref")])
def test_lookups_by_title_and_case_ref_use_an_index(register: SqliteCaseRegister, key: str, index: str) -> None:
    conn = sqlite3.connect(register._conn.execute("PRAGMA database_list").fetchone()["file"])
    plan = " ".join(str(row[-1]) for row in conn.execute(
        f"EXPLAIN QUERY PLAN SELECT * FROM items WHERE list=? AND json_extract(fields, '$.{key}') = ? ORDER BY id",
        ("requests", "RR-2027-001")))
    conn.close()
    assert f"USING INDEX {index}" in plan, plan


def test_a_register_made_before_the_indexes_gets_them_and_keeps_its_items(tmp_path: Path) -> None:
    path = tmp_path / "register.sqlite"
    old = sqlite3.connect(path)
    old.executescript("""
        CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT, list TEXT NOT NULL, fields TEXT NOT NULL,
                            version INTEGER NOT NULL DEFAULT 1, modified_by TEXT NOT NULL, modified_at TEXT NOT NULL,
                            change_seq INTEGER NOT NULL);
        CREATE INDEX items_list_change ON items (list, change_seq);
        INSERT INTO items (list, fields, modified_by, modified_at, change_seq)
            VALUES ('requests', '{"CaseRef": "RR-2026-001", "Title": "RR-2026-001/POL"}', 't',
                    '2026-12-22T09:00:00+00:00', 1);
    """)
    old.close()
    register = SqliteCaseRegister(path, LISTS)
    assert [i.fields["Title"] for i in register.find("requests", CaseRef="RR-2026-001")] == ["RR-2026-001/POL"]
    indexes = {row["name"] for row in register._conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"items_title", "items_case_ref"} <= indexes
    register.close()


def test_the_next_change_number_is_looked_up_not_scanned_for(register: SqliteCaseRegister) -> None:
    plan = " ".join(str(row[-1]) for row in register._conn.execute(
        "EXPLAIN QUERY PLAN SELECT COALESCE(MAX(change_seq), 0) + 1 FROM items"))
    assert "items_change" in plan, plan


def test_every_write_still_takes_the_next_change_number_across_lists(tmp_path: Path) -> None:
    register = SqliteCaseRegister(tmp_path / "register.sqlite", LISTS)
    a = register.add("cases", {"Title": "RR-2027-001"}, by="t", at=AT)
    b = register.add("requests", {"CaseRef": "RR-2027-001"}, by="t", at=AT)
    register.update("cases", a.id, {"Stage": "referred"}, by="t", at=AT)
    register.update("cases", a.id, {"Stage": "referred"}, by="t", at=AT)  # no change: no new number
    c = register.add("requests", {"CaseRef": "RR-2027-002"}, by="t", at=AT)
    register.update("requests", b.id, {"Note": "x"}, by="t", at=AT)
    seqs = dict(register._conn.execute("SELECT id, change_seq FROM items").fetchall())
    assert [seqs[int(i)] for i in (a.id, c.id, b.id)] == [3, 4, 5]
    cases = register.changed_since("cases", None)
    assert [i.id for i in cases.items] == [a.id] and cases.cursor == "5"
    assert [i.id for i in register.changed_since("requests", "3").items] == [c.id, b.id]
    assert register.changed_since("requests", "5").items == []
    register.close()
