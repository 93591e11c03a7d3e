"""Mail folder routes (find by displayName, create, get) and message listings with the extended-property filter.

The only $filter forms understood are the ones the adapter uses; anything else answers 501 so the gap shows.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from . import messages as m
from .router import Ctx, route
from .state import FOLDER_PREFIX, Folder, Mailbox, State
from .wire import GraphError, Response, exchange_id, json_response, not_implemented, odata_string, select_of, skip_page

_NAME_FILTER = re.compile(r"\s*displayName eq '((?:[^']|'')*)'\s*")
_PROP_FILTER = re.compile(r"\s*singleValueExtendedProperties/any\((\w+):\s*\1/id eq '((?:[^']|'')*)'"
                          r"\s+and\s+\1/value eq '((?:[^']|'')*)'\)\s*")
_ORDER = re.compile(r"\s*(receivedDateTime|sentDateTime|createdDateTime)(?:\s+(asc|desc))?\s*", re.IGNORECASE)


def folder_json(mailbox: Mailbox, folder: Folder) -> dict[str, Any]:
    inside = [msg for msg in mailbox.messages.values() if msg["parentFolderId"] == folder.id]
    return {"id": folder.id, "displayName": folder.display_name, "parentFolderId": folder.parent_id,
            "childFolderCount": sum(f.parent_id == folder.id for f in mailbox.folders.values()),
            "unreadItemCount": sum(not msg["isRead"] for msg in inside), "totalItemCount": len(inside),
            "sizeInBytes": sum(len(msg.get("_raw", b"")) for msg in inside), "isHidden": False}


def _page(ctx: Ctx, context: str, items: list[Any]) -> Response:
    page, next_link = skip_page(items, ctx.query, ctx.headers, 10, ctx.origin, ctx.raw_path)
    payload: dict[str, Any] = {"@odata.context": f"{ctx.base}/$metadata#{context}", "value": page}
    if next_link:
        payload["@odata.nextLink"] = next_link
    return json_response(200, payload)


def _folders(ctx: Ctx, mb: str, parent_id: str, mailbox: Mailbox) -> Response:
    wanted = None
    if ctx.query.get("$filter"):
        found = _NAME_FILTER.fullmatch(ctx.query["$filter"])
        if not found:
            raise not_implemented(f"$filter={ctx.query['$filter']} on mailFolders")
        wanted = odata_string(found.group(1)).lower()
    folders = [folder_json(mailbox, f) for f in mailbox.folders.values()
               if f.parent_id == parent_id and (wanted is None or f.display_name.lower() == wanted)]
    return _page(ctx, f"users('{quote(mb)}')/mailFolders", folders)


def list_folders(ctx: Ctx, mb: str) -> Response:
    mailbox = ctx.state.mailbox(mb)
    return _folders(ctx, mb, mailbox.root_id, mailbox)


def list_children(ctx: Ctx, mb: str, fid: str) -> Response:
    mailbox = ctx.state.mailbox(mb)
    return _folders(ctx, mb, mailbox.folder(fid).id, mailbox)


def get_folder(ctx: Ctx, mb: str, fid: str) -> Response:
    mailbox = ctx.state.mailbox(mb)
    body = folder_json(mailbox, mailbox.folder(fid))
    return json_response(200, {"@odata.context": f"{ctx.base}/$metadata#users('{quote(mb)}')/mailFolders/$entity",
                               **body})


def add_folder(state: State, mailbox: Mailbox, parent_id: str, name: str) -> Folder:
    if not name:
        raise GraphError(400, "ErrorInvalidRequest", "The displayName property is required.")
    if any(f.parent_id == parent_id and f.display_name.lower() == name.lower() for f in mailbox.folders.values()):
        raise GraphError(409, "ErrorFolderExists", "A folder with the specified name already exists.")
    folder = Folder(exchange_id(FOLDER_PREFIX, state.next_id()), name, parent_id)
    mailbox.folders[folder.id] = folder
    return folder


def create_folder(ctx: Ctx, mb: str) -> Response:
    mailbox = ctx.state.mailbox(mb)
    folder = add_folder(ctx.state, mailbox, mailbox.root_id, str(ctx.json().get("displayName") or ""))
    return json_response(201, folder_json(mailbox, folder))


def create_child(ctx: Ctx, mb: str, fid: str) -> Response:
    mailbox = ctx.state.mailbox(mb)
    folder = add_folder(ctx.state, mailbox, mailbox.folder(fid).id, str(ctx.json().get("displayName") or ""))
    return json_response(201, folder_json(mailbox, folder))


def _filtered(messages: list[dict[str, Any]], text: str | None) -> list[dict[str, Any]]:
    if not text:
        return messages
    found = _PROP_FILTER.fullmatch(text)
    if not found:
        raise not_implemented(f"$filter={text} on messages")
    pid, value = m.property_id(odata_string(found.group(2))).lower(), odata_string(found.group(3)).lower()
    return [msg for msg in messages
            if any(p["id"].lower() == pid and p["value"].lower() == value for p in msg["_props"])]


def _ordered(messages: list[dict[str, Any]], text: str | None) -> list[dict[str, Any]]:
    found = _ORDER.fullmatch(text or "receivedDateTime desc")
    if not found:
        raise not_implemented(f"$orderby={text} on messages")
    key = m.canonical(found.group(1))
    ranked = sorted(enumerate(messages), key=lambda pair: (pair[1].get(key) or "", pair[0]))
    ordered = [msg for _, msg in ranked]
    return ordered if (found.group(2) or "asc").lower() == "asc" else ordered[::-1]


def list_messages(ctx: Ctx, mb: str, fid: str | None = None) -> Response:
    mailbox = ctx.state.mailbox(mb)
    folder_id = mailbox.folder(fid).id if fid else None
    if "$search" in ctx.query:
        raise not_implemented("$search on messages")
    inside = [msg for msg in mailbox.messages.values() if folder_id in (None, msg["parentFolderId"])]
    chosen = _ordered(_filtered(inside, ctx.query.get("$filter")), ctx.query.get("$orderby"))
    select, expand = select_of(ctx.query), m.parse_expand(ctx.query.get("$expand"))
    text = ctx.prefers('outlook.body-content-type="text"')
    return _page(ctx, f"users('{quote(mb)}')/messages", [m.render(msg, select, expand, text_body=text)
                                                         for msg in chosen])


ROUTES = [
    route("GET", "users/{mb}/mailFolders", list_folders),
    route("POST", "users/{mb}/mailFolders", create_folder),
    route("GET", "users/{mb}/mailFolders/{fid}", get_folder),
    route("GET", "users/{mb}/mailFolders/{fid}/childFolders", list_children),
    route("POST", "users/{mb}/mailFolders/{fid}/childFolders", create_child),
    route("GET", "users/{mb}/mailFolders/{fid}/messages", list_messages),
    route("GET", "users/{mb}/messages", list_messages),
]
