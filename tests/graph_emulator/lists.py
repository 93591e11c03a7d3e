"""SharePoint sites, lists and columns, and the field rules Graph enforces on writes.

Unknown or read-only field names are refused as SharePoint refuses them, so adapter typos surface in tests.
"""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import quote

from .router import Ctx, route
from .state import Site, SpList, State
from .wire import GraphError, Response, iso, json_response, not_implemented, odata_string

COLUMN_TYPES = ("text", "choice", "number", "dateTime", "boolean", "personOrGroup", "lookup", "currency",
                "hyperlinkOrPicture", "calculated")
BUILTIN = [("Title", "Title", "text", False), ("ContentType", "Content Type", "text", True),
           ("Modified", "Modified", "dateTime", True), ("Created", "Created", "dateTime", True),
           ("Author", "Created By", "personOrGroup", True), ("Editor", "Modified By", "personOrGroup", True),
           ("_UIVersionString", "Version", "text", True), ("Attachments", "Attachments", "boolean", True)]


def column(state: State, spec: dict[str, Any] | str, read_only: bool = False) -> dict[str, Any]:
    """A columnDefinition as Graph returns it, from a name or a (partial) columnDefinition body."""
    spec = {"name": spec} if isinstance(spec, str) else copy.deepcopy(spec)
    if not spec.get("name"):
        raise GraphError(400, "invalidRequest", "A column needs a name.")
    out = {"columnGroup": "Custom Columns", "description": "", "displayName": spec.get("displayName") or spec["name"],
           "enforceUniqueValues": False, "hidden": False, "id": state.guid(), "indexed": False,
           "name": spec["name"], "readOnly": read_only, "required": False}
    out.update({k: v for k, v in spec.items() if not k.startswith("@")})
    if not any(kind in out for kind in COLUMN_TYPES):
        out["text"] = {"allowMultipleLines": False, "maxLength": 255}
    return out


def new_list(state: State, site: Site, display_name: str, columns: list[Any]) -> SpList:
    if any(existing.display_name.lower() == display_name.lower() for existing in site.lists.values()):
        raise GraphError(409, "nameAlreadyExists", "A list, survey, discussion board, or document library with the "
                         "specified title already exists in this Web site.")
    lst = SpList(state.guid(), display_name.replace(" ", ""), display_name, iso(state.clock()))
    for name, title, kind, read_only in BUILTIN:
        made = column(state, {"name": name, "displayName": title, kind: {}}, read_only)
        lst.columns.append({**made, "columnGroup": "Custom Columns" if name == "Title" else "_Hidden"})
    for spec in columns:
        add_column(state, lst, spec)
    site.lists[lst.id] = lst
    return lst


def add_column(state: State, lst: SpList, spec: dict[str, Any] | str) -> dict[str, Any]:
    made = column(state, spec)
    if any(c["name"].lower() == made["name"].lower() for c in lst.columns):
        raise GraphError(409, "nameAlreadyExists", f"A duplicate field name \"{made['name']}\" was found.")
    lst.columns.append(made)
    return made


def find_list(site: Site, ref: str) -> SpList:
    """A list by id or by title, as Graph accepts either in {list-id}."""
    for lst in site.lists.values():
        if ref in (lst.id, lst.name) or ref.lower() == lst.display_name.lower():
            return lst
    raise GraphError(404, "itemNotFound", "The specified list was not found")


def check_fields(lst: SpList, fields: dict[str, Any]) -> None:
    by_name = {c["name"].lower(): c for c in lst.columns}
    for name in fields:
        col = by_name.get(name.lower())
        if col is None and name.lower().endswith("lookupid"):
            base = by_name.get(name[: -len("LookupId")].lower())
            col = base if base and ("personOrGroup" in base or "lookup" in base) and not base["readOnly"] else None
        if col is None:
            raise GraphError(400, "invalidRequest", f"Field '{name}' is not recognized")
        if col["readOnly"]:
            raise GraphError(400, "invalidRequest", f"Field '{name}' is read-only")


