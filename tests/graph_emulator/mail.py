"""Mail routes on single messages: drafts, get/patch/delete, move, send and sendMail.

Sending is instant here: /send moves the draft to Sent Items at once (real Exchange does it a little later).
"""

from __future__ import annotations

import base64
import binascii
import copy
import uuid
from typing import Any
from urllib.parse import quote

from . import messages as m
from .mime import conversation_id, preview, to_mime
from .router import Ctx, route
from .state import Mailbox, State
from .wire import GraphError, Response, iso, json_response, not_implemented, select_of

WRITABLE = {"subject", "body", "toRecipients", "ccRecipients", "bccRecipients", "replyTo", "importance",
            "categories", "internetMessageHeaders", "from", "sender", "isReadReceiptRequested",
            "isDeliveryReceiptRequested", "flag", "isRead", "inferenceClassification", "internetMessageId"}
AFTER_SEND = {"categories", "isRead", "flag", "importance", "inferenceClassification"}  # the rest only while isDraft


def _unknown(key: str) -> GraphError:
    return GraphError(400, "RequestBodyRead", f"The property '{key}' does not exist on type "
                      "'microsoft.graph.message'. Make sure to only use property names that are defined by the type.")


def read_attachment(payload: dict[str, Any]) -> dict[str, Any]:
    kind = payload.get("@odata.type", "")
    if kind.lstrip("#") != "microsoft.graph.fileAttachment":
        if not kind:
            raise GraphError(400, "RequestBodyRead", "The property 'contentBytes' does not exist on type "
                             "'microsoft.graph.attachment'. Set @odata.type to #microsoft.graph.fileAttachment.")
        raise not_implemented(f"attachments of type {kind}")
    try:
        data = base64.b64decode(payload.get("contentBytes") or "", validate=True)
    except binascii.Error as exc:
        raise GraphError(400, "RequestBodyRead", "contentBytes is not valid base64.") from exc
    return {"@odata.type": "#microsoft.graph.fileAttachment", "name": payload.get("name") or "Untitled attachment",
            "contentType": payload.get("contentType") or "application/octet-stream", "size": len(data),
            "isInline": bool(payload.get("isInline")), "contentId": payload.get("contentId"),
            "contentLocation": None, "_raw": data}


def read_message(payload: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, str]]]:
    """Writable properties, inline attachments and extended properties of a message body, as Graph validates them."""
    props: dict[str, Any] = {}
    attachments: list[dict[str, Any]] = []
    extended: list[dict[str, str]] = []
    for key, value in payload.items():
        if key.startswith("@odata"):
            continue
        name = m.known(key)
        if name == "attachments":
            attachments = [read_attachment(a) for a in value or []]
        elif name == "singleValueExtendedProperties":
            extended = [{"id": m.property_id(p["id"]), "value": str(p.get("value"))} for p in value or []]
        elif name == "multiValueExtendedProperties":
            raise not_implemented("multiValueExtendedProperties")
        elif name in WRITABLE:
            props[name] = value
        else:
            raise _unknown(key)
    for header in props.get("internetMessageHeaders") or []:
        if not header.get("name", "").lower().startswith("x-"):
            raise GraphError(400, "InvalidInternetMessageHeader", f"The internet message header name "
                             f"'{header.get('name')}' should start with 'x-' or 'X-'.")
    if isinstance(props.get("body"), dict):
        props["body"] = {"contentType": str(props["body"].get("contentType") or "text").lower(),
                         "content": props["body"].get("content") or ""}
        props["bodyPreview"] = preview(props["body"])
    return props, attachments, extended


def _entity(ctx: Ctx, mb: str, message: dict[str, Any], status: int = 200) -> Response:
    select, expand = select_of(ctx.query), m.parse_expand(ctx.query.get("$expand"))
    body = m.render(message, select, expand, text_body=ctx.prefers('outlook.body-content-type="text"'))
    return json_response(status, {"@odata.context": f"{ctx.base}/$metadata#users('{quote(mb)}')/messages/$entity",
                                  **body})


def create_draft(ctx: Ctx, mb: str) -> Response:
    mailbox = ctx.state.mailbox(mb)
    message = draft(ctx.state, mailbox, ctx.json())
    return _entity(ctx, mb, message, 201)


def draft(state: State, mailbox: Mailbox, payload: dict[str, Any]) -> dict[str, Any]:
    props, attachments, extended = read_message(payload)
    domain = mailbox.address.partition("@")[2] or "emulator.example"
    internet_id = props.pop("internetMessageId", None) or f"<{uuid.uuid4().hex.upper()}@{domain}>"
    props.update(isDraft=True, isRead=True, internetMessageId=internet_id, _props=extended,
                 conversationId=conversation_id(None, None, internet_id))
    message = m.new_message(state, mailbox, mailbox.folder("drafts"), props)
    for attachment in attachments:
        m.new_attachment(state, message, attachment)
    return message


