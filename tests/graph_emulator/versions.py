"""List item version history: who changed an item, and (with $expand=fields) what it held at each version.

As documented for listItemVersion, fields is a relationship: it comes only when expanded. Newest first.
"""

from __future__ import annotations

from typing import Any

from .item_model import fields_expand, fields_json, find_item
from .lists import find_list
from .router import Ctx, route
from .wire import GraphError, Response, json_response


def _version(snapshot: dict[str, Any], expand: bool, select: list[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": f"{snapshot['version']}.0", "lastModifiedBy": snapshot["lastModifiedBy"],
                           "lastModifiedDateTime": snapshot["modified"]}
    if expand:
        out["fields"] = {k: v for k, v in fields_json(snapshot, select).items() if k != "@odata.etag"}
    return out


def list_versions(ctx: Ctx, site: str, lst: str, iid: str) -> Response:
    item = find_item(find_list(ctx.state.site(site), lst), iid)
    expand, select = fields_expand(ctx.query.get("$expand") or ctx.query.get("expand"))
    return json_response(200, {"value": [_version(s, expand, select) for s in reversed(item["history"])]})


def get_version(ctx: Ctx, site: str, lst: str, iid: str, vid: str) -> Response:
    item = find_item(find_list(ctx.state.site(site), lst), iid)
    expand, select = fields_expand(ctx.query.get("$expand") or ctx.query.get("expand"))
    for snapshot in item["history"]:
        if vid in (f"{snapshot['version']}.0", str(snapshot["version"])):
            return json_response(200, _version(snapshot, expand, select))
    raise GraphError(404, "itemNotFound", "The resource could not be found.")


ROUTES = [
    route("GET", "sites/{site}/lists/{lst}/items/{iid}/versions", list_versions),
    route("GET", "sites/{site}/lists/{lst}/items/{iid}/versions/{vid}", get_version),
]
