"""The message resource: how one is stored, moved and rendered ($select, $expand, extended properties).

Ids never change (the emulator behaves as if every request sent Prefer: IdType="ImmutableId").
"""

from __future__ import annotations

import base64
import copy
import re
from typing import Any

from .mime import html_to_text
from .state import Folder, Mailbox, State
from .wire import GraphError, exchange_id, iso, not_implemented, odata_string, split_top

MESSAGE_PREFIX = "AAMkAGVmMDEzMTM4AAAAAAEMAA"
ATTACHMENT_PREFIX = "AAMkAGVmMDEzMTM4AAABEgAQAA"
PROPS = [
    "id", "createdDateTime", "lastModifiedDateTime", "changeKey", "categories", "receivedDateTime", "sentDateTime",
    "hasAttachments", "internetMessageId", "subject", "bodyPreview", "importance", "parentFolderId",
    "conversationId", "conversationIndex", "isDeliveryReceiptRequested", "isReadReceiptRequested", "isRead",
    "isDraft", "webLink", "inferenceClassification", "body", "sender", "from", "toRecipients", "ccRecipients",
    "bccRecipients", "replyTo", "flag", "internetMessageHeaders", "uniqueBody",
]
ONLY_WHEN_SELECTED = {"internetMessageHeaders", "uniqueBody"}
NAVIGATION = {"attachments", "singleValueExtendedProperties", "multiValueExtendedProperties", "extensions"}
_CANON = {name.lower(): name for name in [*PROPS, *NAVIGATION]}
_GUID = re.compile(r"\{[0-9A-Fa-f-]{36}\}")


def known(name: str) -> str | None:
    return _CANON.get(name.lower())


def canonical(name: str, kind: str = "microsoft.graph.message") -> str:
    try:
        return _CANON[name.lower()]
    except KeyError:
        raise GraphError(400, "RequestBroker--ParseUri",
                         f"Could not find a property named '{name}' on type '{kind}'.") from None


def property_id(pid: str) -> str:
    """Exchange hands extended property ids back with the GUID in lower case."""
    return _GUID.sub(lambda m: m.group(0).lower(), pid.strip())


def touch(message: dict[str, Any], state: State) -> None:
    version = message.get("_version", 0) + 1
    change_key = "CQAAABYAAAD" + base64.b64encode(version.to_bytes(4, "big")).decode()
    message.update(_version=version, changeKey=change_key, lastModifiedDateTime=iso(state.clock()))
    message["@odata.etag"] = f'W/"{change_key}"'


def new_message(state: State, mailbox: Mailbox, folder: Folder, props: dict[str, Any]) -> dict[str, Any]:
    now = iso(state.clock())
    mid = exchange_id(MESSAGE_PREFIX, state.next_id())
    message: dict[str, Any] = {
        "id": mid, "createdDateTime": now, "receivedDateTime": now, "sentDateTime": None, "categories": [],
        "hasAttachments": False, "subject": "", "bodyPreview": "", "importance": "normal",
        "parentFolderId": folder.id, "conversationIndex": base64.b64encode(mid.encode()[-16:]).decode(),
        "isDeliveryReceiptRequested": False, "isReadReceiptRequested": False, "isRead": False, "isDraft": False,
        "webLink": f"https://outlook.office365.com/owa/?ItemID={mid}&exvsurl=1&viewmodel=ReadMessageItem",
        "inferenceClassification": "focused", "body": {"contentType": "text", "content": ""}, "sender": None,
        "from": None, "toRecipients": [], "ccRecipients": [], "bccRecipients": [], "replyTo": [],
        "flag": {"flagStatus": "notFlagged"}, "internetMessageHeaders": [], "_attachments": [], "_props": [],
    }
    message.update(props)
    message.setdefault("uniqueBody", message["body"])
    touch(message, state)
    mailbox.messages[mid] = message
    folder.log.append((mid, "upsert"))
    return message


def new_attachment(state: State, message: dict[str, Any], attachment: dict[str, Any]) -> dict[str, Any]:
    stored = {"id": exchange_id(ATTACHMENT_PREFIX, state.next_id()), "lastModifiedDateTime": iso(state.clock()),
              **attachment}
    message["_attachments"].append(stored)
    message["hasAttachments"] = any(not att.get("isInline") for att in message["_attachments"])
    return stored


def move(mailbox: Mailbox, message: dict[str, Any], destination: Folder, state: State) -> None:
    source = mailbox.folders[message["parentFolderId"]]
    if source.id != destination.id:
        source.log.append((message["id"], "removed"))
        message["parentFolderId"] = destination.id
    touch(message, state)
    destination.log.append((message["id"], "upsert"))


def render_attachment(att: dict[str, Any], select: list[str] | None = None) -> dict[str, Any]:
    out = {"@odata.type": att["@odata.type"], "@odata.mediaContentType": att["contentType"]}
    for key, value in att.items():
        if key.startswith(("_", "@")):
            continue
        if select is None or key == "id" or key.lower() in {s.lower() for s in select}:
            out[key] = copy.deepcopy(value)
    if att["@odata.type"].endswith("fileAttachment") and (select is None or "contentbytes" in
                                                           {s.lower() for s in select}):
        out["contentBytes"] = base64.b64encode(att["_raw"]).decode()
    return out


def parse_expand(text: str | None) -> dict[str, str | None]:
    """{"attachments": None, "singleValueExtendedProperties": "<property id>" or None}."""
    wanted: dict[str, str | None] = {}
    for part in split_top(text or ""):
        name, _, options = part.partition("(")
        name = canonical(name.strip())
        options = options.removesuffix(")").strip()
        if name == "singleValueExtendedProperties" and options:
            found = re.fullmatch(r"\$filter=id eq '((?:[^']|'')*)'", options)
            if not found:
                raise not_implemented(f"$expand option {options!r}")
            wanted[name] = property_id(odata_string(found.group(1)))
        elif name in ("attachments", "singleValueExtendedProperties") and not options:
            wanted[name] = None
        else:
            raise not_implemented(f"$expand={part}")
    return wanted


def render(message: dict[str, Any], select: list[str] | None = None, expand: dict[str, str | None] | None = None,
           *, text_body: bool = False) -> dict[str, Any]:
    """A message as Graph returns it: @odata.etag and id always; internetMessageHeaders only when selected."""
    names = ["id", *(canonical(s) for s in select)] if select else [p for p in PROPS if p not in ONLY_WHEN_SELECTED]
    out: dict[str, Any] = {"@odata.etag": message["@odata.etag"]}
    for name in dict.fromkeys(names):
        if name not in NAVIGATION:
            out[name] = copy.deepcopy(message.get(name))
    if text_body:
        for key in ("body", "uniqueBody"):
            if out.get(key) and out[key]["contentType"] == "html":
                out[key] = {"contentType": "text", "content": html_to_text(out[key]["content"])}
    expand = expand or {}
    if "attachments" in expand:
        out["attachments"] = [render_attachment(att) for att in message["_attachments"]]
    if "singleValueExtendedProperties" in expand:
        pid = expand["singleValueExtendedProperties"]
        props = [dict(p) for p in message["_props"] if pid is None or p["id"].lower() == pid.lower()]
        if props:
            out["singleValueExtendedProperties"] = props
    return out


def full(message: dict[str, Any]) -> dict[str, Any]:
    """Every property, extended properties and attachments (with bytes): for test assertions."""
    out = render(message, [p for p in PROPS if p != "id"], {"attachments": None,
                                                              "singleValueExtendedProperties": None})
    out.setdefault("singleValueExtendedProperties", [])
    return out
