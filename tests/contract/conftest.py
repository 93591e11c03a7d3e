"""Fixtures for the port contract suites: one fixture per port, parametrized over every implementation.

A new adapter (Microsoft Graph, say) joins a suite by adding a param to its fixture here; the tests
themselves only use the port (plus, for the mailbox, a small harness that can deliver inbound mail).
"""

from __future__ import annotations

import email
import email.utils
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

import pytest

from bot.adapters.graph.client import LoopThread
from bot.adapters.graph.library import SharePointLibrary
from bot.adapters.graph.mailbox import GraphMailbox
from bot.adapters.graph.mirror import MirroredRegister
from bot.adapters.graph.register import SharePointCaseRegister
from bot.adapters.graph.uploads import Uploader
from bot.adapters.local.library import FolderLibrary
from bot.adapters.local.maildir import MaildirMailbox
from bot.adapters.local.register import SqliteCaseRegister
from bot.adapters.memory import MemoryCaseRegister, MemoryLibrary, MemoryMailbox
from bot.ledger import SqliteLedger
from bot.ports import CaseRegister, Ledger, Library, Mailbox, MailFolder
from tests.graph_emulator import GraphEmulator
from tests.graph_sdk import SITE, SITE_REF, provisioned, sdk_client
from tests.postgres import fresh_schema, pg_url  # noqa: F401 (a fixture)

LISTS = ("cases", "agencies", "requests")
TEAM_ADDRESS = "team@scp.example"


# --- Microsoft Graph, through the real SDK over HTTP to the emulator on loopback ---------------

@dataclass
class GraphRig:
    emulator: GraphEmulator
    graph: Any
    loop: LoopThread
    site: str


@pytest.fixture
def graph_rig() -> Iterator[GraphRig]:
    with GraphEmulator() as emulator:
        site = emulator.add_site(*SITE)
        loop = LoopThread()
        try:
            yield GraphRig(emulator, sdk_client(emulator), loop, site)
        finally:
            loop.close()


# --- case register ---------------------------------------------------------------------------

@pytest.fixture(params=["local", "memory", "graph", "graph-mirrored"])
def register(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CaseRegister]:
    if request.param == "local":
        port = SqliteCaseRegister(tmp_path / "register.sqlite", LISTS)
        yield port
        port.close()
    elif request.param == "graph":
        rig: GraphRig = request.getfixturevalue("graph_rig")
        yield SharePointCaseRegister(provisioned(rig.emulator, rig.loop), rig.loop, site=SITE_REF)
    elif request.param == "graph-mirrored":  # outside a tick, as here, every read brings the copy up to date
        rig = request.getfixturevalue("graph_rig")
        yield MirroredRegister(SharePointCaseRegister(provisioned(rig.emulator, rig.loop), rig.loop, site=SITE_REF))
    else:
        yield MemoryCaseRegister(LISTS)


# --- mailbox ---------------------------------------------------------------------------------

class MailboxHarness(Protocol):
    """What the mailbox suite needs besides the port: a way to make mail arrive and to look behind it."""

    port: Mailbox

    def deliver(self, raw: bytes) -> None: ...

    def sent_count(self) -> int:
        """How many distinct messages actually left (files written, entries in the outbox...)."""
        ...

    def filed(self, folder: MailFolder) -> int:
        """How many messages sit in a folder other than the inbox."""
        ...


@dataclass
class LocalMailboxHarness:
    port: MaildirMailbox
    root: Path

    def deliver(self, raw: bytes) -> None:
        # the Maildir way: write into tmp/, then rename into new/ so the bot never sees half a file
        name = f"{uuid.uuid4().hex}.eml"
        tmp = self.root / "inbox" / "tmp" / name
        tmp.write_bytes(raw)
        os.replace(tmp, self.root / "inbox" / "new" / name)

    def sent_count(self) -> int:
        return sum(1 for p in (self.root / "sent" / "new").iterdir() if p.is_file())

    def filed(self, folder: MailFolder) -> int:
        return len(self.port.keys(folder.value))


