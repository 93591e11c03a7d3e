"""Outlook's per-mailbox limits (m365-graph.md §3.1), through the real SDK: the emulator enforces them on a small
window, the bot's client paces itself to the same numbers and meets no 429; the control, with the bot's
limiter loosened, meets 429s, so the first test could fail."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from bot.adapters.graph.client import (
    MAILBOX_CONCURRENCY,
    MAILBOX_REQUESTS,
    MAILBOX_WINDOW_SECONDS,
    LoopThread,
    StaticTokenCredential,
    mailbox_limiter,
    make_client,
    no_retry,
    status_of,
)
from tests.graph_emulator import GraphEmulator

MAILBOX = "cspr-bot@northshire-scp.example"
CONCURRENT, REQUESTS, WINDOW = 4, 6, 2.0  # the emulator's limits and the bot's, in small
READS = 12  # twice what the window allows


@pytest.fixture
def g() -> Iterator[GraphEmulator]:
    with GraphEmulator() as emulator:
        emulator.add_mailbox(MAILBOX)
        emulator.enforce_mailbox_limits(concurrent=CONCURRENT, requests=REQUESTS, window_seconds=WINDOW)
        emulator.mailbox_latency(0.2)  # so the gathered reads overlap on the server
        yield emulator


def client_for(g: GraphEmulator, **limits: Any) -> Any:
    return make_client(StaticTokenCredential(g.token, g.base_url), base_url=g.base_url,
                       allowed_hosts=["127.0.0.1"], **limits)


def read_inbox(client: Any) -> list[Any]:
    """READS GETs of the inbox folder: one, then 7 at once, then 4 one after another. No SDK retries, so a
    429 shows up as an error in the result rather than as a retry."""
    inbox = client.users.by_user_id(MAILBOX).mail_folders.by_mail_folder_id("inbox")

    async def one() -> Any:
        try:
            return await inbox.get(request_configuration=no_retry())
        except Exception as exc:  # noqa: BLE001 - the result to look at
            return exc

    async def run() -> list[Any]:
        results = [await one()]
        results += await asyncio.gather(*(one() for _ in range(7)))
        for _ in range(READS - 8):
            results.append(await one())
        return results

    loop = LoopThread()
    try:
        return loop.run(run(), timeout=60)
    finally:
        loop.close()


def test_the_bot_paces_a_burst_to_the_mailbox_limits_and_meets_no_429(g: GraphEmulator) -> None:
    client = client_for(g, mailbox_concurrency=CONCURRENT, mailbox_requests=REQUESTS,
                        mailbox_window_seconds=WINDOW)
    results = read_inbox(client)
    assert [type(r).__name__ for r in results] == ["MailFolder"] * READS
    stats = g.mailbox_stats(MAILBOX)
    assert stats.requests == READS and stats.throttled == 0
    assert stats.peak_concurrency <= CONCURRENT
    assert mailbox_limiter(client).peak_in_flight(MAILBOX) == CONCURRENT  # the gather did run 4 at once


@pytest.mark.parametrize(("limits", "over"), [
    ({"mailbox_concurrency": READS, "mailbox_requests": 10_000}, {"MailboxConcurrency", "request limit"}),
    ({"mailbox_concurrency": READS, "mailbox_requests": REQUESTS}, {"MailboxConcurrency"}),
    ({"mailbox_concurrency": CONCURRENT, "mailbox_requests": 10_000}, {"request limit"}),
], ids=["both", "concurrency", "window"])
def test_control_a_loosened_limiter_meets_429s(g: GraphEmulator, limits: dict[str, int], over: set[str]) -> None:
    client = client_for(g, mailbox_window_seconds=WINDOW, **limits)
    results = read_inbox(client)
    throttled: list[Any] = [r for r in results if isinstance(r, Exception)]
    assert throttled and {status_of(r) for r in throttled} == {429}
    seen = {what for r in throttled for what in ("MailboxConcurrency", "request limit") if what in r.error.message}
    assert seen and seen <= over
    assert g.mailbox_stats(MAILBOX).throttled == len(throttled)
    if "MailboxConcurrency" in over:
        assert g.mailbox_stats(MAILBOX).peak_concurrency > CONCURRENT


def test_by_default_the_client_keeps_to_outlooks_limits(g: GraphEmulator) -> None:
    limiter = mailbox_limiter(client_for(g))
    assert (limiter.concurrency, limiter.requests, limiter.window_seconds) == (4, 10_000, 600)
    assert (MAILBOX_CONCURRENCY, MAILBOX_REQUESTS, MAILBOX_WINDOW_SECONDS) == (4, 10_000, 600)
