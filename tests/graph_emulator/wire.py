"""Graph's wire format in one place: JSON responses, the {"error": {...}} shape, ids, timestamps and OData bits.

Route modules raise GraphError and return Response; nothing else in the emulator writes bytes.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

JSON_TYPE = "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8"
_MAXPAGESIZE = re.compile(r"odata\.maxpagesize\s*=\s*(\d+)", re.IGNORECASE)


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class GraphError(Exception):
    """Raised by a route to answer with Graph's error shape."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}

    def response(self) -> Response:
        return error_response(self.status, self.code, self.message, self.headers)


def iso(moment: datetime) -> str:
    """Graph's timestamp format: UTC, whole seconds, trailing Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, ensure_ascii=False).encode()
    return Response(status, body, {"Content-Type": JSON_TYPE, **(headers or {})})


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    inner = {"date": iso(datetime.now(UTC)), "request-id": str(uuid.uuid4()), "client-request-id": str(uuid.uuid4())}
    return json_response(status, {"error": {"code": code, "message": message, "innerError": inner}}, headers)


def not_implemented(what: str) -> GraphError:
    return GraphError(501, "notImplemented", f"The Graph emulator does not implement {what}")


def exchange_id(prefix: str, n: int) -> str:
    """An Exchange-style id that always contains '+', '/' and '=', so clients must percent-encode it."""
    return prefix + base64.b64encode(b"\xfb\xf0" + n.to_bytes(3, "big")).decode()


def encode_token(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_token(token: str) -> dict[str, Any]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except ValueError as exc:
        raise GraphError(400, "badRequest", f"Invalid or malformed token '{token}'") from exc
    if not isinstance(data, dict):
        raise GraphError(400, "badRequest", f"Invalid or malformed token '{token}'")
    return data


def link(origin: str, raw_path: str, query: dict[str, str]) -> str:
    """An absolute link back to the emulator, as Graph's @odata.nextLink/@odata.deltaLink are."""
    qs = urlencode(query, quote_via=quote, safe="$,()'/:@")
    return f"{origin}{raw_path}?{qs}" if qs else f"{origin}{raw_path}"


def odata_string(literal: str) -> str:
    """The value of an OData string literal body (quotes already stripped): '' stands for '."""
    return literal.replace("''", "'")


def split_top(text: str) -> list[str]:
    """Split on commas that are not inside parentheses: "a,b($select=x,y)" -> ["a", "b($select=x,y)"]."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current.strip())
    return parts


def select_of(query: dict[str, str]) -> list[str] | None:
    raw = query.get("$select")
    return split_top(raw) if raw else None


def page_size(query: dict[str, str], headers: dict[str, str], default: int) -> int:
    """Prefer: odata.maxpagesize wins over $top; without either the endpoint's default page size applies."""
    found = _MAXPAGESIZE.search(headers.get("prefer", ""))
    if found:
        return max(1, int(found.group(1)))
    top = query.get("$top")
    if top is not None:
        if not top.isdigit():
            raise GraphError(400, "BadRequest", f"Invalid $top value '{top}'")
        return max(1, int(top))
    return default


def maxpagesize_applied(headers: dict[str, str]) -> dict[str, str]:
    found = _MAXPAGESIZE.search(headers.get("prefer", ""))
    return {"Preference-Applied": f"odata.maxpagesize={found.group(1)}"} if found else {}


def skip_page(items: list[Any], query: dict[str, str], headers: dict[str, str], default: int,
              origin: str, raw_path: str) -> tuple[list[Any], str | None]:
    """A $skip-paged slice of a collection and the absolute nextLink for the rest (None on the last page)."""
    size = page_size(query, headers, default)
    skip = int(query.get("$skip", "0") or 0)
    page = items[skip:skip + size]
    if skip + size >= len(items):
        return page, None
    return page, link(origin, raw_path, {**query, "$skip": str(skip + size)})
