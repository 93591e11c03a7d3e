"""The list item model: versions and eTags, who changed what (the app or a person), and the JSON Graph returns.

Every write bumps the item's version (after the comma in its eTag), logs it for delta and keeps a snapshot.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from .lists import check_fields
from .state import Site, SpList, State
from .wire import GraphError, iso, not_implemented, split_top

APP = {"application": {"id": "8a2f6c7e-0000-4000-8000-0000c5b7b0e7", "displayName": "cspr-bot"}}
APP_LOOKUP_ID = 1073741822


def identity(by: str | None) -> dict[str, Any]:
    """Who made a change: the app (no user, no email) or a person (user with email)."""
    if by is None:
        return dict(APP)
    name = " ".join(part.capitalize() for part in re.split(r"[._-]", by.partition("@")[0]))
    digest = hashlib.sha256(by.lower().encode()).hexdigest()
    user_id = f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-8{digest[17:20]}-{digest[20:32]}"
    return {"user": {"email": by, "id": user_id, "displayName": name}}


def etag(item: dict[str, Any]) -> str:
    return f'"{item["guid"]},{item["version"]}"'


def new_item(state: State, lst: SpList, fields: dict[str, Any], by: str | None) -> dict[str, Any]:
    check_fields(lst, fields)
    now, who, lookup = iso(state.clock()), identity(by), state.person(by) if by else APP_LOOKUP_ID
    item = {"id": lst.next_id, "guid": state.guid(), "version": 1, "created": now, "modified": now,
            "createdBy": who, "lastModifiedBy": who, "author": lookup, "editor": lookup, "fields": dict(fields)}
    lst.next_id += 1
    lst.items[item["id"]] = item
    lst.log.append((item["id"], "upsert"))
    _snapshot(item)
    return item


def _snapshot(item: dict[str, Any]) -> None:
    """Keep this version for GET .../versions (SharePoint keeps every version of a list item)."""
    copy = {**item, "fields": dict(item["fields"])}
    copy.pop("history", None)
    item.setdefault("history", []).append(copy)


def update_item(state: State, lst: SpList, item: dict[str, Any], changes: dict[str, Any], by: str | None) -> None:
    check_fields(lst, changes)
    item["fields"].update(changes)
    item.update(version=item["version"] + 1, modified=iso(state.clock()), lastModifiedBy=identity(by),
                editor=state.person(by) if by else APP_LOOKUP_ID)
    lst.log.append((item["id"], "upsert"))
    _snapshot(item)


def find_item(lst: SpList, item_id: str) -> dict[str, Any]:
    item = lst.items.get(int(item_id)) if str(item_id).isdigit() else None
    if item is None:
        raise GraphError(404, "itemNotFound", "The resource could not be found.")
    return item


def fields_json(item: dict[str, Any], select: list[str] | None = None) -> dict[str, Any]:
    """Graph's fieldValueSet: system fields included, empty values left out (as SharePoint does)."""
    title = item["fields"].get("Title")
    every = {"@odata.etag": etag(item), "id": str(item["id"]), "ContentType": "Item", **item["fields"],
             "Modified": item["modified"], "Created": item["created"], "AuthorLookupId": str(item["author"]),
             "EditorLookupId": str(item["editor"]), "_UIVersionString": f"{item['version']}.0",
             "Attachments": False, "Edit": "", "LinkTitleNoMenu": title, "LinkTitle": title,
             "ItemChildCount": "0", "FolderChildCount": "0", "_ComplianceFlags": "", "_ComplianceTag": ""}
    every = {key: value for key, value in every.items() if value is not None}
    if select is None:
        return every
    wanted = {name.lower() for name in select}
    return {key: value for key, value in every.items() if key == "@odata.etag" or key.lower() in wanted}


def item_json(site: Site, lst: SpList, item: dict[str, Any], fields: bool, select: list[str] | None = None):
    out = {"@odata.etag": etag(item), "createdDateTime": item["created"], "eTag": etag(item), "id": str(item["id"]),
           "lastModifiedDateTime": item["modified"], "webUrl": f"https://{site.hostname}/{site.path}/Lists/"
           f"{lst.name}/{item['id']}_.000", "createdBy": item["createdBy"], "lastModifiedBy": item["lastModifiedBy"],
           "parentReference": {"id": lst.id, "siteId": site.id}, "contentType": {"id": "0x01", "name": "Item"}}
    if fields:
        out["fields"] = fields_json(item, select)
    return out


def fields_expand(text: str | None) -> tuple[bool, list[str] | None]:
    """(expand fields?, their $select) from "$expand=fields" or "$expand=fields($select=A,B)"."""
    if not text:
        return False, None
    name, _, options = text.strip().partition("(")
    if name.strip().lower() != "fields" or len(split_top(text)) != 1:
        raise not_implemented(f"$expand={text} on list items")
    options = options.removesuffix(")").strip()
    if options and not options.lower().startswith("$select="):
        raise not_implemented(f"$expand option {options!r} on list items")
    return True, split_top(options[len("$select="):]) if options else None
