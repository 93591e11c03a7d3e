"""Building the Graph client: app-only credentials, the base URL (national clouds, or the emulator on
loopback in tests), the token kept to the Graph host, `Prefer: IdType="ImmutableId"` on every request,
and one event loop in a thread so the synchronous ports can call the async SDK.

m365-graph.md §1: allowed_hosts is a silent filter (other hosts get no token); httpx would turn the
base URL into ".../v1.0//users" unless the trailing slash is stripped; the SDK's retry handler retries
POSTs, so sends pass RetryHandlerOption(should_retry=False) per request. §3.1: Outlook allows 4 concurrent
requests and 10,000 requests per 10 minutes per app and mailbox, so the transport keeps each mailbox's
requests under both (MailboxLimiter) rather than meeting 429s.
"""

from __future__ import annotations

import asyncio
import ipaddress
import threading
import time
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import unquote, urlparse

from bot import __version__

T = TypeVar("T")
GRAPH_SCOPES = ["https://graph.microsoft.com/.default"]
IMMUTABLE = 'IdType="ImmutableId"'
MAILBOX_CONCURRENCY = 4  # Outlook: concurrent requests per app and mailbox
MAILBOX_REQUESTS = 10_000  # Outlook: requests per app and mailbox ...
MAILBOX_WINDOW_SECONDS = 600.0  # ... per 10 minutes, sliding


class GraphConfigError(ValueError):
    """The Graph settings cannot be used safely; says which and why."""


def is_loopback(url: str) -> bool:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(base_url: str) -> str:
    """https anywhere; plain http only on loopback (the emulator). Returned without a trailing slash."""
    parsed = urlparse(base_url)
    if parsed.scheme == "http" and not is_loopback(base_url):
        raise GraphConfigError(f"graph.base_url {base_url!r}: plain http is refused except on loopback. "
                               "Fix: use https://graph.microsoft.com/v1.0 (or your national cloud)")
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise GraphConfigError(f"graph.base_url {base_url!r} is not a URL. Fix: https://graph.microsoft.com/v1.0")
    return base_url.rstrip("/")


class StaticTokenCredential:
    """A fixed bearer token, for the emulator only: it refuses to exist for a non-loopback base URL."""

    def __init__(self, token: str, base_url: str) -> None:
        if not is_loopback(base_url):
            raise GraphConfigError("a static token is only for a loopback base_url (the test emulator)")
        self._token = token

    def __repr__(self) -> str:
        return "StaticTokenCredential(token=****)"

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken(self._token, int(time.time()) + 3600)


class LoopThread:
    """One asyncio loop in a daemon thread; `run` waits for a coroutine from synchronous code."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="cspr-graph", daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 300) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout)

    def read(self, make: Callable[[], Coroutine[Any, Any, T]], timeout: float = 300) -> T:
        """Run a read, retrying connection failures (reset, refused, timed out) with capped full-jitter
        backoff. 429/503/504 are the SDK's to retry (it honours Retry-After); a read still failing after
        that waits for the next tick. Sends and creates never come through here."""
        return self.run(_retrying(make), timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)


def is_transient(exc: BaseException) -> bool:
    import httpx

    return isinstance(exc, httpx.TransportError)


async def _retrying(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_random_exponential

    async for attempt in AsyncRetrying(retry=retry_if_exception(is_transient), reraise=True,
                                       wait=wait_random_exponential(multiplier=0.5, max=8),
                                       stop=stop_after_attempt(4)):
        with attempt:
            return await make()
    raise AssertionError("unreachable: tenacity re-raises the last error")


def mailbox_of(path: str) -> str | None:
    """The mailbox a Graph URL path is under ("/v1.0/users/{id}/..."), decoded and lower-cased; else None."""
    parts = [part for part in path.split("/") if part]
    if len(parts) >= 4 and parts[1].lower() == "users":
        return unquote(parts[2]).lower()
    return None


@dataclass
class _Window:
    """One mailbox's sliding window: when each finished request finished, and how many are under way."""

    finished: deque[float] = field(default_factory=deque)
    started: int = 0  # under way: each takes a window slot from its start until its finish time joins `finished`
    in_flight: int = 0
    peak: int = 0


