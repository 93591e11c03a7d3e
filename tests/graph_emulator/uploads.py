"""Pre-authenticated upload URLs (/upload/{session}) shared by mail attachments and drive files.

They sit outside /v1.0 and need no token; a PUT that carries one anyway is recorded as a violation.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from .router import Ctx, route
from .state import State, UploadSession
from .wire import GraphError, Response, iso, json_response

_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")


def new_session(state: State, kind: str, size: int, finish: Callable[[bytes], Any]) -> UploadSession:
    expires = iso(state.clock() + timedelta(hours=6))
    session = UploadSession(secrets.token_urlsafe(18), kind, size, expires, finish)
    state.uploads[session.id] = session
    return session


def session_json(ctx: Ctx, session: UploadSession, with_url: bool) -> dict[str, Any]:
    start = len(session.received)
    out: dict[str, Any] = {"expirationDateTime": session.expires,
                           "nextExpectedRanges": [f"{start}" if session.kind == "mail" else f"{start}-"]}
    if with_url:
        out = {"@odata.context": f"{ctx.base}/$metadata#microsoft.graph.uploadSession",
               "uploadUrl": f"{ctx.origin}/upload/{session.id}", **out}
    return out


def _session(ctx: Ctx, sid: str) -> UploadSession:
    if sid not in ctx.state.uploads:
        raise GraphError(404, "itemNotFound", "The upload session was not found or has expired.")
    return ctx.state.uploads[sid]


def put_chunk(ctx: Ctx, sid: str) -> Response:
    session = _session(ctx, sid)
    found = _RANGE.fullmatch(ctx.headers.get("content-range", "").strip())
    if not found:
        raise GraphError(400, "invalidRequest", "A Content-Range header of the form 'bytes s-e/N' is required.")
    start, end, total = (int(g) for g in found.groups())
    if session.size < 0:
        session.size = total
    if total != session.size:
        raise GraphError(400, "invalidRequest", f"Content-Range total {total} differs from the session size "
                         f"{session.size}.")
    if end - start + 1 != len(ctx.body) or end >= total:
        raise GraphError(400, "invalidRequest", "The Content-Range does not match the bytes sent.")
    if start != len(session.received):
        raise GraphError(416, "invalidRange", f"The fragment starting at {start} is out of order; next expected "
                         f"{len(session.received)}.")
    session.received += ctx.body
    if len(session.received) < session.size:
        return json_response(200 if session.kind == "mail" else 202, session_json(ctx, session, False))
    del ctx.state.uploads[sid]
    return session.finish(bytes(session.received))


def get_status(ctx: Ctx, sid: str) -> Response:
    return json_response(200, session_json(ctx, _session(ctx, sid), False))


def cancel(ctx: Ctx, sid: str) -> Response:
    _session(ctx, sid)
    del ctx.state.uploads[sid]
    return Response(204)


ROUTES = [
    route("PUT", "upload/{sid}", put_chunk),
    route("GET", "upload/{sid}", get_status),
    route("DELETE", "upload/{sid}", cancel),
]
