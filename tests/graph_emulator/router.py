"""Maps a request path to a route handler, the way Graph reads URLs.

Segments are percent-decoded one by one (ids may contain '/'), "root:/a/b:" and "host:/sites/x" become one
segment whether or not the client encoded them, and literals match case-insensitively ("delta" == "delta()").
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from .state import State
from .wire import GraphError, Response

Handler = Callable[..., Response]
Route = tuple[str, tuple[str, ...], Handler]


@dataclass
class Ctx:
    """What a route handler gets besides its path parameters."""

    state: State
    method: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    origin: str  # "http://127.0.0.1:PORT"
    raw_path: str  # as received, percent-encoded, without the query
    repeat_page: bool = False

    @property
    def base(self) -> str:
        return f"{self.origin}/v1.0"

    def json(self) -> dict[str, Any]:
        if not self.body.strip():
            return {}
        try:
            payload = json.loads(self.body)
        except ValueError as exc:
            raise GraphError(400, "BadRequest", f"Unable to read JSON request payload: {exc}") from exc
        if not isinstance(payload, dict):
            raise GraphError(400, "BadRequest", "The request payload must be a JSON object.")
        return payload

    def prefers(self, text: str) -> bool:
        return text.lower() in self.headers.get("prefer", "").lower()


def route(method: str, template: str, handler: Handler) -> Route:
    return method, tuple(template.strip("/").split("/")), handler


def segments(raw_path: str) -> list[str]:
    """The decoded path segments with colon paths folded and drive "root" refs given their implicit items/."""
    decoded = [unquote(part) for part in raw_path.strip("/").split("/") if part]
    folded: list[str] = []
    index = 0
    while index < len(decoded):
        part = decoded[index]
        index += 1
        if part.endswith(":") and part.count(":") == 1:  # an opener such as "root:" or "host.example:"
            while index < len(decoded):
                part += "/" + decoded[index]
                index += 1
                if part.endswith(":"):
                    break
        folded.append(part)
    out: list[str] = []
    for part in folded:
        after_drive = bool(out) and (out[-1].lower() == "drive" or (len(out) > 1 and out[-2].lower() == "drives"))
        if part.lower().startswith("root") and after_drive:
            out.append("items")
        out.append(part)
    return out


def _literal(text: str) -> str:
    return text.lower().removeprefix("microsoft.graph.").removesuffix("()")


def match(routes: list[Route], method: str, parts: list[str]) -> tuple[Handler, dict[str, str]] | None:
    for verb, template, handler in routes:
        if verb != method or len(template) != len(parts):
            continue
        params: dict[str, str] = {}
        for want, got in zip(template, parts, strict=True):
            if want.startswith("{"):
                params[want.strip("{}")] = got
            elif _literal(want) != _literal(got):
                break
        else:
            return handler, params
    return None
