"""Fixtures for the Graph emulator's own tests: a running emulator with a mailbox and a site, and an httpx client."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid

import httpx
import pytest

from tests.graph_emulator import GraphEmulator

MAILBOX = "cspr-bot@northshire-scp.example"
MB = "cspr-bot%40northshire-scp.example"
HOST = "northshire.sharepoint.example"
PID = "String {00020329-0000-0000-C000-000000000046} Name X-Bot-Idempotency-Key"


def eml(subject: str = "Rapid review request", *, sender: str = "Duty Manager <duty@agency.example>",
        body: str = "Please see attached.", attachment: bytes | None = None, message_id: str | None = None,
        **headers: str) -> bytes:
    """A small RFC 5322 message as an agency would send it."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = MAILBOX
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or make_msgid(domain="agency.example")
    msg["Authentication-Results"] = "spf=pass smtp.mailfrom=agency.example; dkim=pass; dmarc=pass"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    msg.add_alternative(f"<p>{body}</p>", subtype="html")
    if attachment is not None:
        msg.add_attachment(attachment, maintype="application", subtype="pdf", filename="return.pdf")
    return msg.as_bytes()


@pytest.fixture
def graph() -> Iterator[GraphEmulator]:
    with GraphEmulator() as emulator:
        emulator.add_mailbox(MAILBOX)
        yield emulator


@pytest.fixture
def site(graph: GraphEmulator) -> str:
    site_id = graph.add_site(HOST, "sites/cspr")
    graph.add_list(site_id, "Cases", columns=[
        {"name": "Status", "choice": {"choices": ["Open", "Replied", "Closed"]}, "indexed": True},
        {"name": "DueDate", "dateTime": {"format": "dateOnly"}}, "CaseRef"])
    return site_id


@pytest.fixture
def http(graph: GraphEmulator) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {graph.token}", "Prefer": 'IdType="ImmutableId"'}
    with httpx.Client(base_url=graph.base_url, headers=headers, timeout=5) as client:
        yield client
