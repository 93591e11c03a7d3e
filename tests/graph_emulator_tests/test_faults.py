"""Scripted faults over plain HTTP: which ones act before failing, which after, and how often they fire."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from tests.graph_emulator import GraphEmulator

from .conftest import MAILBOX, MB, eml

DRAFT = {"subject": "x", "toRecipients": [{"emailAddress": {"address": "a@agency.example"}}]}


class TestFaults:
    def test_a_429_carries_retry_after_and_does_nothing(self, graph: GraphEmulator, http: httpx.Client) -> None:
        graph.fault("POST", r"/messages$", kind="429", retry_after=7)
        response = http.post(f"/users/{MB}/messages", json=DRAFT)
        assert response.status_code == 429 and response.headers["Retry-After"] == "7"
        assert response.json()["error"]["code"] == "ApplicationThrottled"
        assert graph.messages(MAILBOX, folder="drafts") == []

    @pytest.mark.parametrize("kind", ["503", "504"])
    def test_a_plain_5xx_fails_before_acting(self, graph: GraphEmulator, http: httpx.Client, kind: str) -> None:
        graph.fault("POST", r"/messages$", kind=kind)
        assert http.post(f"/users/{MB}/messages", json=DRAFT).status_code == int(kind)
        assert graph.messages(MAILBOX, folder="drafts") == []

    @pytest.mark.parametrize("kind", ["503_after", "504_after"])
    def test_an_after_fault_acts_then_fails(self, graph: GraphEmulator, http: httpx.Client, kind: str) -> None:
        graph.fault("POST", r"/messages$", kind=kind)
        response = http.post(f"/users/{MB}/messages", json=DRAFT)
        assert response.status_code == int(kind[:3]) and "error" in response.json()
        assert len(graph.messages(MAILBOX, folder="drafts")) == 1

    def test_202_with_retry_after_still_sends(self, graph: GraphEmulator, http: httpx.Client) -> None:
        draft = http.post(f"/users/{MB}/messages", json=DRAFT).json()
        graph.fault("POST", r"/send$", kind="202_retry_after", retry_after=5)
        response = http.post(f"/users/{MB}/messages/{quote(draft['id'], safe='')}/send")
        assert response.status_code == 202 and response.headers["Retry-After"] == "5"
        assert len(graph.messages(MAILBOX, folder="sentitems")) == 1

    @pytest.mark.parametrize(("after", "drafts"), [(False, 0), (True, 1)])
    def test_a_reset_drops_the_connection_before_or_after_acting(self, graph: GraphEmulator, http: httpx.Client,
                                                                 after: bool, drafts: int) -> None:
        graph.fault("POST", r"/messages$", kind="reset", after=after)
        with pytest.raises(httpx.TransportError):
            http.post(f"/users/{MB}/messages", json=DRAFT)
        assert len(graph.messages(MAILBOX, folder="drafts")) == drafts
        assert http.get(f"/users/{MB}/mailFolders/drafts").status_code == 200

    def test_a_410_on_mail_delta_points_at_a_fresh_delta(self, graph: GraphEmulator, http: httpx.Client) -> None:
        graph.deliver(MAILBOX, eml())
        graph.fault("GET", r"/messages/delta", kind="410")
        gone = http.get(f"/users/{MB}/mailFolders/inbox/messages/delta", params={"$deltatoken": "old"})
        assert gone.status_code == 410 and gone.headers["Location"].startswith(graph.base_url)
        assert len(http.get(gone.headers["Location"]).json()["value"]) == 1

    def test_a_fault_fires_only_as_many_times_as_scripted(self, graph: GraphEmulator, http: httpx.Client) -> None:
        graph.fault("GET", r"/mailFolders/inbox$", kind="503", times=2)
        graph.fault("*", r"/mailFolders/drafts$", kind="504", times=None)
        codes = [http.get(f"/users/{MB}/mailFolders/inbox").status_code for _ in range(3)]
        assert codes == [503, 503, 200]
        assert {http.get(f"/users/{MB}/mailFolders/drafts").status_code for _ in range(3)} == {504}

    def test_a_fault_pattern_may_match_the_decoded_path(self, graph: GraphEmulator, http: httpx.Client) -> None:
        graph.fault("GET", rf"/users/{MAILBOX}/mailFolders", kind="503")
        assert http.get(f"/users/{MB}/mailFolders").status_code == 503
        assert graph.count("GET", rf"/users/{MAILBOX}/mailFolders$") == 1

    def test_an_unknown_fault_kind_is_a_test_error(self, graph: GraphEmulator) -> None:
        with pytest.raises(ValueError, match="unknown fault kind"):
            graph.fault("GET", r".", kind="418")
