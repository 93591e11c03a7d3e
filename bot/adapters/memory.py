"""In-memory fakes of the Mailbox, CaseRegister and Library ports, for tests and experiments.

They are first-class code: they pass the same contract suites as the real adapters, so a handler
test on fakes says something true about the local workspace and Microsoft 365.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PurePosixPath

from bot.adapters.local.library import safe_case_ref, safe_parts
from bot.mail.mime import attachment_bytes, parse_message
from bot.ports import (
    Document,
    FieldValue,
    InboundMessage,
    Item,
    ItemChanges,
    ItemNotFound,
    MailChanges,
    MailFolder,
    OutboundMessage,
    SentMessage,
    StaleItem,
)


@dataclass
class _Row:
    list_name: str
    fields: dict[str, FieldValue]
    version: int
    by: str
    at: datetime
    seq: int


class MemoryCaseRegister:
    def __init__(self, lists: Iterable[str]) -> None:
        self.lists = frozenset(lists)
        self._rows: dict[str, _Row] = {}
        self._ids = itertools.count(1)
        self._seq = 0

    def _check(self, list_name: str) -> None:
        if list_name not in self.lists:
            raise KeyError(f"no list named {list_name!r}")

    def _item(self, item_id: str) -> Item:
        r = self._rows[item_id]
        return Item(item_id, copy.deepcopy(r.fields), f'"{item_id},{r.version}"', r.by, r.at)

    def items(self, list_name: str) -> list[Item]:
        self._check(list_name)
        return [self._item(i) for i, r in self._rows.items() if r.list_name == list_name]

    def get(self, list_name: str, item_id: str) -> Item:
        self._check(list_name)
        row = self._rows.get(item_id)
        if row is None or row.list_name != list_name:
            raise ItemNotFound(f"{list_name}/{item_id}")
        return self._item(item_id)

    def find(self, list_name: str, **equals: FieldValue) -> list[Item]:
        return [i for i in self.items(list_name) if all(i.fields.get(k) == v for k, v in equals.items())]

    def add(self, list_name: str, fields: Mapping[str, FieldValue], *, by: str,
            at: datetime | None = None) -> Item:
        self._check(list_name)
        item_id = str(next(self._ids))
        self._seq += 1
        self._rows[item_id] = _Row(list_name, copy.deepcopy(dict(fields)), 1, by, at or datetime.now(UTC),
                                   self._seq)
        return self._item(item_id)

    def update(self, list_name: str, item_id: str, fields: Mapping[str, FieldValue], *, by: str,
               at: datetime | None = None, if_match: str | None = None) -> Item:
        current = self.get(list_name, item_id)
        if if_match is not None and if_match != current.etag:
            raise StaleItem(f"{list_name}/{item_id} changed since it was read")
        merged = {**current.fields, **copy.deepcopy(dict(fields))}
        if merged == current.fields:
            return current
        row = self._rows[item_id]
        self._seq += 1
        row.fields, row.version, row.by, row.at, row.seq = merged, row.version + 1, by, at or datetime.now(UTC), \
            self._seq
        return self._item(item_id)

    def changed_since(self, list_name: str, cursor: str | None) -> ItemChanges:
        self._check(list_name)
        after = int(cursor) if cursor else 0
        rows = sorted(((r.seq, i) for i, r in self._rows.items() if r.list_name == list_name and r.seq > after))
        return ItemChanges([self._item(i) for _, i in rows], str(max(self._seq, after)))


@dataclass
class MemoryMailbox:
    """A mailbox in memory. `deliver` puts raw RFC 5322 bytes into the inbox."""

    address: str = "team@scp.example"
    inbox: dict[str, bytes] = field(default_factory=dict)
    folders: dict[MailFolder, dict[str, tuple[bytes, str]]] = field(
        default_factory=lambda: {f: {} for f in MailFolder})
    outbox: dict[str, tuple[OutboundMessage, SentMessage]] = field(default_factory=dict)
    send_calls: int = 0
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def deliver(self, raw: bytes) -> str:
        message_id = f"mem-{next(self._ids):06d}"
        self.inbox[message_id] = raw
        return message_id

    def changes(self, cursor: str | None) -> MailChanges:
        messages: list[InboundMessage] = [parse_message(i, raw) for i, raw in self.inbox.items()]
        messages.sort(key=lambda m: (m.received, m.id))
        return MailChanges(messages, cursor=str(len(self.inbox)))

    def pages(self, cursor: str | None) -> Iterator[MailChanges]:
        yield self.changes(cursor)

    def attachment(self, message_id: str, attachment_id: str) -> bytes:
        return attachment_bytes(self.inbox[message_id], attachment_id)

    def send(self, message: OutboundMessage, *, key: str, at: datetime | None = None,
             first_attempt: bool = False) -> SentMessage:
        self.send_calls += 1
        if key in self.outbox:
            return self.outbox[key][1]
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        receipt = SentMessage(key, message.message_id or f"<{digest}@{self.address.rpartition('@')[2]}>",
                              at or datetime.now(UTC))
        self.outbox[key] = (message, receipt)
        return receipt

    def sent(self, key: str) -> SentMessage | None:
        found = self.outbox.get(key)
        return found[1] if found else None

    def sent_messages(self) -> list[OutboundMessage]:
        return [m for m, _ in self.outbox.values()]

    def move(self, message_id: str, folder: MailFolder, *, reason: str = "", just_read: bool = False) -> None:
        raw = self.inbox.pop(message_id, None)
        if raw is not None:
            self.folders[folder][message_id] = (raw, reason)


class MemoryLibrary:
    def __init__(self) -> None:
        self.files: dict[tuple[str, ...], bytes] = {}

    def save(self, case_ref: str, path: str, data: bytes) -> Document:
        self.files[safe_parts(case_ref, path)] = bytes(data)
        return Document(case_ref, str(PurePosixPath(path)), len(data))

    def read(self, case_ref: str, path: str) -> bytes:
        try:
            return self.files[safe_parts(case_ref, path)]
        except KeyError:
            raise FileNotFoundError(f"{case_ref}/{path}") from None

    def delete(self, case_ref: str, path: str) -> None:
        self.files.pop(safe_parts(case_ref, path), None)

    def pdf(self, case_ref: str, path: str) -> bytes | None:
        self.read(case_ref, path)
        return None  # the fake cannot convert, like a local workspace without LibreOffice

    def list(self, case_ref: str, folder: str = "") -> list[Document]:
        prefix = safe_parts(case_ref, folder) if folder else (safe_case_ref(case_ref),)
        return sorted(
            (Document(case_ref, "/".join(k[1:]), len(v)) for k, v in self.files.items()
             if k[: len(prefix)] == prefix and len(k) > len(prefix)),
            key=lambda d: d.path,
        )
