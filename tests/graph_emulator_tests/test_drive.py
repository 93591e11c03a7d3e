"""The document library over plain HTTP: uploads by path in both URL forms, children, downloads, PDF conversion."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from tests.graph_emulator import GraphEmulator


@pytest.fixture
def drive(graph: GraphEmulator, site: str, http: httpx.Client) -> str:
    found = http.get(f"/sites/{quote(site, safe='')}/drive").json()
    assert found["id"] == graph.drive_id(site)
    return f"/drives/{quote(found['id'], safe='')}"


class TestDrive:
    @pytest.mark.parametrize("ref", ["root:/Outgoing/Letter 1.docx:", "items/root:/Outgoing/Letter 1.docx:",
                                     "items/root%3A%2FOutgoing%2FLetter%201.docx%3A"])
    def test_a_file_put_by_path_is_created_then_replaced(self, graph: GraphEmulator, site: str, drive: str,
                                                         http: httpx.Client, ref: str) -> None:
        created = http.put(f"{drive}/{ref}/content", content=b"v1")
        replaced = http.put(f"{drive}/{ref}/content", content=b"v2")
        assert (created.status_code, replaced.status_code) == (201, 200)
        body = replaced.json()
        assert body["id"] == created.json()["id"] and body["name"] == "Letter 1.docx" and body["size"] == 2
        assert body["file"]["mimeType"].endswith("wordprocessingml.document")
        assert body["parentReference"]["path"].endswith("/root:/Outgoing")
        assert graph.drive_files(site) == {"Outgoing/Letter 1.docx": b"v2"}

    def test_conflict_behaviour_fail_and_rename_are_honoured(self, graph: GraphEmulator, site: str, drive: str,
                                                             http: httpx.Client) -> None:
        graph.put_file(site, "Outgoing/a.docx", b"first")
        url = f"{drive}/root:/Outgoing/a.docx:/content"
        assert http.put(url, params={"@microsoft.graph.conflictBehavior": "fail"}, content=b"x").status_code == 409
        renamed = http.put(url, params={"@microsoft.graph.conflictBehavior": "rename"}, content=b"x").json()
        assert renamed["name"] == "a 1.docx"

    @pytest.mark.parametrize("ref", ["root:/Outgoing:", "items/root%3A%2FOutgoing%3A"])
    def test_children_of_a_folder_are_listed_by_path(self, graph: GraphEmulator, site: str, drive: str,
                                                     http: httpx.Client, ref: str) -> None:
        graph.put_file(site, "Outgoing/b.docx", b"b")
        graph.put_file(site, "Outgoing/Sub/c.docx", b"c")
        children = http.get(f"{drive}/{ref}/children").json()["value"]
        assert [(c["name"], "file" in c, "folder" in c) for c in children] == [("b.docx", True, False),
                                                                               ("Sub", False, True)]

    def test_content_is_read_by_id_and_by_path(self, graph: GraphEmulator, site: str, drive: str,
                                               http: httpx.Client) -> None:
        item_id = graph.put_file(site, "In/r.docx", b"return")
        assert http.get(f"{drive}/items/{item_id}/content").content == b"return"
        assert http.get(f"{drive}/root:/In/r.docx:/content").content == b"return"

    @pytest.mark.parametrize("param", ["format", "$format"])
    def test_a_document_converts_to_a_fake_pdf(self, graph: GraphEmulator, site: str, drive: str,
                                               http: httpx.Client, param: str) -> None:
        item_id = graph.put_file(site, "Out/l.docx", b"docx")
        response = http.get(f"{drive}/items/{item_id}/content", params={param: "pdf"})
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-1.4\n% converted by the Graph emulator\n")

    def test_a_csv_does_not_convert_to_pdf(self, graph: GraphEmulator, site: str, drive: str,
                                           http: httpx.Client) -> None:
        item_id = graph.put_file(site, "Out/l.csv", b"a,b")
        assert http.get(f"{drive}/items/{item_id}/content", params={"format": "pdf"}).status_code == 406

    def test_drive_and_item_metadata_are_read_by_id_and_by_path(self, graph: GraphEmulator, site: str, drive: str,
                                                                http: httpx.Client) -> None:
        item_id = graph.put_file(site, "In/r.docx", b"return")
        assert http.get(drive).json()["driveType"] == "documentLibrary"
        assert http.get(f"/sites/{quote(site, safe='')}/drives").json()["value"][0]["id"] == graph.drive_id(site)
        assert http.get(f"{drive}/root:/In/r.docx").json()["id"] == item_id
        assert http.get(f"{drive}/items/{item_id}").json()["name"] == "r.docx"

    def test_a_deleted_file_is_gone(self, graph: GraphEmulator, site: str, drive: str, http: httpx.Client) -> None:
        graph.put_file(site, "In/r.docx", b"return")
        assert http.delete(f"{drive}/root:/In/r.docx:").status_code == 204
        assert graph.drive_files(site) == {}

    def test_missing_items_and_folder_content_are_graph_404s(self, graph: GraphEmulator, site: str, drive: str,
                                                             http: httpx.Client) -> None:
        graph.put_file(site, "Folder/x.docx", b"x")
        for url in (f"{drive}/root:/Nope/x.docx:/content", f"{drive}/items/01NOPE/content",
                    f"{drive}/root:/Nope:/children", f"{drive}/root:/Folder:/content"):
            response = http.get(url)
            assert response.status_code == 404 and response.json()["error"]["code"] == "itemNotFound"
