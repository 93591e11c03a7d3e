"""Building the Graph client: app-only credentials, the base URL (national clouds, or the emulator on
loopback in tests), the token kept to the Graph host, `Prefer: IdType="ImmutableId"` on every request,
and one event loop in a thread so the synchronous ports can call the async SDK.

m365-graph.md §1: allowed_hosts is a silent filter (other hosts get no token); httpx would turn the
base URL into ".../v1.0//users" unless the trailing slash is stripped; the SDK's retry handler retries
POSTs, so sends pass RetryHandlerOption(should_retry=False) per request.
"""

from __future__ import annotations

import asyncio
import ipaddress
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar
from urllib.parse import urlparse

from bot import __version__

T = TypeVar("T")
GRAPH_SCOPES = ["https://graph.microsoft.com/.default"]
IMMUTABLE = 'IdType="ImmutableId"'


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


def make_client(credential: Any, *, base_url: str, allowed_hosts: list[str]) -> Any:
    """A GraphServiceClient whose token goes only to `allowed_hosts` and whose every request prefers
    immutable ids."""
    import httpx
    from kiota_authentication_azure.azure_identity_authentication_provider import (
        AzureIdentityAuthenticationProvider,
    )
    from kiota_http.middleware.options import RetryHandlerOption
    from msgraph.graph_request_adapter import GraphRequestAdapter
    from msgraph.graph_request_adapter import options as sdk_options
    from msgraph.graph_service_client import GraphServiceClient
    from msgraph_core import GraphClientFactory

    options = dict(sdk_options)
    options[RetryHandlerOption.get_key()] = RetryHandlerOption(delay=1, max_retries=3)
    http = httpx.AsyncClient(timeout=httpx.Timeout(100.0, connect=30.0), transport=_counting_transport(),
                             headers={"User-Agent": f"NONISV|cspr-bot|cspr-bot/{__version__}", "Prefer": IMMUTABLE})
    http = GraphClientFactory.create_with_default_middleware(client=http, options=options)
    auth = AzureIdentityAuthenticationProvider(credential, scopes=GRAPH_SCOPES, allowed_hosts=allowed_hosts)
    adapter = GraphRequestAdapter(auth, client=http)
    adapter.base_url = check_base_url(base_url)
    return GraphServiceClient(request_adapter=adapter)


def _counting_transport() -> Any:
    """The innermost transport (under the SDK's retry middleware), so every 429 is counted, retried ones too, for
    the throttling figure in /metrics."""
    import httpx

    from bot.ops import METRICS

    class Counting(httpx.AsyncHTTPTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await super().handle_async_request(request)
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
