"""The four seams between the bot's decisions and the outside world, named for the business.

The local workspace (Maildir, SQLite, folder), the in-memory fakes and Microsoft Graph each
implement these; `tests/contract/` runs one suite per port against every implementation.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

FieldValue = str | int | bool | list[str] | None


# --- case register ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Item:
    """One list item, as SharePoint shapes it: fields plus who changed it, when, and a version tag."""

    id: str
    fields: Mapping[str, FieldValue]
    etag: str
    modified_by: str
    modified_at: datetime


@dataclass(frozen=True)
class ItemChanges:
    items: list[Item]
    cursor: str


class ItemNotFound(KeyError):
    """No item with that id in that list."""


class StaleItem(RuntimeError):
    """The item changed since it was read (its etag no longer matches): re-read and decide again."""


@runtime_checkable
class CaseRegister(Protocol):
    """The team's lists (cases, agencies, agency requests): shaped like SharePoint lists."""

    def items(self, list_name: str) -> list[Item]:
        """Every item of a list, oldest first."""
        ...

    def get(self, list_name: str, item_id: str) -> Item:
        """One item; raises ItemNotFound."""
        ...

    def find(self, list_name: str, **equals: FieldValue) -> list[Item]:
        """Items whose fields equal all the given values."""
        ...

    def add(self, list_name: str, fields: Mapping[str, FieldValue], *, by: str,
            at: datetime | None = None) -> Item:
        """Create an item, recording who created it."""
        ...

    def update(self, list_name: str, item_id: str, fields: Mapping[str, FieldValue], *, by: str,
               at: datetime | None = None, if_match: str | None = None) -> Item:
        """Change some fields; with `if_match`, raise StaleItem instead of overwriting a newer edit."""
        ...

    def changed_since(self, list_name: str, cursor: str | None) -> ItemChanges:
        """Items added or changed after `cursor` (None: all), and the cursor to pass next time."""
        ...


# --- mailbox ---------------------------------------------------------------------------------

class MailFolder(StrEnum):
    PROCESSED = "processed"
    QUARANTINE = "quarantine"
    NEEDS_ATTENTION = "needs-attention"


@dataclass(frozen=True)
class AttachmentInfo:
    id: str
    name: str
    content_type: str
    size: int


@dataclass(frozen=True)
class InboundMessage:
    """A received message. `sender` is the From address only: display names are never trusted."""

    id: str
    internet_message_id: str
    subject: str
    sender: str
    received: datetime
    body_text: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    attachments: tuple[AttachmentInfo, ...] = ()
    in_reply_to: str = ""
    references: tuple[str, ...] = ()

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)


@dataclass(frozen=True)
class MailChanges:
    """Messages in the inbox since a cursor. May repeat a message: consumers dedupe by `id`."""

    messages: list[InboundMessage]
    cursor: str


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class OutboundMessage:
    to: tuple[str, ...]
    subject: str
    text: str
    html: str | None = None
    cc: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    message_id: str | None = None
    in_reply_to: str | None = None

    @property
    def recipients(self) -> tuple[str, ...]:
        return self.to + self.cc


@dataclass(frozen=True)
class SentMessage:
    key: str
    message_id: str
    sent_at: datetime


@runtime_checkable
class Mailbox(Protocol):
    """The partnership's shared mailbox."""

    def changes(self, cursor: str | None) -> MailChanges:
        """Inbound messages since `cursor` (None: everything still in the inbox)."""
        ...

    def pages(self, cursor: str | None) -> Iterator[MailChanges]:
        """The same messages a page at a time, each page with the cursor to resume after it, so a backlog is
        held in memory a page at a time and a pass interrupted half-way resumes where it stopped."""
        ...

    def attachment(self, message_id: str, attachment_id: str) -> bytes:
        """The bytes of one attachment of an inbound message."""
        ...

    def send(self, message: OutboundMessage, *, key: str, at: datetime | None = None,
             first_attempt: bool = False) -> SentMessage:
        """Send once per idempotency key: a second call with the same key sends nothing new. `first_attempt`:
        the ledger says no attempt with this key was ever begun, so there is nothing to look for first."""
        ...

    def sent(self, key: str) -> SentMessage | None:
        """The message sent under `key`, if any (used to reconcile after a crash or ambiguous error)."""
        ...

    def move(self, message_id: str, folder: MailFolder, *, reason: str = "", just_read: bool = False) -> None:
        """File an inbound message out of the inbox, with the reason for quarantine or attention. `just_read`:
        the message came from this pass's `pages`, so it is in the inbox (no need to check before moving)."""
        ...


# --- document library ------------------------------------------------------------------------

@dataclass(frozen=True)
class Document:
    case_ref: str
    path: str
    size: int


class UnsafePath(ValueError):
    """A document path that would escape the case folder."""


