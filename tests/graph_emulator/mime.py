"""Reads an RFC 5322 message (bytes) into the properties Graph shows for a delivered mail, and writes drafts back
out as MIME for GET .../messages/{id}/$value. Only the standard library's email package is used.
"""

from __future__ import annotations

import base64
import email
import hashlib
import html
import re
from email import policy
from email.errors import MessageError
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.utils import getaddresses, make_msgid, parsedate_to_datetime
from typing import Any

from .wire import iso

_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<br\s*/?>|</(?:p|div|li|tr|h[1-6])\s*>", re.IGNORECASE)
_MSGID = re.compile(r"<[^>]+>")


def address_list(value: str | None) -> list[dict[str, Any]]:
    """Graph's recipient shape; Exchange shows the address as the name when the header has none."""
    pairs = getaddresses([value]) if value else []
    return [{"emailAddress": {"name": name or addr, "address": addr}} for name, addr in pairs if addr]


def conversation_id(references: str | None, in_reply_to: str | None, message_id: str) -> str:
    """A stable conversationId from the thread root (first References id, else In-Reply-To, else the mail itself)."""
    root = (_MSGID.findall(references or "") or _MSGID.findall(in_reply_to or "") or [message_id])[0]
    digest = hashlib.sha256(root.strip().lower().encode()).digest()[:24]
    return "AAQkAGVm" + base64.b64encode(digest).decode()


def html_to_text(markup: str) -> str:
    """Roughly what Exchange gives for Prefer: outlook.body-content-type="text": one rendition of the HTML body."""
    text = html.unescape(_TAG.sub("", _BREAK.sub("\n", markup)))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(lines).strip()


def preview(body: dict[str, str]) -> str:
    text = html_to_text(body["content"]) if body["contentType"] == "html" else body["content"]
    return " ".join(text.split())[:255]


def parse_eml(raw: bytes) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Message properties and attachments (each with its bytes under "_raw") for a delivered mail."""
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    plain = email.message_from_bytes(raw, policy=policy.compat32)  # raw header text: never raises on junk
    headers = [{"name": name, "value": _unfold(value)} for name, value in plain.items()]
    message_id = (_header(plain, "Message-ID") or make_msgid(domain="emulator.example")).strip()
    sender = address_list(_header(plain, "From"))
    actual = address_list(_header(plain, "Sender")) or sender
    body_part, attachments = _walk(msg)
    body = {"contentType": "text", "content": ""}
    if body_part is not None:
        kind = "html" if body_part.get_content_type() == "text/html" else "text"
        body = {"contentType": kind, "content": _text(body_part)}
    props: dict[str, Any] = {
        "subject": _header(plain, "Subject") or "", "from": sender[0] if sender else None,
        "sender": actual[0] if actual else None, "toRecipients": address_list(_header(plain, "To")),
        "ccRecipients": address_list(_header(plain, "Cc")), "replyTo": address_list(_header(plain, "Reply-To")),
        "internetMessageId": message_id, "internetMessageHeaders": headers, "body": body,
        "uniqueBody": body, "bodyPreview": preview(body), "sentDateTime": _date(_header(plain, "Date")),
        "conversationId": conversation_id(_header(plain, "References"), _header(plain, "In-Reply-To"), message_id),
        "hasAttachments": any(not att["isInline"] for att in attachments), "_raw": raw,
    }
    return props, attachments


def _unfold(value: Any) -> str:
    return re.sub(r"\r?\n[ \t]+", " ", str(value)).strip()


def _header(msg: Message, name: str) -> str | None:
    """A header's decoded text (RFC 2047 words decoded when they can be), or None when absent."""
    value = msg.get(name)
    if value is None:
        return None
    try:
        return str(make_header(decode_header(_unfold(value))))
    except (LookupError, ValueError, UnicodeError, MessageError):
        return _unfold(value)


def _text(part: EmailMessage) -> str:
    try:
        return str(part.get_content())
    except (LookupError, ValueError, UnicodeError):  # an unknown charset: Exchange shows what it can
        return (part.get_payload(decode=True) or b"").decode("utf-8", errors="replace")


def _date(value: Any) -> str | None:
    try:
        return iso(parsedate_to_datetime(str(value))) if value else None
    except (TypeError, ValueError):
        return None


def _leaves(part: Message) -> list[Message]:
    if part.get_content_type() == "message/rfc822" or not part.is_multipart():
        return [part]
    return [leaf for sub in part.get_payload() for leaf in _leaves(sub)]


def _walk(msg: EmailMessage) -> tuple[EmailMessage | None, list[dict[str, Any]]]:
    body: EmailMessage | None = None
    attachments: list[dict[str, Any]] = []
    for part in _leaves(msg):
        assert isinstance(part, EmailMessage)
        disposition = part.get_content_disposition()
        is_text = part.get_content_type() in ("text/plain", "text/html")
        if is_text and disposition != "attachment" and not part.get_filename():
            if body is None or part.get_content_type() == "text/html":
                body = part
            continue
        attachments.append(_attachment(part, disposition))
    return body, attachments


def _attachment(part: EmailMessage, disposition: str | None) -> dict[str, Any]:
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload(0)
        data = inner.as_bytes()
        name = part.get_filename() or _header(email.message_from_bytes(data), "Subject") or "Attached message"
        return {"@odata.type": "#microsoft.graph.itemAttachment", "name": name, "contentType": "message/rfc822",
                "size": len(data), "isInline": False, "_raw": data}
    data = part.get_payload(decode=True) or b""
    content_id = (part.get("Content-ID") or "").strip().strip("<>") or None
    return {"@odata.type": "#microsoft.graph.fileAttachment", "name": part.get_filename() or "Untitled attachment",
            "contentType": part.get_content_type(), "size": len(data), "contentId": content_id,
            "isInline": disposition == "inline" or (disposition is None and content_id is not None),
            "contentLocation": None, "_raw": data}


def to_mime(message: dict[str, Any]) -> bytes:
    """MIME for a message the emulator did not receive as MIME (drafts and sent mail)."""
    out = EmailMessage()
    out["Subject"] = message.get("subject") or ""
    for header, prop in (("From", "from"), ("To", "toRecipients"), ("Cc", "ccRecipients")):
        value = message.get(prop)
        people = value if isinstance(value, list) else ([value] if value else [])
        if people:
            out[header] = ", ".join(p["emailAddress"]["address"] for p in people)
    out["Message-ID"] = message["internetMessageId"]
    body = message.get("body") or {"contentType": "text", "content": ""}
    out.set_content(body["content"], subtype="html" if body["contentType"] == "html" else "plain")
    for att in message["_attachments"]:
        maintype, _, subtype = att["contentType"].partition("/")
        out.add_attachment(att["_raw"], maintype=maintype or "application", subtype=subtype or "octet-stream",
                           filename=att["name"])
    return out.as_bytes()
