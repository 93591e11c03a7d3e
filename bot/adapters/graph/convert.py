"""Graph's message model <-> the port's plain types, so nothing of the SDK's object model leaks past
the adapter. The sender is the From address only; display names are dropped."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.mail.mime import html_to_text
from bot.ports import Attachment, AttachmentInfo, InboundMessage, OutboundMessage


def _address(recipient: Any) -> str:
    email = getattr(recipient, "email_address", None)
    return str(getattr(email, "address", "") or "").lower()


def inbound_message(m: Any, attachments: Sequence[Any]) -> InboundMessage:
    headers = tuple((str(h.name), str(h.value)) for h in (m.internet_message_headers or []) if h.name)
    found = {k.lower(): v for k, v in headers}
    body = m.body
    text = str(getattr(body, "content", "") or "")
    if body is not None and str(getattr(body.content_type, "value", body.content_type)).lower() == "html":
        text = html_to_text(text)
    received = m.received_date_time or datetime.fromtimestamp(0, UTC)
    return InboundMessage(
        id=str(m.id), internet_message_id=str(m.internet_message_id or "").strip(),
        subject=" ".join(str(m.subject or "").split()), sender=_address(m.from_),
        received=received if received.tzinfo else received.replace(tzinfo=UTC), body_text=text, headers=headers,
        attachments=tuple(AttachmentInfo(str(a.id), str(a.name or f"attachment-{n}"),
                                         str(a.content_type or "application/octet-stream"), int(a.size or 0))
                          for n, a in enumerate(attachments) if not getattr(a, "is_inline", False)),
        in_reply_to=found.get("in-reply-to", "").strip(), references=tuple(found.get("references", "").split()),
    )


def outbound_message(message: OutboundMessage, key: str, key_property: str,
                     attachments: Sequence[Attachment]) -> Any:
    from msgraph.generated.models.body_type import BodyType
    from msgraph.generated.models.email_address import EmailAddress
    from msgraph.generated.models.file_attachment import FileAttachment
    from msgraph.generated.models.internet_message_header import InternetMessageHeader
    from msgraph.generated.models.item_body import ItemBody
    from msgraph.generated.models.message import Message
    from msgraph.generated.models.recipient import Recipient
    from msgraph.generated.models.single_value_legacy_extended_property import SingleValueLegacyExtendedProperty

    def people(addresses: Sequence[str]) -> list[Any]:
        return [Recipient(email_address=EmailAddress(address=a)) for a in addresses]

    body = (ItemBody(content_type=BodyType.Html, content=message.html) if message.html
            else ItemBody(content_type=BodyType.Text, content=message.text))
    # Graph accepts only x- headers here; replies correlate by the token and our Message-ID instead
    headers = [InternetMessageHeader(name="X-CSPR-Outbox-Key", value=key)]
    return Message(
        subject=message.subject, body=body, to_recipients=people(message.to), cc_recipients=people(message.cc),
        internet_message_id=message.message_id, internet_message_headers=headers,
        single_value_extended_properties=[SingleValueLegacyExtendedProperty(id=key_property, value=key)],
        attachments=[FileAttachment(odata_type="#microsoft.graph.fileAttachment", name=a.name,
                                    content_type=a.content_type, content_bytes=a.data) for a in attachments],
    )
