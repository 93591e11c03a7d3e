"""Document library routes: upload by path (plain or percent-encoded root:/...: form), upload sessions, children,
download, and ?format=pdf conversion to a fake but recognisable PDF.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
from typing import Any

from .router import Ctx, route
from .state import Drive, DriveItem, State
from .uploads import new_session, session_json
from .wire import GraphError, Response, iso, json_response, not_implemented, skip_page

PDF_SOURCES = {"doc", "docx", "dot", "dotx", "odt", "ott", "rtf", "odp", "ppt", "pptx", "pps", "ppsx", "ods",
               "xlsx", "xlsm", "htm", "html", "md", "eml", "msg"}


def _missing() -> GraphError:
    return GraphError(404, "itemNotFound", "The resource could not be found.")


def item_id(state: State) -> str:
    return "01" + base64.b32encode(hashlib.sha1(str(state.next_id()).encode()).digest()).decode()[:32]


def path_of(drive: Drive, item: DriveItem) -> str:
    names = []
    while item.parent_id is not None:
        names.append(item.name)
        item = drive.items[item.parent_id]
    return "/".join(reversed(names))


def children(drive: Drive, folder: DriveItem) -> list[DriveItem]:
    return sorted((i for i in drive.items.values() if i.parent_id == folder.id), key=lambda i: i.name.lower())


def _child(drive: Drive, folder: DriveItem, name: str) -> DriveItem | None:
    return next((i for i in children(drive, folder) if i.name.lower() == name.lower()), None)


def _start(drive: Drive, ref: str) -> tuple[DriveItem, list[str]]:
    """The item a reference starts from ("root" or an item id) and the path names below it."""
    base, colon, rest = ref.partition(":")
    start = drive.items[drive.root_id] if base.lower() == "root" else drive.items.get(base)
    if start is None:
        raise _missing()
    return start, [n for n in rest.strip(":").split("/") if n] if colon else []


def find(drive: Drive, ref: str) -> DriveItem:
    item, names = _start(drive, ref)
    for name in names:
        found = _child(drive, item, name) if item.is_folder else None
        if found is None:
            raise _missing()
        item = found
    return item


def store(state: State, drive: Drive, ref: str, data: bytes, conflict: str = "replace") -> tuple[DriveItem, bool]:
    """Write a file at a reference, creating missing folders; returns the item and whether it is new."""
    item, names = _start(drive, ref)
    now = iso(state.clock())
    if not names:
        if item.is_folder:
            raise GraphError(400, "invalidRequest", "Cannot upload content to a folder.")
        item.content, item.modified, item.version = data, now, item.version + 1
        return item, False
    for name in names[:-1]:
        folder = _child(drive, item, name)
        if folder is None:
            folder = DriveItem(item_id(state), name, item.id, True, now, now)
            drive.items[folder.id] = folder
        item = folder
    name, existing = names[-1], _child(drive, item, names[-1])
    if existing is not None and conflict == "fail":
        raise GraphError(409, "nameAlreadyExists", "The specified item name already exists.")
    if existing is not None and conflict == "replace":
        existing.content, existing.modified, existing.version = data, now, existing.version + 1
        return existing, False
    stem, dot, ext = name.rpartition(".")
    counter = 1
    while _child(drive, item, name) is not None:
        name = f"{stem or ext} {counter}{dot}{ext if stem else ''}"
        counter += 1
    created = DriveItem(item_id(state), name, item.id, False, now, now, data)
    drive.items[created.id] = created
    return created, True


def item_json(drive: Drive, item: DriveItem) -> dict[str, Any]:
    etag = f'"{{{item.id[-8:]}}},{item.version}"'
    out: dict[str, Any] = {
        "createdDateTime": item.created, "eTag": etag, "id": item.id, "lastModifiedDateTime": item.modified,
        "name": item.name if item.parent_id else "root", "webUrl": f"https://emulator.example/{path_of(drive, item)}",
        "cTag": etag.replace(",", ",c"), "size": len(item.content) if not item.is_folder else 0,
        "createdBy": {"application": {"displayName": "cspr-bot"}},
        "lastModifiedBy": {"application": {"displayName": "cspr-bot"}}}
    if item.parent_id is not None:
        parent = drive.items[item.parent_id]
        path = path_of(drive, parent)
        out["parentReference"] = {"driveType": "documentLibrary", "driveId": drive.id, "id": parent.id,
                                  "path": f"/drives/{drive.id}/root:" + (f"/{path}" if path else ""),
                                  "siteId": drive.site_id}
    if item.is_folder:
        out["folder"] = {"childCount": len(children(drive, item))}
    else:
        out["file"] = {"mimeType": mimetypes.guess_type(item.name)[0] or "application/octet-stream"}
    return out


def _drive(ctx: Ctx, where: dict[str, str]) -> Drive:
    return ctx.state.drive(where["drive"]) if "drive" in where else ctx.state.site(where["site"]).drive


def get_drive(ctx: Ctx, **where: str) -> Response:
    drive = _drive(ctx, where)
    return json_response(200, {"id": drive.id, "driveType": "documentLibrary", "name": "Documents",
                               "webUrl": "https://emulator.example/Shared%20Documents"})


def list_drives(ctx: Ctx, site: str) -> Response:
    drive = ctx.state.site(site).drive
    return json_response(200, {"value": [{"id": drive.id, "driveType": "documentLibrary", "name": "Documents"}]})


def get_item(ctx: Ctx, ref: str, **where: str) -> Response:
    drive = _drive(ctx, where)
    return json_response(200, item_json(drive, find(drive, ref)))


def get_children(ctx: Ctx, ref: str, **where: str) -> Response:
    drive = _drive(ctx, where)
    folder = find(drive, ref)
    if not folder.is_folder:
        raise GraphError(400, "invalidRequest", "The item is not a folder.")
    value = [item_json(drive, child) for child in children(drive, folder)]
    page, next_link = skip_page(value, ctx.query, ctx.headers, 200, ctx.origin, ctx.raw_path)
    return json_response(200, {"value": page, **({"@odata.nextLink": next_link} if next_link else {})})


def get_content(ctx: Ctx, ref: str, **where: str) -> Response:
    item = find(_drive(ctx, where), ref)
    if item.is_folder:  # as Graph answers (OneDrive/onedrive-api-docs#536)
        raise GraphError(404, "itemNotFound", "The specified item does not exist, or does not have content.")
    wanted = ctx.query.get("format") or ctx.query.get("$format")
    if wanted is None:
        kind = mimetypes.guess_type(item.name)[0] or "application/octet-stream"
        return Response(200, item.content, {"Content-Type": kind})
    if wanted.lower() != "pdf":
        raise not_implemented(f"conversion to {wanted}")
    if item.name.rpartition(".")[2].lower() not in PDF_SOURCES:
        raise GraphError(406, "notSupported", f"Conversion of '{item.name}' to pdf is not supported.")
    digest = hashlib.sha256(item.content).hexdigest()
    pdf = b"%PDF-1.4\n% converted by the Graph emulator\n" + f"% sha256 {digest}\n%%EOF\n".encode()
    return Response(200, pdf, {"Content-Type": "application/pdf"})


def _conflict(ctx: Ctx, item: dict[str, Any] | None = None) -> str:
    chosen = (item or {}).get("@microsoft.graph.conflictBehavior") or ctx.query.get("@microsoft.graph.conflictBehavior")
    if chosen not in (None, "replace", "rename", "fail"):
        raise GraphError(400, "invalidRequest", f"Unknown conflictBehavior '{chosen}'.")
    return chosen or "replace"


def put_content(ctx: Ctx, ref: str, **where: str) -> Response:
    drive = _drive(ctx, where)
    item, created = store(ctx.state, drive, ref, ctx.body, _conflict(ctx))
    return json_response(201 if created else 200, item_json(drive, item))


def create_session(ctx: Ctx, ref: str, **where: str) -> Response:
    drive, state = _drive(ctx, where), ctx.state
    item = ctx.json().get("item") or {}
    conflict = _conflict(ctx, item)
    _start(drive, ref)  # the parent must exist now; the file appears when its last byte arrives
    size = item.get("fileSize")  # optional in Graph; otherwise the first Content-Range tells the total

    def finish(data: bytes) -> Response:
        stored, created = store(state, drive, ref, data, conflict)
        return json_response(201 if created else 200, item_json(drive, stored))

    session = new_session(state, "drive", int(size) if size is not None else -1, finish)
    return json_response(200, session_json(ctx, session, True))


def delete_item(ctx: Ctx, ref: str, **where: str) -> Response:
    drive = _drive(ctx, where)
    item = find(drive, ref)
    if item.parent_id is None:
        raise GraphError(403, "accessDenied", "The root folder cannot be deleted.")
    doomed = [item.id]
    while doomed:
        current = doomed.pop()
        doomed += [child.id for child in children(drive, drive.items[current])]
        del drive.items[current]
    return Response(204)


ROUTES = [route("GET", "sites/{site}/drives", list_drives)]
for prefix in ("drives/{drive}", "sites/{site}/drive"):
    ROUTES += [
        route("GET", prefix, get_drive),
        route("GET", f"{prefix}/items/{{ref}}", get_item),
        route("DELETE", f"{prefix}/items/{{ref}}", delete_item),
        route("GET", f"{prefix}/items/{{ref}}/children", get_children),
        route("GET", f"{prefix}/items/{{ref}}/content", get_content),
        route("PUT", f"{prefix}/items/{{ref}}/content", put_content),
        route("POST", f"{prefix}/items/{{ref}}/createUploadSession", create_session),
    ]
