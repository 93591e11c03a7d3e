"""Mail delta on one folder: tokens are positions in the folder's change log, so rounds are exact and repeatable.

A round covers log[start:end]; each message appears once with its latest state, or as {"@removed"} if it left.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from . import messages as m
from .router import Ctx, route
from .state import Folder, Mailbox
from .wire import (
    Response,
    decode_token,
    encode_token,
    json_response,
    link,
    maxpagesize_applied,
    not_implemented,
    page_size,
    select_of,
)

_RECEIVED = re.compile(r"\s*receivedDateTime\s+(ge|gt)\s+(\S+)\s*", re.IGNORECASE)


def net_changes(log: list[tuple[Any, str]], start: int, end: int) -> list[tuple[Any, str]]:
    """The last change of each id in log[start:end], in the order of those last changes."""
    latest: dict[Any, tuple[int, str]] = {}
    for position in range(start, end):
        key, kind = log[position]
        latest[key] = (position, kind)
    return [(key, kind) for key, (_, kind) in sorted(latest.items(), key=lambda pair: pair[1][0])]


def _since(text: str | None) -> tuple[str, str] | None:
    if not text:
        return None
    found = _RECEIVED.fullmatch(text)
    if not found:
        raise not_implemented(f"$filter={text} on messages/delta")
    return found.group(1).lower(), found.group(2).strip("'")


def _keep(message: dict[str, Any], since: list[str] | None) -> bool:
    if not since:
        return True
    received = message["receivedDateTime"]
    return received >= since[1] if since[0] == "ge" else received > since[1]


def _entries(mailbox: Mailbox, folder: Folder, tok: dict[str, Any]) -> list[dict[str, Any]]:
    entries = []
    expand = m.parse_expand(tok.get("exp"))
    for mid, kind in net_changes(folder.log, tok["s"], tok["e"]):
        message = mailbox.messages.get(mid)
        gone = kind == "removed" or message is None or message["parentFolderId"] != folder.id
        if gone and tok["s"] == 0:
            continue  # an initial round lists what is there, not what left
        if gone:
            entries.append({"@odata.type": "#microsoft.graph.message", "id": mid, "@removed": {"reason": "deleted"}})
        elif message is not None and _keep(message, tok.get("f")):
            entries.append({"@odata.type": "#microsoft.graph.message", **m.render(message, tok.get("sel"), expand)})
    return entries


def delta(ctx: Ctx, mb: str, fid: str) -> Response:
    mailbox = ctx.state.mailbox(mb)
    folder = mailbox.folder(fid)
    token = ctx.query.get("$deltatoken") or ctx.query.get("$skiptoken")
    if token:
        tok = decode_token(token)
    else:
        tok = {"s": 0, "o": 0, "sel": select_of(ctx.query), "exp": ctx.query.get("$expand"),
               "f": _since(ctx.query.get("$filter")), "top": ctx.query.get("$top")}
    tok.setdefault("e", None)
    if tok["e"] is None:
        tok["e"] = len(folder.log)
    entries = _entries(mailbox, folder, tok)
    size = page_size({"$top": tok["top"]} if tok.get("top") else {}, ctx.headers, 10)
    page = entries[tok["o"]:tok["o"] + size]
    here = f"/v1.0/users/{quote(mailbox.address)}/mailFolders/{quote(folder.id, safe='')}/messages/delta"
    if tok["o"] + size < len(entries):
        key, following = "@odata.nextLink", {**tok, "o": tok["o"] + size}
        param = "$skiptoken"
    else:
        key, following = "@odata.deltaLink", {**tok, "s": tok["e"], "e": None, "o": 0}
        param = "$deltatoken"
    if ctx.repeat_page:
        following = tok  # the scripted fault: the link leads back to this very page
    payload = {"@odata.context": f"{ctx.base}/$metadata#Collection(message)", "value": page,
               key: link(ctx.origin, here, {param: encode_token(following)})}
    return json_response(200, payload, maxpagesize_applied(ctx.headers))


ROUTES = [route("GET", "users/{mb}/mailFolders/{fid}/messages/delta", delta)]
