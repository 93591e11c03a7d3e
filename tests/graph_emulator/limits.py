"""Outlook's per-mailbox limits (m365-graph.md §3.1: per app and mailbox, 10,000 requests per 10 minutes and
4 concurrent requests), for requests under /v1.0/users/{mailbox}/...

Always tracked, per mailbox (the path's segment, percent-decoded and lower-cased): requests, requests in flight
and their peak, and the 429s the limits produced. Enforcement is off until switched on. A request is in flight
from the moment the server starts serving it until its response is complete and about to be written (just
before the write, so a client that waits for the answer before sending the next request is never counted twice).

Own lock, never taken with another held: the server counts a request before `handle` takes the state lock.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from .router import segments
from .wire import GraphError, Response

THROTTLED = "ApplicationThrottled"
OVER_CONCURRENCY = "Application is over its MailboxConcurrency limit."
OVER_REQUESTS = "Application is over its request limit."


@dataclass(frozen=True)
class MailboxStats:
    """What one mailbox saw since the emulator started (or the last reset)."""

    requests: int = 0
    peak_concurrency: int = 0
    throttled: int = 0  # 429s the mailbox limits produced (scripted "429" faults are not counted)


@dataclass(frozen=True)
class Limits:
    concurrent: int | None  # requests being processed at once; None: no limit
    requests: int | None  # requests per sliding window; None: no limit
    window_seconds: float


@dataclass
class Ticket:
    """One mailbox request being served: the 429 to answer instead of dispatching (None: admitted)."""

    mailbox: str
    throttle: Response | None
    delay: float  # artificial latency for an admitted request, slept outside the state lock
    done: bool = False


@dataclass
class _Counters:
    requests: int = 0
    throttled: int = 0
    in_flight: int = 0  # received and not yet answered, throttled ones included (what the client did)
    peak: int = 0
    processing: int = 0  # in flight and admitted: what the concurrency limit counts
    window: deque[float] = field(default_factory=deque)  # arrival times counted against the window, oldest first

    def stats(self) -> MailboxStats:
        return MailboxStats(self.requests, self.peak, self.throttled)


def mailbox_of(target: str) -> str | None:
    """The mailbox a request target is under (/v1.0/users/{mailbox}/...), decoded and lower-cased; else None."""
    parts = segments(target.partition("?")[0])
    if len(parts) >= 4 and parts[0] == "v1.0" and parts[1].lower() == "users":
        return parts[2].lower()
    return None


class MailboxLimits:
    """Per-mailbox accounting and optional enforcement; thread-safe."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._now = monotonic
        self._counters: dict[str, _Counters] = {}
        self._limits: Limits | None = None
        self._latency = 0.0

    def enforce(self, concurrent: int | None, requests: int | None, window_seconds: float) -> None:
        """Switch enforcement on (or change it); every mailbox's window starts empty."""
        if (concurrent is not None and concurrent < 1) or (requests is not None and requests < 1):
            raise ValueError("limits must be at least 1 (or None for no limit)")
        if window_seconds <= 0:
            raise ValueError("window_seconds must be positive")
        with self._lock:
            self._limits = Limits(concurrent, requests, window_seconds)
            for counters in self._counters.values():
                counters.window.clear()

    def relax(self) -> None:
        """Switch enforcement off; tracking goes on."""
        with self._lock:
            self._limits = None

    def set_latency(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("latency cannot be negative")
        with self._lock:
            self._latency = seconds

    def stats(self, mailbox: str) -> MailboxStats:
        with self._lock:
            counters = self._counters.get(mailbox.lower())
            return counters.stats() if counters is not None else MailboxStats()

    def reset(self, mailbox: str | None = None) -> None:
        """Zero the counters of one mailbox (None: all); the peak restarts from what is in flight now."""
        with self._lock:
            for name, counters in self._counters.items():
                if mailbox is None or name == mailbox.lower():
                    counters.requests = counters.throttled = 0
                    counters.peak = counters.in_flight

    # --- called by the server ---------------------------------------------------------------------

    def arrive(self, target: str) -> Ticket | None:
        """Count a request as it starts being served; None when it is not a mailbox request."""
        mailbox = mailbox_of(target)
        if mailbox is None:
            return None
        with self._lock:
            counters = self._counters.setdefault(mailbox, _Counters())
            counters.requests += 1
            counters.in_flight += 1
            counters.peak = max(counters.peak, counters.in_flight)
            throttle = self._decide(counters) if self._limits is not None else None
            if throttle is None:
                counters.processing += 1
            return Ticket(mailbox, throttle, self._latency if throttle is None else 0.0)

    def leave(self, ticket: Ticket, response: Response | None) -> None:
        """The request's answer is ready (None: no answer, the connection is dropped); it is no longer in flight."""
        with self._lock:
            if ticket.done:
                return
            ticket.done = True
            counters = self._counters[ticket.mailbox]
            counters.in_flight -= 1
            if ticket.throttle is None:
                counters.processing -= 1
            elif response is ticket.throttle:
                counters.throttled += 1

    def _decide(self, counters: _Counters) -> Response | None:
        """The 429 for a request arriving now, or None to admit it. Throttled requests count against the window."""
        limits = self._limits
        assert limits is not None
        if limits.requests is not None:
            now, window = self._now(), counters.window
            while window and window[0] <= now - limits.window_seconds:
                window.popleft()
            over = len(window) >= limits.requests
            window.append(now)
            if over:  # a retry is admitted once all but requests-1 of the counted requests have left the window
                wait = window[len(window) - limits.requests] + limits.window_seconds - now
                return _throttled(OVER_REQUESTS, max(1, math.ceil(wait)))
        if limits.concurrent is not None and counters.processing >= limits.concurrent:
            return _throttled(OVER_CONCURRENCY, 1)
        return None


def _throttled(message: str, retry_after: int) -> Response:
    return GraphError(429, THROTTLED, message, {"Retry-After": str(retry_after)}).response()
