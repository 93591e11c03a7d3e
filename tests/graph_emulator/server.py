"""The loopback HTTP/1.1 server: records each request, checks the bearer token, applies the mailbox limits and
scripted faults and dispatches to the route table. Graph lives under /v1.0; pre-authenticated upload URLs under
/upload. Mailbox requests are counted (limits.py) outside the state lock, so their concurrency is real.
"""

from __future__ import annotations

import re
import socket
import struct
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from . import attachments, drive, folders, items, items_delta, lists, mail, mail_delta, uploads, versions
from .limits import MailboxLimits
from .router import Ctx, Route, match, segments
from .state import Request, State
from .wire import GraphError, Response, error_response, not_implemented

TOKEN = "emulator-token"
GRAPH_ROUTES: list[Route] = [*mail_delta.ROUTES, *attachments.ROUTES, *mail.ROUTES, *folders.ROUTES,
                             *items_delta.ROUTES, *versions.ROUTES, *items.ROUTES, *lists.ROUTES, *drive.ROUTES]
_IMMUTABLE = re.compile(r'idtype\s*=\s*"?immutableid"?', re.IGNORECASE)


def handle(state: State, origin: str, method: str, target: str, headers: dict[str, str],
           body: bytes, throttle: Response | None = None) -> Response | None:
    """The response to one request, or None to drop the connection without answering. `throttle` is the 429
    the mailbox limits decided on: it is recorded, and answered once the token is checked."""
    raw_path, _, qs = target.partition("?")
    raw_path = re.sub(r"/{2,}", "/", raw_path)
    query = {name: values[-1] for name, values in parse_qs(qs, keep_blank_values=True).items()}
    parts = segments(raw_path)
    graph, upload = parts[:1] == ["v1.0"], parts[:1] == ["upload"]
    mail_request = graph and len(parts) > 1 and parts[1].lower() == "users"
    immutable = bool(_IMMUTABLE.search(headers.get("prefer", ""))) if mail_request else None
    request = Request(method, raw_path, query, headers, body, immutable)
    with state.lock:
        state.requests.append(request)
        if upload and "authorization" in headers:
            state.upload_auth_violations.append(request)
        if graph and headers.get("authorization") != f"Bearer {TOKEN}":
            message = "Access token is empty." if "authorization" not in headers else "Invalid access token."
            return error_response(401, "InvalidAuthenticationToken", message)
        if throttle is not None:
            return throttle
        fault = state.faults.take(method, raw_path, "/" + "/".join(parts))
        if fault is not None and not fault.acts_first and fault.kind != "repeat_page":
            return fault.before(origin + raw_path, raw_path)
        ctx = Ctx(state, method, query, headers, body, origin, raw_path,
                  repeat_page=fault is not None and fault.kind == "repeat_page")
        response = _dispatch(ctx, parts[1:] if graph else parts, graph or upload)
        return fault.after_action(response) if fault is not None and fault.acts_first else response


def _dispatch(ctx: Ctx, parts: list[str], known_root: bool) -> Response:
    table = uploads.ROUTES if parts[:1] == ["upload"] else GRAPH_ROUTES
    found = match(table, ctx.method, parts) if known_root else None
    if found is None:
        return not_implemented(f"{ctx.method} {ctx.raw_path}").response()
    handler, params = found
    try:
        return handler(ctx, **params)
    except GraphError as exc:
        return exc.response()
    except Exception:  # a bug in the emulator: make it loud in the test that hit it
        return error_response(500, "emulatorBug", traceback.format_exc())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "GraphEmulator/1.0"
    timeout = 60
    disable_nagle_algorithm = True  # headers and body go out in separate writes; Nagle would add ~40 ms each
    server: EmulatorServer

    def _serve(self) -> None:
        limits = self.server.limits
        ticket = limits.arrive(self.path)  # in flight from here (mailbox requests only), outside the state lock
        response: Response | None = None
        try:
            headers: dict[str, str] = {}
            for name, value in self.headers.items():
                key = name.lower()
                headers[key] = f"{headers[key]}, {value}" if key in headers else value
            body = self._body()
            if ticket is not None and ticket.delay:
                time.sleep(ticket.delay)
            response = handle(self.server.state, self.server.origin, self.command, self.path, headers, body,
                              ticket.throttle if ticket is not None else None)
        finally:
            if ticket is not None:  # until the answer is ready: the client cannot have it before this
                limits.leave(ticket, response)
        if response is None:
            self._reset()
        else:
            self._send(response, headers)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                data += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
            return data
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _send(self, response: Response, headers: dict[str, str]) -> None:
        self.send_response(response.status)
        extra = {"request-id": str(uuid.uuid4()), "client-request-id": headers.get("client-request-id", "")}
        for name, value in {**extra, **response.headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    def _reset(self) -> None:
        """Abort the connection (RST) without a status line, like a dropped proxy or a crashed front end."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - keep test output quiet
        pass


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, state: State, limits: MailboxLimits | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state
        self.limits = limits or MailboxLimits()
        self.origin = f"http://127.0.0.1:{self.server_address[1]}"
