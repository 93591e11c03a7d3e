"""The case register on SQLite (`register.sqlite`): list items with fields, etags and change tracking,
the way SharePoint lists behave, so handlers cannot tell the two apart."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from bot.crashpoints import crash_point
from bot.ledger import Transactions, connect
from bot.ports import FieldValue, Item, ItemChanges, ItemNotFound, StaleItem

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    list        TEXT NOT NULL,
    fields      TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    modified_by TEXT NOT NULL,
    modified_at TEXT NOT NULL,
    change_seq  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS items_list_change ON items (list, change_seq);
CREATE INDEX IF NOT EXISTS items_change ON items (change_seq);
CREATE INDEX IF NOT EXISTS items_title ON items (list, json_extract(fields, '$.Title'));
CREATE INDEX IF NOT EXISTS items_case_ref ON items (list, json_extract(fields, '$.CaseRef'));
"""
# items_change: every write numbers its change MAX(change_seq) + 1: a look-up with it, a scan of the register
# without. find() compares text values in SQL (as the Graph adapter filters on the server), then exactly in
# Python; Title and CaseRef, the columns items are looked up by, are indexed, as SharePoint indexes them
# (graph/schema.py)
_SQL_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class SqliteCaseRegister:
    """The CaseRegister port on a SQLite file; each list is a set of rows with JSON fields."""

    def __init__(self, path: Path | str, lists: Iterable[str]) -> None:
        self.lists = frozenset(lists)
        self._conn = connect(path)
        self._tx = Transactions(self._conn)
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        self._conn.close()

    def _check(self, list_name: str) -> None:
        if list_name not in self.lists:
            raise KeyError(f"no list named {list_name!r} (lists: {', '.join(sorted(self.lists))})")

    @staticmethod
    def _item(row: sqlite3.Row) -> Item:
        return Item(
            id=str(row["id"]), fields=json.loads(row["fields"]), etag=f'"{row["id"]},{row["version"]}"',
            modified_by=row["modified_by"], modified_at=datetime.fromisoformat(row["modified_at"]),
        )

    def items(self, list_name: str) -> list[Item]:
        self._check(list_name)
        rows = self._conn.execute("SELECT * FROM items WHERE list=? ORDER BY id", (list_name,))
        return [self._item(r) for r in rows]

    def get(self, list_name: str, item_id: str) -> Item:
        self._check(list_name)
        row = self._conn.execute("SELECT * FROM items WHERE list=? AND id=?", (list_name, item_id)).fetchone()
        if row is None:
            raise ItemNotFound(f"{list_name}/{item_id}")
        return self._item(row)

    def find(self, list_name: str, **equals: FieldValue) -> list[Item]:
        self._check(list_name)
        text = {k: v for k, v in equals.items() if _SQL_KEY.match(k) and _sql_text(v)}
        where = "".join(f" AND json_extract(fields, '$.{k}') = ?" for k in text)  # keys are plain names: no injection
        rows = self._conn.execute(f"SELECT * FROM items WHERE list=?{where} ORDER BY id", (list_name, *text.values()))
        return [i for i in map(self._item, rows) if all(i.fields.get(k) == v for k, v in equals.items())]

    def add(self, list_name: str, fields: Mapping[str, FieldValue], *, by: str,
            at: datetime | None = None) -> Item:
        self._check(list_name)
        with self._tx.atomic():
            cur = self._conn.execute(
                "INSERT INTO items (list, fields, modified_by, modified_at, change_seq)"
                " VALUES (?, ?, ?, ?, (SELECT COALESCE(MAX(change_seq), 0) + 1 FROM items))",
                (list_name, json.dumps(dict(fields), sort_keys=True), by, _when(at)),
            )
            crash_point("register.add.uncommitted")
            return self.get(list_name, str(cur.lastrowid))

    def update(self, list_name: str, item_id: str, fields: Mapping[str, FieldValue], *, by: str,
               at: datetime | None = None, if_match: str | None = None) -> Item:
        with self._tx.atomic():
            current = self.get(list_name, item_id)
            if if_match is not None and if_match != current.etag:
                raise StaleItem(f"{list_name}/{item_id} changed since it was read")
            merged = {**current.fields, **fields}
            if merged == current.fields:
                return current  # nothing changed: no new version, no change event
            self._conn.execute(
                "UPDATE items SET fields=?, version=version+1, modified_by=?, modified_at=?,"
                " change_seq=(SELECT MAX(change_seq) + 1 FROM items) WHERE id=?",
                (json.dumps(merged, sort_keys=True), by, _when(at), item_id),
            )
            crash_point("register.update.uncommitted")
            return self.get(list_name, item_id)

    def changed_since(self, list_name: str, cursor: str | None) -> ItemChanges:
        self._check(list_name)
        after = int(cursor) if cursor else 0
        rows = self._conn.execute(
            "SELECT * FROM items WHERE list=? AND change_seq>? ORDER BY change_seq", (list_name, after)
        ).fetchall()
        latest = self._conn.execute("SELECT COALESCE(MAX(change_seq), 0) FROM items").fetchone()[0]
        return ItemChanges([self._item(r) for r in rows], str(max(latest, after)))


def _sql_text(value: FieldValue) -> bool:
    """A text value SQLite compares exactly as Python does (json_extract stops at NUL; a lone surrogate has no
    UTF-8): the others are left to the comparison in Python alone."""
    if not isinstance(value, str) or "\x00" in value:
        return False
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def _when(at: datetime | None) -> str:
    return (at or datetime.now(UTC)).isoformat()
