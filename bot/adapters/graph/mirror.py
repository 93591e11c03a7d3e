"""A delta-synced copy of each SharePoint list, so a tick costs one delta request per list it reads.

Every job reads the Cases and Requests lists; read in full each time, an idle tick cost a dozen list reads
and more as cases grew (a page per 200 items, a version-history read per approved case). The mirror keeps
each list in memory and brings it up to date at most once per tick (the tick's correlation id,
`bot.logs.current_tick`) with one list delta: nothing changed, one request; an item a person changed, one
more read of that item (who changed it, which delta does not carry; and an approval's version history).
The bot's own writes come back through the delta too, with the etag the copy already holds: not read
again. Outside a tick (a CLI command, a metrics scrape) every read brings the copy up to date first.

The bot's own writes go through to SharePoint and then into the copy, so a job sees what an earlier job in
the same tick wrote. A person's edit made during a tick is seen on the next one, as before; a conditional
write (If-Match) still meets it and fails loudly rather than overwriting it.

`changed_since` (sync_cases) is answered from the same delta: a cursor the mirror handed out is answered
with exactly what changed after it; any other cursor (the first tick after a start, an old one) with every
item, a superset sync_cases handles as a full pass.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot.adapters.graph.register import SharePointCaseRegister
from bot.logs import current_tick
from bot.ports import FieldValue, Item, ItemChanges, ItemNotFound

HISTORY = 8  # cursors remembered per list (one per tick): a caller a few ticks behind still gets a delta
FULL_READ_AT = 25  # more changed items than this: one paged read of the list beats a read per item


@dataclass
class _Copy:
    items: dict[str, Item] = field(default_factory=dict)
    token: str | None = None
    tick: str | None = None
    since: dict[str, set[str]] = field(default_factory=dict)  # cursor -> ids changed after it


class MirroredRegister:
    """The CaseRegister port: SharePointCaseRegister behind a per-tick, delta-synced copy of each list."""

    def __init__(self, inner: SharePointCaseRegister) -> None:
        self.inner = inner
        self._copies: dict[str, _Copy] = {}
        self._lock = threading.RLock()  # the metrics endpoint reads from its own thread

    # ---- bringing a copy up to date
    def _fresh(self, list_name: str) -> _Copy:
        copy = self._copies.setdefault(list_name, _Copy())
        tick = current_tick()
        if tick and copy.tick == tick:
            return copy
        if copy.token is None:  # the first read: the latest cursor, then the whole list in pages
            token = self.inner.latest(list_name)
            copy.items, copy.since = {i.id: i for i in self.inner.items(list_name)}, {}
            copy.token, copy.tick = token, tick or None
            return copy
        changed, deleted, token, full = self.inner.delta_ids(list_name, copy.token)
        # an item whose etag the copy already holds is the bot's own write coming back: nothing to read
        unknown = [i for i, etag in changed.items() if not (etag and i in copy.items and copy.items[i].etag == etag)]
        if full or len(unknown) > FULL_READ_AT:  # an expired token, or much changed: read
            copy.items = {i.id: i for i in self.inner.items(list_name)}  # the whole list, in pages
            copy.since = {} if full else copy.since
        else:
            for item_id in unknown:
                try:
                    copy.items[item_id] = self.inner.get(list_name, item_id)
                except ItemNotFound:  # changed, then deleted before we read it
                    copy.items.pop(item_id, None)
        for item_id in deleted:
            copy.items.pop(item_id, None)
        touched = set(changed) | set(deleted)
        for ids in copy.since.values():
            ids |= touched
        if copy.token is not None and not full:
            copy.since[copy.token] = set(touched)
        while len(copy.since) > HISTORY:
            copy.since.pop(next(iter(copy.since)))
        copy.token, copy.tick = token, tick or None
        return copy

    # ---- reading
    def items(self, list_name: str) -> list[Item]:
        with self._lock:
            return _ordered(self._fresh(list_name).items.values())

    def get(self, list_name: str, item_id: str) -> Item:
        with self._lock:
            copy = self._fresh(list_name)
            if item_id not in copy.items:  # added since this tick's delta (or never there: ItemNotFound)
                self._keep(list_name, self.inner.get(list_name, item_id))
            return copy.items[item_id]

    def find(self, list_name: str, **equals: FieldValue) -> list[Item]:
        with self._lock:
            found = self._fresh(list_name).items.values()
            return _ordered(i for i in found if all(i.fields.get(k) == v for k, v in equals.items()))

    def changed_since(self, list_name: str, cursor: str | None) -> ItemChanges:
        with self._lock:
            copy = self._fresh(list_name)
            if cursor is not None and cursor == copy.token:
                return ItemChanges([], copy.token or "")
            if cursor is not None and cursor in copy.since:
                ids = copy.since[cursor]
                return ItemChanges(_ordered(i for i in copy.items.values() if i.id in ids), copy.token or "")
            return ItemChanges(_ordered(copy.items.values()), copy.token or "")

    # ---- writing (through to SharePoint, then into the copy)
    def add(self, list_name: str, fields: Mapping[str, FieldValue], *, by: str,
            at: datetime | None = None) -> Item:
        with self._lock:
            item = self.inner.add(list_name, fields, by=by, at=at)
            self._keep(list_name, item)
            return item

    def update(self, list_name: str, item_id: str, fields: Mapping[str, FieldValue], *, by: str,
               at: datetime | None = None, if_match: str | None = None) -> Item:
        with self._lock:
            copy = self._copies.get(list_name)
            known = copy.items.get(item_id) if copy is not None else None
            if known is not None and (if_match is None or if_match == known.etag) and all(
                    known.fields.get(k) == v for k, v in fields.items()):
                return known  # nothing to change: no request, no new version
            item = self.inner.update(list_name, item_id, fields, by=by, at=at, if_match=if_match, known=known)
            self._keep(list_name, item)
            return item

    def _keep(self, list_name: str, item: Item) -> None:
        copy = self._copies.get(list_name)
        if copy is not None and copy.token is not None:
            copy.items[item.id] = item


def _ordered(items: Iterable[Item]) -> list[Item]:
    return sorted(items, key=lambda i: (0, int(i.id), "") if i.id.isdigit() else (1, 0, i.id))
