"""Mail attachment routes: list (bytes only when not excluded by $select), get, $value, add, delete, upload session."""

from __future__ import annotations

from urllib.parse import quote

from . import messages as m
from .mail import read_attachment
from .router import Ctx, route
from .uploads import new_session, session_json
from .wire import GraphError, Response, json_response, select_of


def _attachment(ctx: Ctx, mb: str, mid: str, aid: str) -> dict:
    for att in ctx.state.mailbox(mb).message(mid)["_attachments"]:
        if att["id"] == aid:
            return att
    raise GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")


def _context(ctx: Ctx, mb: str, mid: str) -> str:
    return f"{ctx.base}/$metadata#users('{quote(mb)}')/messages('{quote(mid, safe='')}')/attachments"


def list_attachments(ctx: Ctx, mb: str, mid: str) -> Response:
    message = ctx.state.mailbox(mb).message(mid)
    select = select_of(ctx.query)
    value = [m.render_attachment(att, select) for att in message["_attachments"]]
    return json_response(200, {"@odata.context": _context(ctx, mb, mid), "value": value})


def get_attachment(ctx: Ctx, mb: str, mid: str, aid: str) -> Response:
    body = m.render_attachment(_attachment(ctx, mb, mid, aid), select_of(ctx.query))
    return json_response(200, {"@odata.context": _context(ctx, mb, mid) + "/$entity", **body})


def get_raw(ctx: Ctx, mb: str, mid: str, aid: str) -> Response:
    att = _attachment(ctx, mb, mid, aid)
    return Response(200, att["_raw"], {"Content-Type": att["contentType"]})


def add_attachment(ctx: Ctx, mb: str, mid: str) -> Response:
    message = ctx.state.mailbox(mb).message(mid)
    stored = m.new_attachment(ctx.state, message, read_attachment(ctx.json()))
    m.touch(message, ctx.state)
    return json_response(201, {"@odata.context": _context(ctx, mb, mid) + "/$entity", **m.render_attachment(stored)})


def delete_attachment(ctx: Ctx, mb: str, mid: str, aid: str) -> Response:
    message = ctx.state.mailbox(mb).message(mid)
    message["_attachments"].remove(_attachment(ctx, mb, mid, aid))
    message["hasAttachments"] = any(not att.get("isInline") for att in message["_attachments"])
    return Response(204)


def create_upload_session(ctx: Ctx, mb: str, mid: str) -> Response:
    state, message = ctx.state, ctx.state.mailbox(mb).message(mid)
    payload = {k.lower(): v for k, v in ctx.json().items()}  # the SDK sends "AttachmentItem"
    item = {k.lower(): v for k, v in (payload.get("attachmentitem") or {}).items()}
    if str(item.get("attachmenttype", "file")).lower() != "file":
        raise GraphError(400, "ErrorInvalidRequest", "Only file attachments can be uploaded in a session.")
    if not item.get("name") or not str(item.get("size", "")).isdigit():
        raise GraphError(400, "ErrorInvalidRequest", "AttachmentItem needs a name and a size.")

    def finish(data: bytes) -> Response:
        stored = m.new_attachment(state, message, {
            "@odata.type": "#microsoft.graph.fileAttachment", "name": item["name"],
            "contentType": item.get("contenttype") or "application/octet-stream", "size": len(data),
            "isInline": bool(item.get("isinline")), "contentId": item.get("contentid"), "contentLocation": None,
            "_raw": data})
        m.touch(message, state)
        where = f"{ctx.origin}/api/v2.0/Users('{mb}')/Messages('{mid}')/Attachments('{stored['id']}')"
        return Response(201, b"", {"Location": where})

    session = new_session(state, "mail", int(item["size"]), finish)
    return json_response(201, session_json(ctx, session, True))


ROUTES = [
    route("GET", "users/{mb}/messages/{mid}/attachments", list_attachments),
    route("POST", "users/{mb}/messages/{mid}/attachments/createUploadSession", create_upload_session),
    route("POST", "users/{mb}/messages/{mid}/attachments", add_attachment),
    route("GET", "users/{mb}/messages/{mid}/attachments/{aid}", get_attachment),
    route("GET", "users/{mb}/messages/{mid}/attachments/{aid}/$value", get_raw),
    route("DELETE", "users/{mb}/messages/{mid}/attachments/{aid}", delete_attachment),
]
