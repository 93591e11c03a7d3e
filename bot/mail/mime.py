"""RFC 5322 bytes <-> the port's message types, with the standard library's `email` package.

Parsing never raises: a header or part that cannot be read is left empty, so one odd message
cannot stop a tick (the ingest handler decides what to do with it).
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import functools
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage, Message
from html.parser import HTMLParser
from typing import Any

from bot.ports import AttachmentInfo, InboundMessage, OutboundMessage

OUTBOX_KEY_HEADER = "X-CSPR-Outbox-Key"
REASON_HEADER = "X-CSPR-Reason"


class _TextOnly(HTMLParser):
    """Collects the text of an HTML body; nothing is rendered or kept as markup."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("br", "p", "div", "tr", "li"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts).strip()


def _safe(fn: Callable[[], Any], default: Any) -> Any:
    try:
        value = fn()
    except Exception:  # a malformed header or part: keep going with the default
        return default
    return default if value is None else value


def _body_text(msg: EmailMessage) -> str:
    plain = _safe(lambda: msg.get_body(preferencelist=("plain",)), None)
    if plain is not None:
        return str(_safe(plain.get_content, ""))
    html = _safe(lambda: msg.get_body(preferencelist=("html",)), None)
    return html_to_text(str(_safe(html.get_content, ""))) if html is not None else ""


def _attachments(msg: EmailMessage) -> list[Message]:
    return list(_safe(lambda: list(msg.iter_attachments()), []))


def _sender(msg: EmailMessage) -> str:
    """The one From address, or "" when the header is missing, malformed or names several: an
    unquoted address-like display name (`a@agency.example <x@elsewhere.example>`) must not pass as the
    agency's address, and a defective header is never trusted."""
    if len(msg.get_all("From") or []) != 1:  # RFC 5322 allows one; clients differ on which of two they show
        return ""
    header: Any = msg["From"]
    if header is None or header.defects:
        return ""
    addresses = list(header.addresses)
    if len(addresses) != 1 or not addresses[0].domain:
        return ""
    return str(addresses[0].addr_spec).lower()


def _received(msg: EmailMessage) -> datetime:
    parsed = _safe(lambda: email.utils.parsedate_to_datetime(str(msg["Date"])), None)
    if parsed is None:
        return datetime.fromtimestamp(0, UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_message(message_id: str, raw: bytes) -> InboundMessage:
    """An InboundMessage from raw bytes. `sender` is the bare From address, lower-cased."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    infos = []
    for index, part in enumerate(_attachments(msg)):
        payload = _safe(functools.partial(part.get_payload, decode=True), b"")
        infos.append(AttachmentInfo(
            id=str(index), name=str(_safe(part.get_filename, "") or f"attachment-{index}"),
            content_type=str(_safe(part.get_content_type, "application/octet-stream")), size=len(payload),
        ))
    return InboundMessage(
        id=message_id,
        internet_message_id=str(_safe(lambda: msg["Message-ID"], "")).strip(),
        subject=" ".join(str(_safe(lambda: msg["Subject"], "")).split()),
        sender=_safe(lambda: _sender(msg), ""),
        received=_received(msg),
        body_text=_body_text(msg),
        headers=tuple((k, str(v)) for k, v in _safe(lambda: list(msg.raw_items()), [])),
        attachments=tuple(infos),
        in_reply_to=str(_safe(lambda: msg["In-Reply-To"], "")).strip(),
        references=tuple(str(_safe(lambda: msg["References"], "")).split()),
    )


def attachment_bytes(raw: bytes, attachment_id: str) -> bytes:
    """The decoded bytes of the attachment numbered `attachment_id` by `parse_message`."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    parts = _attachments(msg)
    index = int(attachment_id)
    if not 0 <= index < len(parts):
        raise KeyError(f"no attachment {attachment_id}")
    return bytes(parts[index].get_payload(decode=True) or b"")


def compose(message: OutboundMessage, *, sender: str, key: str, at: datetime) -> EmailMessage:
    """The MIME message the local mailbox writes for an outbound message (text, HTML, attachments)."""
    mime = EmailMessage()
    mime["From"] = sender
    mime["To"] = ", ".join(message.to)
    if message.cc:
        mime["Cc"] = ", ".join(message.cc)
    mime["Subject"] = message.subject
    mime["Date"] = email.utils.format_datetime(at)
    mime["Message-ID"] = message.message_id or email.utils.make_msgid(domain=sender.rpartition("@")[2])
    if message.in_reply_to:
        mime["In-Reply-To"] = message.in_reply_to
        mime["References"] = message.in_reply_to
    mime[OUTBOX_KEY_HEADER] = key
    mime.set_content(message.text)
    if message.html:
        mime.add_alternative(message.html, subtype="html")
    for a in message.attachments:
        maintype, _, subtype = a.content_type.partition("/")
        mime.add_attachment(a.data, maintype=maintype, subtype=subtype or "octet-stream", filename=a.name)
    return mime