@dataclass
class MemoryMailboxHarness:
    port: MemoryMailbox

    def deliver(self, raw: bytes) -> None:
        self.port.deliver(raw)

    def sent_count(self) -> int:
        return len(self.port.outbox)

    def filed(self, folder: MailFolder) -> int:
        return len(self.port.folders[folder])


@dataclass
class GraphMailboxHarness:
    port: GraphMailbox
    rig: GraphRig

    def deliver(self, raw: bytes) -> None:
        # Exchange stamps receivedDateTime on arrival; deliver "at" the message's own Date, as mail would
        try:
            when = email.utils.parsedate_to_datetime(str(email.message_from_bytes(raw)["Date"]))
        except (TypeError, ValueError):
            when = None
        self.rig.emulator.deliver(TEAM_ADDRESS, raw, received=when)

    def sent_count(self) -> int:
        return len(self.rig.emulator.messages(TEAM_ADDRESS, "sentitems"))

    def filed(self, folder: MailFolder) -> int:
        try:
            return len(self.rig.emulator.messages(TEAM_ADDRESS, f"cspr-bot/{folder.value}"))
        except StopIteration:  # the folder was never created: nothing filed there
            return 0


@pytest.fixture(params=["local", "memory", "graph"])
def mailbox(request: pytest.FixtureRequest, tmp_path: Path) -> MailboxHarness:
    if request.param == "local":
        root = tmp_path / "mail"
        return LocalMailboxHarness(MaildirMailbox(root, address=TEAM_ADDRESS), root)
    if request.param == "graph":
        rig: GraphRig = request.getfixturevalue("graph_rig")
        rig.emulator.add_mailbox(TEAM_ADDRESS)
        return GraphMailboxHarness(GraphMailbox(rig.graph, rig.loop, address=TEAM_ADDRESS, uploads=Uploader()), rig)
    return MemoryMailboxHarness(MemoryMailbox(address=TEAM_ADDRESS))


def _make_email(
    *,
    subject: str = "Rapid review request: Child A",
    sender: str = "Duty Officer <duty.officer@police.example>",
    to: str = TEAM_ADDRESS,
    body: str | None = "Please find the chronology attached.\n",
    html: str | None = None,
    message_id: str | None = None,
    date: datetime | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    extra_headers: dict[str, str] | None = None,
    attachments: tuple[tuple[str, str, bytes], ...] = (),
) -> bytes:
    """Raw RFC 5322 bytes of a test email built with the standard library (fictional people only)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = (date or datetime(2025, 3, 4, 9, 30, tzinfo=UTC)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    msg["Message-ID"] = message_id or f"<{uuid.uuid4().hex}@police.example>"
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in (extra_headers or {}).items():
        msg[name] = value
    if body is not None:
        msg.set_content(body)
        if html is not None:
            msg.add_alternative(html, subtype="html")
    elif html is not None:
        msg.set_content(html, subtype="html")
    for filename, content_type, data in attachments:
        maintype, _, subtype = content_type.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(msg)


@pytest.fixture
def make_email() -> Callable[..., bytes]:
    """The test email builder, as a fixture so the suites need not import from a conftest."""
    return _make_email


# --- library ---------------------------------------------------------------------------------

@pytest.fixture(params=["local", "memory", "graph"])
def library(request: pytest.FixtureRequest, tmp_path: Path) -> Library:
    if request.param == "local":
        return FolderLibrary(tmp_path / "library")
    if request.param == "graph":
        rig: GraphRig = request.getfixturevalue("graph_rig")
        return SharePointLibrary(rig.graph, rig.loop, site=SITE_REF, uploads=Uploader())
    return MemoryLibrary()


# --- ledger ----------------------------------------------------------------------------------

@pytest.fixture(params=["file", "memory", "postgres"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    if request.param == "postgres":
        from bot.ledger_pg import PostgresLedger

        with fresh_schema() as url:
            port: Ledger = PostgresLedger(url)
            yield port
            port.close()
        return
    port = SqliteLedger(tmp_path / "ledger.sqlite" if request.param == "file" else ":memory:")
    yield port
    port.close()
