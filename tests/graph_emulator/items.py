"""List item routes: create, read with $expand=fields, $filter on fields, paging, PATCH with If-Match, delete.

Filtering on a column that is not indexed needs Prefer: HonorNonIndexedQueriesWarningMayFailRandomly, as in Graph.
"""

from __future__ import annotations

import base64
import operator
import re
from typing import Any
from urllib.parse import quote

from .item_model import etag, fields_expand, fields_json, find_item, item_json, new_item, update_item
from .lists import find_list
from .router import Ctx, route
from .state import SpList
from .wire import GraphError, Response, json_response, link, not_implemented, odata_string, page_size

HONOR = "HonorNonIndexedQueriesWarningMayFailRandomly"
_OPS = {"eq": operator.eq, "ne": operator.ne, "gt": operator.gt, "ge": operator.ge, "lt": operator.lt,
        "le": operator.le}
_CLAUSE = re.compile(r"fields/(\w+)\s+(eq|ne|gt|ge|lt|le)\s+('(?:[^']|'')*'|[^\s']+)", re.IGNORECASE)


def _literal(text: str) -> Any:
    if text.startswith("'"):
        return odata_string(text[1:-1])
    lowered = {"true": True, "false": False, "null": None}
    if text.lower() in lowered:
        return lowered[text.lower()]
    try:
        return float(text) if "." in text else int(text)
    except ValueError:
        raise not_implemented(f"the $filter literal {text}") from None


def _clauses(ctx: Ctx, lst: SpList) -> list[tuple[str, str, Any]]:
    text = ctx.query.get("$filter", "").strip()
    if not text:
        return []
    clauses = []
    by_name = {c["name"].lower(): c for c in lst.columns}
    for part in re.split(r"\s+and\s+(?=(?:[^']*'[^']*')*[^']*$)", text, flags=re.IGNORECASE):
        found = _CLAUSE.fullmatch(part.strip())
        if not found:
            raise not_implemented(f"$filter={text} on list items")
        name, op, literal = found.group(1), found.group(2).lower(), _literal(found.group(3))
        col = by_name.get(name.lower())
        if col is None and name.lower() != "id":
            raise GraphError(400, "invalidRequest", f"Field '{name}' is not recognized")
        if col is not None and not col["indexed"] and not ctx.prefers(HONOR):
            raise GraphError(400, "invalidRequest", f"Field '{name}' cannot be referenced in filter or orderby as "
                             f"it is not indexed. Provide the 'Prefer: {HONOR}' header to allow this, but be "
                             "warned that such queries may fail on large lists.")
        clauses.append((name, op, literal))
    return clauses


def _holds(item: dict[str, Any], clause: tuple[str, str, Any]) -> bool:
    name, op, literal = clause
    values = {key.lower(): value for key, value in fields_json(item).items()}
    value = values.get(name.lower())
    if isinstance(value, str) and isinstance(literal, str):
        value, literal = value.lower(), literal.lower()
    elif name.lower() == "id":
        value = int(value)
    if value is None or literal is None:
        return (value is None) == (literal is None) if op == "eq" else (op == "ne" and value != literal)
    try:
        return bool(_OPS[op](value, literal))
    except TypeError:
        return False


def list_items(ctx: Ctx, site: str, lst: str) -> Response:
    found_site = ctx.state.site(site)
    found = find_list(found_site, lst)
    expand, select = fields_expand(ctx.query.get("$expand"))
    if ctx.query.get("$orderby"):
        raise not_implemented(f"$orderby={ctx.query['$orderby']} on list items")
    clauses = _clauses(ctx, found)
    after = 0
    if ctx.query.get("$skiptoken"):
        token = ctx.query["$skiptoken"]
        after = int(base64.b64decode(token + "=" * (-len(token) % 4)).decode().rpartition("p_ID=")[2])
    chosen = [item for key, item in sorted(found.items.items())
              if key > after and all(_holds(item, clause) for clause in clauses)]
    size = page_size(ctx.query, ctx.headers, 200)
    page = chosen[:size]
    payload: dict[str, Any] = {"@odata.context": f"{ctx.base}/$metadata#sites('{quote(site, safe='')}')/lists"
                               f"('{found.id}')/items", "value": [item_json(found_site, found, item, expand, select)
                                                                   for item in page]}
    if len(chosen) > size:
        token = base64.b64encode(f"Paged=TRUE&p_ID={page[-1]['id']}".encode()).decode().rstrip("=")
        payload["@odata.nextLink"] = link(ctx.origin, ctx.raw_path, {**ctx.query, "$skiptoken": token})
    return json_response(200, payload)


def create_item(ctx: Ctx, site: str, lst: str) -> Response:
    found_site = ctx.state.site(site)
    found = find_list(found_site, lst)
    fields = ctx.json().get("fields")
    if not isinstance(fields, dict):
        raise GraphError(400, "invalidRequest", "The request body needs a fields object.")
    item = new_item(ctx.state, found, {k: v for k, v in fields.items() if not k.startswith("@")}, None)
    return json_response(201, item_json(found_site, found, item, True))


def get_item(ctx: Ctx, site: str, lst: str, iid: str) -> Response:
    found_site = ctx.state.site(site)
    found = find_list(found_site, lst)
    expand, select = fields_expand(ctx.query.get("$expand"))
    return json_response(200, item_json(found_site, found, find_item(found, iid), expand, select))


def get_fields(ctx: Ctx, site: str, lst: str, iid: str) -> Response:
    found = find_list(ctx.state.site(site), lst)
    return json_response(200, fields_json(find_item(found, iid)))


def _if_match(ctx: Ctx, item: dict[str, Any]) -> None:
    wanted = ctx.headers.get("if-match")
    if wanted is None or wanted.strip() == "*":
        return

    def bare(tag: str) -> str:
        return tag.strip().removeprefix("W/").strip('"')

    if bare(wanted) != bare(etag(item)):
        raise GraphError(412, "preconditionFailed", f"The request ETag value '{wanted}' does not match the "
                         f"object's ETag value '{etag(item)}'.")


def patch_fields(ctx: Ctx, site: str, lst: str, iid: str) -> Response:
    found = find_list(ctx.state.site(site), lst)
    item = find_item(found, iid)
    _if_match(ctx, item)
    update_item(ctx.state, found, item, {k: v for k, v in ctx.json().items() if not k.startswith("@")}, None)
    return json_response(200, fields_json(item))


def delete_item(ctx: Ctx, site: str, lst: str, iid: str) -> Response:
    found = find_list(ctx.state.site(site), lst)
    item = find_item(found, iid)
    _if_match(ctx, item)
    del found.items[item["id"]]
    found.log.append((item["id"], "deleted"))
    return Response(204)


ROUTES = [
    route("GET", "sites/{site}/lists/{lst}/items", list_items),
    route("POST", "sites/{site}/lists/{lst}/items", create_item),
    route("GET", "sites/{site}/lists/{lst}/items/{iid}", get_item),
    route("GET", "sites/{site}/lists/{lst}/items/{iid}/fields", get_fields),
    route("PATCH", "sites/{site}/lists/{lst}/items/{iid}/fields", patch_fields),
    route("DELETE", "sites/{site}/lists/{lst}/items/{iid}", delete_item),
]