class MailboxLimiter:
    """Keeps each mailbox's requests within Outlook's limits: at most `concurrency` in flight (an asyncio
    semaphore per mailbox, made on the running loop when first needed) and at most `requests` in any
    sliding `window_seconds`, waiting for room rather than failing.

    A request holds a window slot from when it starts until `window_seconds` after it finished (its
    response read): the server counts it at some moment in between, so the server's window never sees
    more than `requests` either. Clock and sleep are injectable so tests can check the pacing without waiting.
    """

    def __init__(self, concurrency: int = MAILBOX_CONCURRENCY, requests: int = MAILBOX_REQUESTS,
                 window_seconds: float = MAILBOX_WINDOW_SECONDS, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[object]] = asyncio.sleep) -> None:
        if concurrency < 1 or requests < 1 or window_seconds <= 0:
            raise ValueError("mailbox limits must be positive")
        self.concurrency, self.requests, self.window_seconds = concurrency, requests, window_seconds
        self._clock, self._sleep = clock, sleep
        self._windows: dict[str, _Window] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self._finished: dict[str, asyncio.Event] = {}  # set (and replaced) whenever a request finishes

    def peak_in_flight(self, mailbox: str | None = None) -> int:
        """The most requests this limiter let run at once for one mailbox (None: the highest of any mailbox)."""
        if mailbox is not None:
            window = self._windows.get(mailbox.lower())
            return window.peak if window else 0
        return max((window.peak for window in self._windows.values()), default=0)

    async def acquire(self, mailbox: str) -> None:
        """Wait for a concurrency slot and a window slot for this mailbox; never raises on its own."""
        semaphore = self._semaphore(mailbox)
        await semaphore.acquire()
        try:
            await self._take_window_slot(mailbox)
        except BaseException:  # cancelled while waiting
            semaphore.release()
            raise
        window = self._windows[mailbox]
        window.in_flight += 1
        window.peak = max(window.peak, window.in_flight)

    def release(self, mailbox: str) -> None:
        """The request is over (its response read, or it failed): it counts in the window from now."""
        window = self._windows[mailbox]
        window.in_flight -= 1
        window.started -= 1
        window.finished.append(self._clock())
        self._semaphores[mailbox].release()
        event = self._finished.pop(mailbox, None)
        if event is not None:
            event.set()

    async def _take_window_slot(self, mailbox: str) -> None:
        window = self._windows.setdefault(mailbox, _Window())
        while True:
            now = self._clock()
            while window.finished and window.finished[0] <= now - self.window_seconds:
                window.finished.popleft()
            if len(window.finished) + window.started < self.requests:
                window.started += 1
                return
            if window.finished:  # room when the oldest finished request leaves the window
                await self._sleep(window.finished[0] + self.window_seconds - now)
            else:  # every slot is under way: wait for one to finish, then for it to leave the window
                await self._finished_event(mailbox).wait()

    def _semaphore(self, mailbox: str) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # asyncio primitives belong to one loop; a new loop starts new ones
            self._loop, self._semaphores, self._finished = loop, {}, {}
            for window in self._windows.values():
                window.started = window.in_flight = 0
        if mailbox not in self._semaphores:
            self._semaphores[mailbox] = asyncio.Semaphore(self.concurrency)
        return self._semaphores[mailbox]

    def _finished_event(self, mailbox: str) -> asyncio.Event:
        if mailbox not in self._finished:
            self._finished[mailbox] = asyncio.Event()
        return self._finished[mailbox]


