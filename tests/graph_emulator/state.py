"""Everything the emulator remembers, behind one lock: mailboxes, sites and lists, drives, upload sessions, requests.

Each folder and list keeps an append-only change log; delta tokens are positions in it.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .faults import FaultBook
from .wire import GraphError, exchange_id

FOLDER_PREFIX = "AAMkAGVmMDEzMTM4AC4AAAAAAAA"
WELL_KNOWN = {
    "inbox": "Inbox", "drafts": "Drafts", "sentitems": "Sent Items", "deleteditems": "Deleted Items",
    "archive": "Archive", "junkemail": "Junk Email", "outbox": "Outbox",
}


@dataclass
class Request:
    """One request as the emulator received it; path is percent-encoded as on the wire, with '//' collapsed."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    immutable_id: bool | None = None  # mail requests: did Prefer carry IdType="ImmutableId"? None otherwise


@dataclass
class Folder:
    id: str
    display_name: str
    parent_id: str
    well_known: str | None = None
    log: list[tuple[str, str]] = field(default_factory=list)  # (message id, "upsert" | "removed")


@dataclass
class Mailbox:
    address: str
    display_name: str
    root_id: str
    folders: dict[str, Folder] = field(default_factory=dict)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)

    def folder(self, ref: str) -> Folder:
        """A folder by id or well-known name (case-insensitive), as Graph resolves {mailFolder-id}."""
        if ref in self.folders:
            return self.folders[ref]
        for folder in self.folders.values():
            if folder.well_known and folder.well_known == ref.lower():
                return folder
        raise GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")

    def message(self, message_id: str) -> dict[str, Any]:
        if message_id not in self.messages:
            raise GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        return self.messages[message_id]


@dataclass
class SpList:
    id: str
    name: str
    display_name: str
    created: str
    columns: list[dict[str, Any]] = field(default_factory=list)
    items: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_id: int = 1
    log: list[tuple[int, str]] = field(default_factory=list)  # (item id, "upsert" | "deleted")


@dataclass
class DriveItem:
    id: str
    name: str
    parent_id: str | None
    is_folder: bool
    created: str
    modified: str
    content: bytes = b""
    version: int = 1


@dataclass
class Drive:
    id: str
    root_id: str
    site_id: str
    items: dict[str, DriveItem] = field(default_factory=dict)


@dataclass
class Site:
    id: str
    hostname: str
    path: str
    display_name: str
    created: str
    drive: Drive
    lists: dict[str, SpList] = field(default_factory=dict)


@dataclass
class UploadSession:
    id: str
    kind: str  # "mail" (nextExpectedRanges ["{start}"], 200 per chunk) or "drive" (["{start}-"], 202 per chunk)
    size: int
    expires: str
    finish: Callable[[bytes], Any]  # called with the whole file once the last byte arrives; returns the Response
    received: bytearray = field(default_factory=bytearray)


class State:
    """The emulator's memory; every route runs with `lock` held."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self._counter = itertools.count(1)
        self.mailboxes: dict[str, Mailbox] = {}
        self.sites: dict[str, Site] = {}
        self.drives: dict[str, Drive] = {}
        self.uploads: dict[str, UploadSession] = {}
        self.requests: list[Request] = []
        self.upload_auth_violations: list[Request] = []
        self.transmitted: list[dict[str, Any]] = []
        self.people: dict[str, int] = {}  # email -> SharePoint user lookup id
        self.faults = FaultBook()

    def next_id(self) -> int:
        return next(self._counter)

    def guid(self) -> str:
        return str(uuid.UUID(int=self.next_id() + (0xA11CE << 96)))

    def new_mailbox(self, address: str, display_name: str) -> Mailbox:
        mailbox = Mailbox(address, display_name, exchange_id(FOLDER_PREFIX, self.next_id()))
        for name, title in WELL_KNOWN.items():
            folder = Folder(exchange_id(FOLDER_PREFIX, self.next_id()), title, mailbox.root_id, name)
            mailbox.folders[folder.id] = folder
        self.mailboxes[address.lower()] = mailbox
        return mailbox

    def mailbox(self, address: str) -> Mailbox:
        try:
            return self.mailboxes[address.lower()]
        except KeyError:
            raise GraphError(404, "ErrorInvalidUser", f"The requested user '{address}' is invalid.") from None

    def site(self, ref: str) -> Site:
        """A site by composite id or by "{hostname}:/{server-relative path}[:]"."""
        if ref in self.sites:
            return self.sites[ref]
        host, _, path = ref.rstrip(":").partition(":")
        for site in self.sites.values():
            if path and site.hostname.lower() == host.lower() and site.path.lower() == path.strip("/").lower():
                return site
        raise GraphError(404, "itemNotFound", "Requested site could not be found")

    def drive(self, drive_id: str) -> Drive:
        if drive_id not in self.drives:
            raise GraphError(404, "itemNotFound", "The resource could not be found.")
        return self.drives[drive_id]

    def person(self, email: str) -> int:
        return self.people.setdefault(email.lower(), 10 + len(self.people))
