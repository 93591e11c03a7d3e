"""Per-mailbox accounting and Outlook's limits (4 concurrent requests, N requests per sliding window): counted
outside the state lock, enforced only when switched on, 429 ApplicationThrottled with Retry-After."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.graph_emulator import GraphEmulator
from tests.graph_emulator.limits import MailboxLimits, MailboxStats, mailbox_of

from .conftest import HOST, MAILBOX, MB

OTHER = "referrals@northshire-scp.example"
INBOX = f"/users/{MB}/mailFolders/inbox"


def parallel(graph: GraphEmulator, n: int, path: str = INBOX) -> list[httpx.Response]:
    """`n` GETs sent at once, each on its own connection."""
    async def run() -> list[httpx.Response]:
        headers = {"Authorization": f"Bearer {graph.token}"}
        async with httpx.AsyncClient(base_url=graph.base_url, headers=headers, timeout=10) as client:
            return list(await asyncio.gather(*(client.get(path) for _ in range(n))))
    return asyncio.run(run())


class TestAccounting:
    @pytest.mark.parametrize("n", [1, 2, 4])
    def test_the_peak_is_the_number_of_requests_in_flight_together(self, graph: GraphEmulator, n: int) -> None:
        graph.mailbox_latency(0.4)
        assert {r.status_code for r in parallel(graph, n)} == {200}
        assert graph.mailbox_stats(MAILBOX) == MailboxStats(requests=n, peak_concurrency=n, throttled=0)

    def test_sequential_requests_never_overlap(self, graph: GraphEmulator, http: httpx.Client) -> None:
        for _ in range(3):
            assert http.get(INBOX).status_code == 200
        assert graph.mailbox_stats(MAILBOX) == MailboxStats(requests=3, peak_concurrency=1, throttled=0)

    def test_enforcement_is_off_by_default(self, graph: GraphEmulator) -> None:
        graph.mailbox_latency(0.4)
        assert [r.status_code for r in parallel(graph, 6)] == [200] * 6
        assert graph.mailbox_stats(MAILBOX) == MailboxStats(requests=6, peak_concurrency=6, throttled=0)

    def test_each_mailbox_is_counted_apart_and_other_paths_not_at_all(self, graph: GraphEmulator,
                                                                      http: httpx.Client) -> None:
        graph.add_mailbox(OTHER)
        graph.add_site(HOST, "sites/cspr")
        http.get(INBOX)
        http.get(f"/users/{MAILBOX.upper()}/mailFolders/drafts")  # the same mailbox, spelt another way
        http.get(f"/users/{OTHER}/mailFolders/inbox")
        http.get(f"/sites/{HOST}:/sites/cspr")
        assert graph.mailbox_stats(MAILBOX.upper()) == MailboxStats(requests=2, peak_concurrency=1, throttled=0)
        assert graph.mailbox_stats(OTHER).requests == 1
        assert graph.mailbox_stats("nobody@elsewhere.example") == MailboxStats()
        graph.reset_mailbox_stats(MAILBOX)
        assert graph.mailbox_stats(MAILBOX) == MailboxStats() and graph.mailbox_stats(OTHER).requests == 1
        graph.reset_mailbox_stats()
        assert graph.mailbox_stats(OTHER) == MailboxStats()

    def test_the_mailbox_is_the_decoded_lower_cased_users_segment(self) -> None:
        assert mailbox_of(f"/v1.0/users/{MB.upper()}/messages?$top=1") == MAILBOX
        assert mailbox_of("/v1.0//users/ABC-123/mailFolders") == "abc-123"
        assert mailbox_of(f"/v1.0/users/{MB}") is None  # the user itself, not under the mailbox
        assert mailbox_of("/v1.0/sites/x/lists/users/items") is None
        assert mailbox_of("/upload/mail/1") is None


class TestEnforcement:
    def test_the_request_over_the_concurrency_limit_gets_429_with_retry_after(self, graph: GraphEmulator) -> None:
        graph.enforce_mailbox_limits(concurrent=4, requests=None)
        graph.mailbox_latency(0.5)
        responses = parallel(graph, 5)
        assert sorted(r.status_code for r in responses) == [200, 200, 200, 200, 429]
        (throttled,) = [r for r in responses if r.status_code == 429]
        assert throttled.headers["Retry-After"] == "1"
        assert throttled.json()["error"]["code"] == "ApplicationThrottled"
        assert throttled.json()["error"]["message"] == "Application is over its MailboxConcurrency limit."
        assert graph.mailbox_stats(MAILBOX) == MailboxStats(requests=5, peak_concurrency=5, throttled=1)
        assert graph.count("GET", r"/inbox$") == 5  # the throttled request is in the log too
        assert [r.status_code for r in parallel(graph, 4)] == [200] * 4  # the slots came back

    def test_the_requests_over_the_window_get_429_until_it_slides(self, graph: GraphEmulator,
                                                                   http: httpx.Client) -> None:
        graph.enforce_mailbox_limits(concurrent=None, requests=5, window_seconds=2)
        responses = [http.get(INBOX) for _ in range(7)]
        assert [r.status_code for r in responses] == [200] * 5 + [429] * 2
        waits = [int(r.headers["Retry-After"]) for r in responses[5:]]
        assert all(1 <= wait <= 2 for wait in waits)
        assert "over its request limit" in responses[5].json()["error"]["message"]
        assert graph.mailbox_stats(MAILBOX) == MailboxStats(requests=7, peak_concurrency=1, throttled=2)
        time.sleep(waits[-1])  # as told by the server: then the window has room again
        assert http.get(INBOX).status_code == 200

    def test_limits_apply_per_mailbox(self, graph: GraphEmulator, http: httpx.Client) -> None:
        graph.add_mailbox(OTHER)
        graph.enforce_mailbox_limits(concurrent=4, requests=2, window_seconds=60)
        codes = [http.get(path).status_code for path in (INBOX, INBOX, INBOX, f"/users/{OTHER}/mailFolders/inbox")]
        assert codes == [200, 200, 429, 200]
        assert (graph.mailbox_stats(MAILBOX).throttled, graph.mailbox_stats(OTHER).throttled) == (1, 0)

    def test_relaxing_turns_enforcement_off(self, graph: GraphEmulator, http: httpx.Client) -> None:
        graph.enforce_mailbox_limits(concurrent=4, requests=1, window_seconds=60)
        assert [http.get(INBOX).status_code for _ in range(2)] == [200, 429]
        graph.relax_mailbox_limits()
        assert http.get(INBOX).status_code == 200

    def test_a_throttled_request_still_needs_the_token_and_leaves_faults_alone(self, graph: GraphEmulator,
                                                                               http: httpx.Client) -> None:
        graph.enforce_mailbox_limits(concurrent=4, requests=1, window_seconds=60)
        graph.fault("GET", r"/inbox$", kind="503")
        assert http.get(f"/users/{MB}/mailFolders/drafts").status_code == 200
        assert httpx.get(f"{graph.base_url}{INBOX}").status_code == 401
        assert http.get(INBOX).status_code == 429
        graph.relax_mailbox_limits()
        assert http.get(INBOX).status_code == 503  # the scripted fault was still there
        assert graph.mailbox_stats(MAILBOX).throttled == 1  # the 401 was not a 429


class TestWindowArithmetic:
    """MailboxLimits on a fake clock: exact Retry-After values, and throttled requests counting against the window."""

    def test_retry_after_is_when_a_retry_would_be_admitted(self) -> None:
        now = [0.0]
        limits = MailboxLimits(monotonic=lambda: now[0])
        limits.enforce(concurrent=None, requests=5, window_seconds=10)

        def get(at: float) -> str:
            now[0] = at
            ticket = limits.arrive(f"/v1.0/users/{MB}/messages")
            assert ticket is not None
            limits.leave(ticket, ticket.throttle)
            return "ok" if ticket.throttle is None else ticket.throttle.headers["Retry-After"]

        assert [get(t) for t in (0, 1, 2, 3, 4)] == ["ok"] * 5
        assert get(5) == "6"  # t=0 leaves at 10, but the throttled t=5 counts too: room at 11, when t=1 leaves
        assert get(10.5) == "2"  # t=0 has left, yet the window still holds 5: throttled again
        assert get(12.5) == "ok"
        assert limits.stats(MAILBOX) == MailboxStats(requests=8, peak_concurrency=1, throttled=2)

    def test_bad_limits_are_refused(self) -> None:
        with pytest.raises(ValueError):
            MailboxLimits().enforce(concurrent=0, requests=None, window_seconds=1)
        with pytest.raises(ValueError):
            MailboxLimits().enforce(concurrent=None, requests=1, window_seconds=0)