def make_client(credential: Any, *, base_url: str, allowed_hosts: list[str],
                mailbox_concurrency: int = MAILBOX_CONCURRENCY, mailbox_requests: int = MAILBOX_REQUESTS,
                mailbox_window_seconds: float = MAILBOX_WINDOW_SECONDS) -> Any:
    """A GraphServiceClient whose token goes only to `allowed_hosts`, whose every request prefers
    immutable ids, and whose requests to each mailbox stay within the mailbox limits (see
    `mailbox_limiter(client)`)."""
    import httpx
    from kiota_authentication_azure.azure_identity_authentication_provider import (
        AzureIdentityAuthenticationProvider,
    )
    from kiota_http.middleware.options import RetryHandlerOption
    from msgraph.graph_request_adapter import GraphRequestAdapter
    from msgraph.graph_request_adapter import options as sdk_options
    from msgraph.graph_service_client import GraphServiceClient
    from msgraph_core import GraphClientFactory

    limiter = MailboxLimiter(mailbox_concurrency, mailbox_requests, mailbox_window_seconds)
    options = dict(sdk_options)
    options[RetryHandlerOption.get_key()] = RetryHandlerOption(delay=1, max_retries=3)
    http = httpx.AsyncClient(timeout=httpx.Timeout(100.0, connect=30.0), transport=_counting_transport(limiter),
                             headers={"User-Agent": f"NONISV|cspr-bot|cspr-bot/{__version__}", "Prefer": IMMUTABLE})
    http = GraphClientFactory.create_with_default_middleware(client=http, options=options)
    auth = AzureIdentityAuthenticationProvider(credential, scopes=GRAPH_SCOPES, allowed_hosts=allowed_hosts)
    adapter = GraphRequestAdapter(auth, client=http)
    adapter.base_url = check_base_url(base_url)
    client = GraphServiceClient(request_adapter=adapter)
    _LIMITERS[client] = limiter
    return client


_LIMITERS: weakref.WeakKeyDictionary[Any, MailboxLimiter] = weakref.WeakKeyDictionary()


def mailbox_limiter(client: Any) -> MailboxLimiter:
    """The limiter of a client built by make_client (for its peak in-flight figure)."""
    return _LIMITERS[client]


def _counting_transport(limiter: MailboxLimiter) -> Any:
    """The innermost transport (under the SDK's retry middleware), so every attempt, retries too, passes the
    mailbox limiter and every 429 is counted for the throttling figure in /metrics. A mailbox request keeps
    its slot until its body is read, so the next one cannot reach the server while Graph still counts it."""
    import httpx

    from bot.ops import METRICS

    class Counting(httpx.AsyncHTTPTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            mailbox = mailbox_of(request.url.raw_path.decode("ascii", "replace").partition("?")[0])
            if mailbox is None:
                response = await super().handle_async_request(request)
            else:
                await limiter.acquire(mailbox)
                try:
                    response = await super().handle_async_request(request)
                    await response.aread()
                finally:
                    limiter.release(mailbox)
            if response.status_code == 429:
                METRICS.count_throttled()
            return response

    return Counting()


def warm_up() -> float:
    """Parse one message and one list item now, so the SDK's first-parse cost (it imports and builds
    ~1,100 model classes, about a second here) is paid at start, not on the first deadline. Returns
    the seconds it took."""
    from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory
    from msgraph.generated.models.list_item_collection_response import ListItemCollectionResponse
    from msgraph.generated.models.message_collection_response import MessageCollectionResponse

    started = time.perf_counter()
    factory = JsonParseNodeFactory()
    for model, body in (
        (MessageCollectionResponse, b'{"value":[{"id":"w","from":{"emailAddress":{"address":"w@w.example"}}}]}'),
        (ListItemCollectionResponse, b'{"value":[{"id":"1","fields":{"Title":"w"},"lastModifiedBy":{}}]}'),
    ):
        factory.get_root_parse_node("application/json", body).get_object_value(model)
    return time.perf_counter() - started


def no_retry() -> Any:
    """Request options for creates and sends: no automatic retry (a retried POST can send twice)."""
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from kiota_http.middleware.options import RetryHandlerOption

    config: Any = RequestConfiguration()
    config.options = [RetryHandlerOption(max_retries=0, should_retry=False)]
    config.headers.add("Prefer", IMMUTABLE)
    return config


def status_of(exc: BaseException) -> int | None:
    """The HTTP status of an SDK error (kiota's APIError), or None for transport failures."""
    code = getattr(exc, "response_status_code", None)
    return int(code) if isinstance(code, int) else None
