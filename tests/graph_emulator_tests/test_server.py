"""The server itself: the token, unknown endpoints, URL quirks the SDK produces, and the request log."""

from __future__ import annotations

import httpx

from tests.graph_emulator import GraphEmulator, Request

from .conftest import MAILBOX, MB


class TestServer:
    def test_graph_paths_need_the_emulator_token(self, graph: GraphEmulator) -> None:
        missing = httpx.get(f"{graph.base_url}/users/{MB}/mailFolders")
        wrong = httpx.get(f"{graph.base_url}/users/{MB}/mailFolders", headers={"Authorization": "Bearer nope"})
        assert missing.status_code == wrong.status_code == 401
        assert missing.json()["error"]["code"] == "InvalidAuthenticationToken"

    def test_an_unknown_endpoint_is_a_501_that_names_the_path(self, http: httpx.Client) -> None:
        response = http.get(f"/users/{MB}/calendar/events")
        assert response.status_code == 501
        assert f"GET /v1.0/users/{MB}/calendar/events" in response.json()["error"]["message"]

    def test_double_slashes_and_case_in_segments_are_tolerated(self, graph: GraphEmulator) -> None:
        headers = {"Authorization": f"Bearer {graph.token}"}
        response = httpx.get(f"{graph.base_url}//users/{MB}/mailfolders/INBOX", headers=headers)
        assert response.status_code == 200 and response.json()["displayName"] == "Inbox"

    def test_an_unknown_mailbox_is_a_404(self, http: httpx.Client) -> None:
        response = http.get("/users/nobody%40example.org/mailFolders/inbox")
        assert response.status_code == 404 and response.json()["error"]["code"] == "ErrorInvalidUser"

    def test_requests_are_logged_in_order_with_lower_case_headers(self, graph: GraphEmulator,
                                                                  http: httpx.Client) -> None:
        http.post(f"/users/{MB}/mailFolders", params={"x": "1"}, json={"displayName": "A"})
        http.get(f"/users/{MB}/mailFolders/inbox", headers={"Prefer": "odata.maxpagesize=5"})
        first, second = graph.requests
        assert isinstance(first, Request) and first.method == "POST" and first.query == {"x": "1"}
        assert first.path == f"/v1.0/users/{MB}/mailFolders" and b'"displayName"' in first.body
        assert first.headers["authorization"] == f"Bearer {graph.token}"
        assert (first.immutable_id, second.immutable_id) == (True, False)
        assert graph.immutable_id_violations == [second] and graph.count("GET", r"/inbox$") == 1

    def test_the_api_works_before_any_request_and_stops_cleanly(self) -> None:
        with GraphEmulator() as graph:
            graph.add_mailbox(MAILBOX)
            assert graph.base_url.startswith("http://127.0.0.1:") and graph.base_url.endswith("/v1.0")
            base = graph.base_url
        try:
            httpx.get(base, timeout=1)
        except httpx.TransportError:
            pass
        else:
            raise AssertionError("the server still answers after the with block")
