"""Mail delta over plain HTTP: paging, absolute links, tokens that carry $select, removals, repeats and filters."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from tests.graph_emulator import GraphEmulator

from .conftest import MAILBOX, MB, eml

DELTA = f"/users/{MB}/mailFolders/inbox/messages/delta()"


def round_of(http: httpx.Client, url: str, params: dict[str, str] | None = None,
             headers: dict[str, str] | None = None) -> tuple[list[list[dict]], str]:
    """Follow nextLinks to the deltaLink; query options go on the first request only, headers on every one."""
    pages = []
    response = http.get(url, params=params, headers=headers).json()
    while True:
        pages.append(response["value"])
        if "@odata.deltaLink" in response:
            return pages, response["@odata.deltaLink"]
        response = http.get(response["@odata.nextLink"], headers=headers).json()


class TestMailDelta:
    def test_pages_follow_odata_maxpagesize_and_end_with_an_absolute_delta_link(self, graph: GraphEmulator,
                                                                               http: httpx.Client) -> None:
        for n in range(5):
            graph.deliver(MAILBOX, eml(f"Case {n}"))
        first = http.get(DELTA, headers={"Prefer": "odata.maxpagesize=2"})
        assert first.headers["Preference-Applied"] == "odata.maxpagesize=2"
        assert first.json()["@odata.nextLink"].startswith(graph.base_url + f"/users/{MB}/mailFolders/")
        pages, link = round_of(http, DELTA, headers={"Prefer": "odata.maxpagesize=2"})
        assert [len(page) for page in pages] == [2, 2, 1] and link.startswith(graph.base_url)
        assert [m["subject"] for page in pages for m in page] == [f"Case {n}" for n in range(5)]

    def test_top_sets_the_page_size_and_ten_is_the_default(self, graph: GraphEmulator, http: httpx.Client) -> None:
        for n in range(12):
            graph.deliver(MAILBOX, eml(f"Case {n}"))
        assert [len(p) for p in round_of(http, DELTA, params={"$top": "5"})[0]] == [5, 5, 2]
        assert [len(p) for p in round_of(http, DELTA)[0]] == [10, 2]

    def test_select_given_on_the_first_request_holds_for_every_page(self, graph: GraphEmulator,
                                                                    http: httpx.Client) -> None:
        for n in range(3):
            graph.deliver(MAILBOX, eml(f"Case {n}"))
        pages, _ = round_of(http, DELTA, params={"$select": "subject", "$top": "2"})
        assert all(set(m) == {"@odata.type", "@odata.etag", "id", "subject"} for page in pages for m in page)

    def test_a_later_round_has_only_new_mail_and_mail_that_left(self, graph: GraphEmulator,
                                                                http: httpx.Client) -> None:
        kept, moved = graph.deliver(MAILBOX, eml("Kept")), graph.deliver(MAILBOX, eml("Moved"))
        _, link = round_of(http, DELTA)
        assert round_of(http, link)[0] == [[]]
        graph.move(MAILBOX, moved, "archive")
        fresh = graph.deliver(MAILBOX, eml("New"))
        [page], _ = round_of(http, link)
        assert page[0] == {"@odata.type": "#microsoft.graph.message", "id": moved, "@removed": {"reason": "deleted"}}
        assert [m["id"] for m in page[1:]] == [fresh] and kept not in {m["id"] for m in page}

    def test_the_same_delta_link_replays_the_same_changes(self, graph: GraphEmulator, http: httpx.Client) -> None:
        _, link = round_of(http, DELTA)
        graph.deliver(MAILBOX, eml("Once"))
        assert round_of(http, link)[0] == round_of(http, link)[0]

    def test_repeat_page_serves_the_same_page_twice(self, graph: GraphEmulator, http: httpx.Client) -> None:
        for n in range(3):
            graph.deliver(MAILBOX, eml(f"Case {n}"))
        graph.fault("GET", r"/messages/delta", kind="repeat_page")
        pages, _ = round_of(http, DELTA, params={"$top": "2"})
        assert [[m["subject"] for m in page] for page in pages] == [["Case 0", "Case 1"]] * 2 + [["Case 2"]]

    def test_a_received_date_filter_limits_the_initial_round(self, graph: GraphEmulator, http: httpx.Client) -> None:
        graph.deliver(MAILBOX, eml("Old"), received=datetime(2024, 1, 1, tzinfo=UTC))
        graph.deliver(MAILBOX, eml("Recent"), received=datetime(2024, 3, 1, tzinfo=UTC))
        pages, _ = round_of(http, DELTA, params={"$filter": "receivedDateTime ge 2024-02-01T00:00:00Z"})
        assert [m["subject"] for m in pages[0]] == ["Recent"]

    def test_delta_on_another_folder_tracks_that_folder(self, graph: GraphEmulator, http: httpx.Client) -> None:
        graph.deliver(MAILBOX, eml("Elsewhere"), folder="archive")
        pages, _ = round_of(http, f"/users/{MB}/mailFolders/archive/messages/delta")
        assert [m["subject"] for m in pages[0]] == ["Elsewhere"]
