"""The client-side mailbox limiter (m365-graph.md §3.1): at most N requests in flight per mailbox and at most
M per sliding window, waiting rather than failing. On a fake clock: the waits are computed, never slept."""

from __future__ import annotations

import asyncio

import pytest

from bot.adapters.graph.client import (
    MAILBOX_CONCURRENCY,
    MAILBOX_REQUESTS,
    MAILBOX_WINDOW_SECONDS,
    MailboxLimiter,
    mailbox_of,
)

A = "cspr-bot@northshire-scp.example"
B = "referrals@northshire-scp.example"


class FakeTime:
    """A clock that moves only when a request takes time or the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def limiter(time: FakeTime, concurrency: int = 4, requests: int = 1000, window: float = 10) -> MailboxLimiter:
    return MailboxLimiter(concurrency, requests, window, clock=time.clock, sleep=time.sleep)


async def settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


def test_the_defaults_are_outlooks_limits() -> None:
    assert (MAILBOX_CONCURRENCY, MAILBOX_REQUESTS, MAILBOX_WINDOW_SECONDS) == (4, 10_000, 600)
    default = MailboxLimiter()
    assert (default.concurrency, default.requests, default.window_seconds) == (4, 10_000, 600)


def test_the_mailbox_is_the_users_segment_and_other_paths_are_not_limited() -> None:
    assert mailbox_of("/v1.0/users/CSPR-Bot%40northshire-scp.example/mailFolders/inbox") == A
    assert mailbox_of("/v1.0/Users/0f1e2d3c/messages/AAMk%2B%3D/attachments") == "0f1e2d3c"
    assert mailbox_of("/v1.0/users/" + A) is None  # the user object, not the mailbox under it
    assert mailbox_of("/v1.0/sites/host,1,2/lists/Cases/items") is None
    assert mailbox_of("/v1.0/drives/b!x/items/root:/users/a.docx:/content") is None
    assert mailbox_of("/upload/mail/abc") is None


def test_a_full_window_waits_until_its_oldest_finished_request_leaves() -> None:
    time = FakeTime()
    paced = limiter(time, requests=3, window=10)
    starts: list[float] = []

    async def run(count: int, takes: float) -> None:
        for _ in range(count):  # one after another
            await paced.acquire(A)
            starts.append(time.now)
            time.now += takes
            paced.release(A)

    asyncio.run(run(7, 0))
    assert time.waits == [10.0, 10.0] and starts == [0, 0, 0, 10, 10, 10, 20]
    time.now, time.waits, starts[:] = 100.0, [], []
    asyncio.run(run(6, 1))  # each takes 1 s: it counts from when it finished
    assert time.waits == [8.0] and starts == [100, 101, 102, 111, 112, 113]  # the 1st finished at 101
    assert all(sum(1 for s in starts if t <= s < t + 10) <= 3 for t in starts)


def test_at_most_the_concurrency_limit_is_in_flight_and_the_rest_wait_in_order() -> None:
    time = FakeTime()
    paced = limiter(time, concurrency=4)
    started: list[int] = []

    async def request(n: int) -> None:
        await paced.acquire(A)
        started.append(n)

    async def run() -> None:
        tasks = [asyncio.create_task(request(n)) for n in range(6)]
        await settle()
        assert started == [0, 1, 2, 3]
        paced.release(A)
        await settle()
        assert started == [0, 1, 2, 3, 4]
        for _ in range(5):
            paced.release(A)
        await asyncio.gather(*tasks)

    asyncio.run(run())
    assert started == [0, 1, 2, 3, 4, 5] and time.waits == []
    assert paced.peak_in_flight(A) == paced.peak_in_flight() == 4


def test_mailboxes_are_limited_apart() -> None:
    time = FakeTime()
    paced = limiter(time, concurrency=1, requests=1)

    async def run() -> None:
        await paced.acquire(A)
        await asyncio.wait_for(paced.acquire(B), timeout=1)  # A's full slots do not hold B up
        paced.release(B)
        paced.release(A)

    asyncio.run(run())
    assert time.waits == [] and paced.peak_in_flight(A) == paced.peak_in_flight(B) == 1
    assert paced.peak_in_flight("nobody@elsewhere.example") == 0


def test_when_every_window_slot_is_under_way_it_waits_for_one_to_finish_and_leave() -> None:
    time = FakeTime()
    paced = limiter(time, concurrency=2, requests=1, window=10)

    async def run() -> float:
        await paced.acquire(A)
        second = asyncio.create_task(paced.acquire(A))
        await settle()
        assert not second.done() and time.waits == []  # no guess at a wait: the slot has no finish time yet
        time.now = 5
        paced.release(A)
        await second
        return time.now

    assert asyncio.run(run()) == 15 and time.waits == [10.0]


def test_a_request_cancelled_while_waiting_gives_its_slot_back() -> None:
    time = FakeTime()
    paced = limiter(time, concurrency=1, requests=5)

    async def run() -> None:
        await paced.acquire(A)
        waiting = asyncio.create_task(paced.acquire(A))
        await settle()
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        paced.release(A)
        await asyncio.wait_for(paced.acquire(A), timeout=1)
        paced.release(A)

    asyncio.run(run())


def test_the_semaphores_are_made_on_the_loop_that_uses_them() -> None:
    time = FakeTime()
    paced = limiter(time, concurrency=1)  # built outside any event loop

    async def one() -> None:
        await paced.acquire(A)
        paced.release(A)

    asyncio.run(one())
    asyncio.run(one())  # a second loop: new primitives, no "attached to a different loop" error


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError):
        MailboxLimiter(concurrency=0)
    with pytest.raises(ValueError):
        MailboxLimiter(window_seconds=0)
