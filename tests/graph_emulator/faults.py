"""Scripted faults: throttling, 5xx before or after the action, dropped connections, expired delta tokens.

A fault matches a method and a regex searched in the request path (as sent, then percent-decoded).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .wire import GraphError, Response

KINDS = {"429", "503", "504", "503_after", "504_after", "202_retry_after", "reset", "410", "repeat_page"}
_STATUS_CODES = {"503": (503, "ServiceUnavailable", "Service unavailable, try again later."),
                 "504": (504, "GatewayTimeout", "The gateway timed out waiting for the backend.")}


@dataclass
class Fault:
    method: str
    pattern: re.Pattern[str]
    kind: str
    times: int | None
    retry_after: int | None
    after: bool

    @property
    def acts_first(self) -> bool:
        """True when the emulator must perform the request's action before answering with the fault."""
        return self.kind in {"503_after", "504_after", "202_retry_after"} or (self.kind == "reset" and self.after)

    def before(self, location: str, raw_path: str) -> Response | None:
        """The answer of a fault that fires instead of the action; None means drop the connection."""
        if self.kind == "reset":
            return None
        if self.kind == "429":
            mail = "/users/" in raw_path
            code, message = (("ApplicationThrottled", "Application is over its MailboxConcurrency limit.") if mail
                             else ("activityLimitReached", "The request has been throttled"))
            return GraphError(429, code, message, self._retry_after()).response()
        if self.kind == "410":
            mail = "/users/" in raw_path
            code = "syncStateNotFound" if mail else "resyncChangesApplyDifferences"
            return GraphError(410, code, "Resync required: the delta token is no longer valid.",
                              {"Location": location}).response()
        status, code, message = _STATUS_CODES[self.kind]
        return GraphError(status, code, message, self._retry_after()).response()

    def after_action(self, done: Response) -> Response | None:
        """The answer of a fault that fires once the action has been performed."""
        if self.kind == "reset":
            return None
        if self.kind == "202_retry_after":
            return Response(202, done.body, {**done.headers, **self._retry_after()})
        status, code, message = _STATUS_CODES[self.kind.removesuffix("_after")]
        return GraphError(status, code, message, self._retry_after()).response()

    def _retry_after(self) -> dict[str, str]:
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}


class FaultBook:
    """Faults in the order they were scripted; the first live match fires and is used up."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []

    def add(self, method: str, pattern: str, kind: str, times: int | None, retry_after: int | None,
            after: bool) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(KINDS)}")
        self.faults.append(Fault(method.upper(), re.compile(pattern), kind, times, retry_after, after))

    def take(self, method: str, raw_path: str, decoded_path: str) -> Fault | None:
        for fault in self.faults:
            if fault.method not in ("*", method) or fault.times == 0:
                continue
            if fault.pattern.search(raw_path) or fault.pattern.search(decoded_path):
                if fault.times is not None:
                    fault.times -= 1
                return fault
        return None