def get_message(ctx: Ctx, mb: str, mid: str) -> Response:
    return _entity(ctx, mb, ctx.state.mailbox(mb).message(mid))


def get_mime(ctx: Ctx, mb: str, mid: str) -> Response:
    message = ctx.state.mailbox(mb).message(mid)
    return Response(200, message.get("_raw") or to_mime(message), {"Content-Type": "message/rfc822"})


def patch_message(ctx: Ctx, mb: str, mid: str) -> Response:
    message = ctx.state.mailbox(mb).message(mid)
    props, attachments, extended = read_message(ctx.json())
    if attachments:
        raise GraphError(400, "ErrorInvalidRequest", "Attachments cannot be changed with PATCH; use .../attachments.")
    if not message["isDraft"] and set(props) - AFTER_SEND - {"bodyPreview"}:
        raise GraphError(400, "ErrorInvalidPropertyUpdateSentMessage",
                         "Cannot update one or more properties of a sent message.")
    message.update(props)
    known = {p["id"].lower(): p for p in message["_props"]}
    for prop in extended:
        known[prop["id"].lower()] = prop
    message["_props"] = list(known.values())
    # a move into its own folder only stamps a new changeKey and logs an update for delta
    m.move(ctx.state.mailbox(mb), message, ctx.state.mailbox(mb).folders[message["parentFolderId"]], ctx.state)
    return _entity(ctx, mb, message)


def delete_message(ctx: Ctx, mb: str, mid: str) -> Response:
    mailbox = ctx.state.mailbox(mb)
    message = mailbox.message(mid)
    bin_folder = mailbox.folder("deleteditems")
    if message["parentFolderId"] == bin_folder.id:
        bin_folder.log.append((mid, "removed"))
        del mailbox.messages[mid]
    else:
        m.move(mailbox, message, bin_folder, ctx.state)
    return Response(204)


def move_message(ctx: Ctx, mb: str, mid: str) -> Response:
    mailbox = ctx.state.mailbox(mb)
    message = mailbox.message(mid)
    payload = {k.lower(): v for k, v in ctx.json().items()}
    if not payload.get("destinationid"):
        raise GraphError(400, "ErrorInvalidRequest", "The DestinationId parameter is required.")
    m.move(mailbox, message, mailbox.folder(payload["destinationid"]), ctx.state)
    return _entity(ctx, mb, message, 201)


def transmit(state: State, mailbox: Mailbox, message: dict[str, Any], save: bool = True) -> None:
    """The message leaves the mailbox: recorded as transmitted, then kept in Sent Items (or dropped)."""
    if not (message["toRecipients"] or message["ccRecipients"] or message["bccRecipients"]):
        raise GraphError(400, "ErrorInvalidRecipients", "At least one recipient is required, but none were found.")
    me = {"emailAddress": {"name": mailbox.display_name, "address": mailbox.address}}
    message.update(isDraft=False, sentDateTime=iso(state.clock()), receivedDateTime=iso(state.clock()))
    message["from"] = message.get("from") or me
    message["sender"] = message.get("sender") or message["from"]
    state.transmitted.append(m.full(message))
    if save:
        m.move(mailbox, message, mailbox.folder("sentitems"), state)
    else:
        mailbox.folders[message["parentFolderId"]].log.append((message["id"], "removed"))
        del mailbox.messages[message["id"]]


def send_draft(ctx: Ctx, mb: str, mid: str) -> Response:
    mailbox = ctx.state.mailbox(mb)
    message = mailbox.message(mid)
    if not message["isDraft"]:
        raise GraphError(400, "ErrorInvalidRequest", "The item has already been sent; only drafts can be sent.")
    transmit(ctx.state, mailbox, message)
    return Response(202)


def send_mail(ctx: Ctx, mb: str) -> Response:
    mailbox = ctx.state.mailbox(mb)
    payload = {k.lower(): v for k, v in ctx.json().items()}
    if not isinstance(payload.get("message"), dict):
        raise GraphError(400, "ErrorInvalidRequest", "The Message parameter is required.")
    save = payload.get("savetosentitems", True) not in (False, "false", "False")
    message = draft(ctx.state, mailbox, copy.deepcopy(payload["message"]))
    try:
        transmit(ctx.state, mailbox, message, save)
    except GraphError:
        mailbox.folders[message["parentFolderId"]].log.append((message["id"], "removed"))
        del mailbox.messages[message["id"]]
        raise
    return Response(202)


ROUTES = [
    route("POST", "users/{mb}/messages", create_draft),
    route("GET", "users/{mb}/messages/{mid}", get_message),
    route("GET", "users/{mb}/messages/{mid}/$value", get_mime),
    route("PATCH", "users/{mb}/messages/{mid}", patch_message),
    route("DELETE", "users/{mb}/messages/{mid}", delete_message),
    route("POST", "users/{mb}/messages/{mid}/move", move_message),
    route("POST", "users/{mb}/messages/{mid}/send", send_draft),
    route("POST", "users/{mb}/sendMail", send_mail),
]