@runtime_checkable
class Library(Protocol):
    """Documents per case (forms, returns, reports), like a SharePoint document library."""

    def save(self, case_ref: str, path: str, data: bytes) -> Document:
        """Write a document atomically (replacing one at the same path)."""
        ...

    def read(self, case_ref: str, path: str) -> bytes:
        """A document's bytes; raises FileNotFoundError."""
        ...

    def list(self, case_ref: str, folder: str = "") -> list[Document]:
        """Documents of a case under `folder`, sorted by path."""
        ...

    def pdf(self, case_ref: str, path: str) -> bytes | None:
        """A PDF rendering of a Word document, or None where this library cannot convert."""
        ...

    def delete(self, case_ref: str, path: str) -> None:
        """Remove a document (retention); deleting one that is not there does nothing."""
        ...


# --- the bot's own state ---------------------------------------------------------------------

class OutboxStatus(StrEnum):
    HELD = "held"  # waiting for a lead's approval before it may be sent
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True)
class OutboxItem:
    key: str
    case_ref: str
    purpose: str
    message: OutboundMessage
    created_at: datetime
    status: OutboxStatus = OutboxStatus.PENDING
    sent_at: datetime | None = None
    message_id: str = ""
    error: str = ""
    due_by: date | None = None  # the deadline this message serves: after an outage the earliest goes first


class DuplicateKey(ValueError):
    """An outbox row with that idempotency key already exists."""


@dataclass(frozen=True)
class AuditEvent:
    """One line of the append-only audit trail. Case references and agency codes only: no personal data."""

    at: datetime
    action: str
    case_ref: str = ""
    agency: str = ""
    detail: str = ""
    outbox_key: str = ""
    actor: str = "cspr-bot"


@dataclass(frozen=True)
class Instance:
    """One running cspr-bot as it last reported itself: leader or standby, alive when, ticked when."""

    name: str
    host: str
    pid: int
    version: str
    role: str  # "leader" or "standby"
    started_at: datetime
    seen_at: datetime
    last_tick_at: datetime | None = None
    last_tick_id: str = ""


@dataclass(frozen=True)
class LedgerStats:
    """Counts for operators and /metrics, without loading any message."""

    outbox: Mapping[str, int]  # status -> rows
    oldest_unsent: datetime | None  # when the oldest pending row was queued
    inbound: int  # inbound messages ever processed
    sent: int  # messages ever sent
    quarantined: int = 0  # inbound messages filed in quarantine (hostile or unreadable)


@runtime_checkable
class Ledger(Protocol):
    """Outbox, processed inbound ids, cursors and the audit trail, in one durable store."""

    def atomic(self) -> AbstractContextManager[None]:
        """Group writes into one transaction; nested blocks join the outer one."""
        ...

    def enqueue(self, key: str, message: OutboundMessage, *, case_ref: str, purpose: str,
                at: datetime, held: bool = False, due_by: date | None = None) -> OutboxItem:
        """Add a message to send (or, `held`, to send once released); raises DuplicateKey if the key
        was ever used."""
        ...

    def release(self, key: str, *, at: datetime) -> None:
        """Let a held message go; raises KeyError unless it is held."""
        ...

    def queued(self, key: str) -> bool:
        """Whether a message was ever queued under `key`."""
        ...

    def queued_at(self, key: str) -> datetime | None:
        """When a message was queued under `key`, or None if it never was."""
        ...

    def outbox(self, status: OutboxStatus | None = None) -> list[OutboxItem]:
        """Outbox rows in the order they were queued."""
        ...

    def mark_attempt(self, key: str, *, at: datetime) -> None:
        """Note, before anything leaves, that a send of a pending message is being attempted: a later attempt
        then looks for this one in the mailbox first (the message's `error` says when)."""
        ...

    def mark_sent(self, key: str, *, at: datetime, message_id: str) -> None: ...

    def mark_failed(self, key: str, *, at: datetime, error: str) -> None: ...

    def record_inbound(self, message_id: str, *, at: datetime, outcome: str) -> bool:
        """Record an inbound message as processed; False if it already was."""
        ...

    def inbound_seen(self, message_id: str) -> bool: ...

    def inbound_outcome(self, message_id: str) -> str | None:
        """The outcome recorded for a processed message, or None if it was never processed."""
        ...

    def cursor(self, name: str) -> str | None: ...

    def set_cursor(self, name: str, value: str) -> None: ...

    def audit(self, event: AuditEvent) -> None:
        """Append to the audit trail (never updated or deleted)."""
        ...

    def audit_trail(self, case_ref: str | None = None) -> Iterator[AuditEvent]: ...

    def audit_count(self, action: str, *, case_ref: str, agency: str | None = "") -> int:
        """How many audit rows of `action` a case has for `agency` ("" the case itself, None any agency)."""
        ...

    def heartbeat(self, instance: Instance) -> None:
        """Record an instance as alive (its role, seen_at, and its last tick when given)."""
        ...

    def instances(self) -> list[Instance]:
        """Every instance that ever reported, most recently seen first."""
        ...

    def stats(self) -> LedgerStats: ...

    def schema_version(self) -> int:
        """The ledger's migration version now (another instance may have upgraded it since this one opened it)."""
        ...

    def close(self) -> None: ...