def site_json(site: Site) -> dict[str, Any]:
    return {"createdDateTime": site.created, "description": "", "id": site.id, "lastModifiedDateTime": site.created,
            "name": site.path.rsplit("/", 1)[-1], "webUrl": f"https://{site.hostname}/{site.path}",
            "displayName": site.display_name, "siteCollection": {"hostname": site.hostname}}


def list_json(site: Site, lst: SpList, with_columns: bool = False) -> dict[str, Any]:
    etag = f'"{lst.id},{len(lst.columns)}"'
    out: dict[str, Any] = {
        "@odata.etag": etag, "createdDateTime": lst.created, "description": "", "eTag": etag, "id": lst.id,
        "lastModifiedDateTime": lst.created, "name": lst.name, "displayName": lst.display_name,
        "webUrl": f"https://{site.hostname}/{site.path}/Lists/{lst.name}",
        "createdBy": {"application": {"displayName": "cspr-bot"}}, "parentReference": {"siteId": site.id},
        "list": {"contentTypesEnabled": False, "hidden": False, "template": "genericList"}}
    if with_columns:
        out["columns"] = copy.deepcopy(lst.columns)
    return out


def get_site(ctx: Ctx, site: str) -> Response:
    return json_response(200, {"@odata.context": f"{ctx.base}/$metadata#sites/$entity",
                               **site_json(ctx.state.site(site))})


def get_lists(ctx: Ctx, site: str) -> Response:
    found = ctx.state.site(site)
    wanted = None
    if ctx.query.get("$filter"):
        text = ctx.query["$filter"].strip()
        if not (text.startswith("displayName eq '") and text.endswith("'")):
            raise not_implemented(f"$filter={text} on lists")
        wanted = odata_string(text[len("displayName eq '"):-1]).lower()
    value = [list_json(found, lst) for lst in found.lists.values()
             if wanted is None or lst.display_name.lower() == wanted]
    return json_response(200, {"@odata.context": f"{ctx.base}/$metadata#sites('{quote(site, safe='')}')/lists",
                               "value": value})


def get_list(ctx: Ctx, site: str, lst: str) -> Response:
    found = ctx.state.site(site)
    with_columns = "columns" in (ctx.query.get("$expand") or "")
    return json_response(200, list_json(found, find_list(found, lst), with_columns))


def create_list(ctx: Ctx, site: str) -> Response:
    found, payload = ctx.state.site(site), ctx.json()
    template = (payload.get("list") or {}).get("template", "genericList")
    if template != "genericList":
        raise not_implemented(f"lists with template {template}")
    if not payload.get("displayName"):
        raise GraphError(400, "invalidRequest", "displayName is required.")
    lst = new_list(ctx.state, found, payload["displayName"], payload.get("columns") or [])
    return json_response(201, list_json(found, lst, with_columns=True))


def get_columns(ctx: Ctx, site: str, lst: str) -> Response:
    found = find_list(ctx.state.site(site), lst)
    return json_response(200, {"value": copy.deepcopy(found.columns)})


def post_column(ctx: Ctx, site: str, lst: str) -> Response:
    found = find_list(ctx.state.site(site), lst)
    return json_response(201, copy.deepcopy(add_column(ctx.state, found, ctx.json())))


def patch_column(ctx: Ctx, site: str, lst: str, cid: str) -> Response:
    found = find_list(ctx.state.site(site), lst)
    for col in found.columns:
        if cid in (col["id"], col["name"]):
            col.update({k: v for k, v in ctx.json().items() if k not in ("id", "name") and not k.startswith("@")})
            return json_response(200, copy.deepcopy(col))
    raise GraphError(404, "itemNotFound", "The specified column was not found")


ROUTES = [
    route("GET", "sites/{site}", get_site),
    route("GET", "sites/{site}/lists", get_lists),
    route("POST", "sites/{site}/lists", create_list),
    route("GET", "sites/{site}/lists/{lst}", get_list),
    route("GET", "sites/{site}/lists/{lst}/columns", get_columns),
    route("POST", "sites/{site}/lists/{lst}/columns", post_column),
    route("PATCH", "sites/{site}/lists/{lst}/columns/{cid}", patch_column),
]
