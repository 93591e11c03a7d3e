"""List item delta: initial enumeration, changes since a token, token=latest, deleted items with the deleted facet.

Tokens are positions in the list's change log; links use Graph's ?token= form.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from .item_model import fields_expand, item_json
from .lists import find_list
from .mail_delta import net_changes
from .router import Ctx, route
from .wire import Response, decode_token, encode_token, json_response, link, maxpagesize_applied, page_size


def delta(ctx: Ctx, site: str, lst: str) -> Response:
    found_site = ctx.state.site(site)
    found = find_list(found_site, lst)
    token = ctx.query.get("token")
    here = f"/v1.0/sites/{quote(found_site.id, safe='')}/lists/{found.id}/items/delta"
    context = f"{ctx.base}/$metadata#Collection(listItem)"
    if token == "latest":
        following = {"s": len(found.log), "o": 0, "x": ctx.query.get("$expand"), "top": ctx.query.get("$top")}
        return json_response(200, {"@odata.context": context, "value": [],
                                   "@odata.deltaLink": link(ctx.origin, here, {"token": encode_token(following)})})
    tok = decode_token(token) if token else {"s": 0, "o": 0, "x": ctx.query.get("$expand"),
                                               "top": ctx.query.get("$top")}
    if tok.get("e") is None:
        tok["e"] = len(found.log)
    _, select = fields_expand(tok.get("x"))
    entries: list[dict[str, Any]] = []
    for item_id, kind in net_changes(found.log, tok["s"], tok["e"]):
        item = found.items.get(item_id)
        if item is None or kind == "deleted":
            if tok["s"] > 0:
                entries.append({"id": str(item_id), "deleted": {"state": "deleted"}})
        else:
            entries.append(item_json(found_site, found, item, True, select))
    size = page_size({"$top": tok["top"]} if tok.get("top") else {}, ctx.headers, 200)
    page = entries[tok["o"]:tok["o"] + size]
    if tok["o"] + size < len(entries):
        key, following = "@odata.nextLink", {**tok, "o": tok["o"] + size}
    else:
        key, following = "@odata.deltaLink", {**tok, "s": tok["e"], "e": None, "o": 0}
    if ctx.repeat_page:
        following = tok  # the scripted fault: the link leads back to this very page
    following_link = link(ctx.origin, here, {"token": encode_token(following)})
    payload = {"@odata.context": context, "value": page, key: following_link}
    return json_response(200, payload, maxpagesize_applied(ctx.headers))


ROUTES = [route("GET", "sites/{site}/lists/{lst}/items/delta", delta)]
