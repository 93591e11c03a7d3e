"""Upload sessions for large mail attachments and drive files: chunking, ranges, and no token on upload URLs."""

from __future__ import annotations

from urllib.parse import quote

import httpx

from tests.graph_emulator import GraphEmulator

from .conftest import MAILBOX, MB


def put_chunks(upload_url: str, data: bytes, size: int, headers: dict[str, str] | None = None) -> list[httpx.Response]:
    answers = []
    for start in range(0, len(data), size):
        chunk = data[start:start + size]
        range_header = f"bytes {start}-{start + len(chunk) - 1}/{len(data)}"
        answers.append(httpx.put(upload_url, content=chunk, headers={"Content-Range": range_header, **(headers or {})}))
    return answers


def draft_id(http: httpx.Client) -> str:
    return http.post(f"/users/{MB}/messages", json={"subject": "Big"}).json()["id"]


def attachment_session(http: httpx.Client, message_id: str, size: int) -> dict:
    response = http.post(f"/users/{MB}/messages/{quote(message_id, safe='')}/attachments/createUploadSession",
                         json={"AttachmentItem": {"attachmentType": "file", "name": "Chronology.pdf", "size": size,
                                                  "contentType": "application/pdf"}})
    assert response.status_code == 201, response.text
    return response.json()


class TestUploadSessions:
    def test_a_large_attachment_arrives_in_chunks_and_lands_on_the_draft(self, graph: GraphEmulator,
                                                                         http: httpx.Client) -> None:
        message_id = draft_id(http)
        session = attachment_session(http, message_id, 10)
        assert session["uploadUrl"].startswith(f"{graph.origin}/upload/") and session["expirationDateTime"]
        answers = put_chunks(session["uploadUrl"], b"0123456789", 4)
        assert [a.status_code for a in answers] == [200, 200, 201]
        assert answers[0].json()["nextExpectedRanges"] == ["4"] and "Attachments(" in answers[2].headers["Location"]
        [attachment] = graph.message(MAILBOX, message_id)["attachments"]
        assert attachment["name"] == "Chronology.pdf" and attachment["size"] == 10
        assert graph.upload_auth_violations == []

    def test_an_authorization_header_on_an_upload_url_is_recorded(self, graph: GraphEmulator,
                                                                  http: httpx.Client) -> None:
        session = attachment_session(http, draft_id(http), 3)
        put_chunks(session["uploadUrl"], b"abc", 3, {"Authorization": "Bearer emulator-token"})
        [violation] = graph.upload_auth_violations
        assert violation.method == "PUT" and violation.path.startswith("/upload/")

    def test_an_upload_session_reports_its_progress_and_can_be_cancelled(self, http: httpx.Client) -> None:
        session = attachment_session(http, draft_id(http), 10)
        first = httpx.put(session["uploadUrl"], content=b"0123", headers={"Content-Range": "bytes 0-3/10"})
        assert first.status_code == 200 and httpx.get(session["uploadUrl"]).json()["nextExpectedRanges"] == ["4"]
        assert httpx.delete(session["uploadUrl"]).status_code == 204
        assert httpx.get(session["uploadUrl"]).status_code == 404

    def test_a_chunk_out_of_order_is_refused_with_416(self, http: httpx.Client) -> None:
        session = attachment_session(http, draft_id(http), 10)
        response = httpx.put(session["uploadUrl"], content=b"4567", headers={"Content-Range": "bytes 4-7/10"})
        assert response.status_code == 416 and response.json()["error"]["code"] == "invalidRange"

    def test_a_drive_upload_session_creates_the_file_on_its_last_chunk(self, graph: GraphEmulator, site: str,
                                                                       http: httpx.Client) -> None:
        drive = quote(graph.drive_id(site), safe="")
        session = http.post(f"/drives/{drive}/items/root%3A%2FPanel%2FPack.pdf%3A/createUploadSession",
                            json={"item": {"@microsoft.graph.conflictBehavior": "replace"}}).json()
        answers = put_chunks(session["uploadUrl"], b"x" * 10, 6)
        assert [a.status_code for a in answers] == [202, 201]
        assert answers[0].json()["nextExpectedRanges"] == ["6-"] and answers[1].json()["name"] == "Pack.pdf"
        assert graph.drive_files(site) == {"Panel/Pack.pdf": b"x" * 10}
