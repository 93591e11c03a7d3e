"""SharePoint over plain HTTP: sites, lists, columns, items with fields, filters, paging, If-Match and delta."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from tests.graph_emulator import GraphEmulator

from .conftest import HOST

PERSON = "crg.chair@northshire-scp.example"
HONOR = {"Prefer": "HonorNonIndexedQueriesWarningMayFailRandomly"}


def items_url(site: str) -> str:
    return f"/sites/{quote(site, safe='')}/lists/Cases/items"


def add(http: httpx.Client, site: str, **fields: object) -> dict:
    response = http.post(items_url(site), json={"fields": fields})
    assert response.status_code == 201, response.text
    return response.json()


class TestSitesAndLists:
    @pytest.mark.parametrize("path", [f"/sites/{HOST}:/sites/cspr", f"/sites/{HOST}%3A%2Fsites%2Fcspr",
                                      f"/sites/{HOST}:/sites/cspr:"])
    def test_a_site_is_found_by_hostname_and_path(self, site: str, http: httpx.Client, path: str) -> None:
        assert http.get(path).json()["id"] == site

    def test_a_site_id_has_three_parts_and_reads_back(self, site: str, http: httpx.Client) -> None:
        assert site.count(",") == 2 and http.get(f"/sites/{quote(site, safe='')}").json()["id"] == site

    def test_a_list_is_found_by_display_name_filter_and_by_title(self, site: str, http: httpx.Client) -> None:
        base = f"/sites/{quote(site, safe='')}/lists"
        [found] = http.get(base, params={"$filter": "displayName eq 'Cases'"}).json()["value"]
        assert http.get(f"{base}/Cases").json()["id"] == found["id"] == http.get(f"{base}/{found['id']}").json()["id"]

    def test_a_list_created_through_graph_has_its_columns_and_refuses_a_twin(self, site: str,
                                                                             http: httpx.Client) -> None:
        body = {"displayName": "Agencies", "list": {"template": "genericList"},
                "columns": [{"name": "Email", "text": {}}, {"name": "Active", "boolean": {}}]}
        created = http.post(f"/sites/{quote(site, safe='')}/lists", json=body)
        assert created.status_code == 201
        assert {"Title", "Email", "Active"} <= {c["name"] for c in created.json()["columns"]}
        assert http.post(f"/sites/{quote(site, safe='')}/lists", json=body).status_code == 409

    def test_a_column_is_added_then_indexed(self, site: str, http: httpx.Client) -> None:
        columns = f"/sites/{quote(site, safe='')}/lists/Cases/columns"
        column = http.post(columns, json={"name": "Lead", "text": {}}).json()
        patched = http.patch(f"{columns}/{column['id']}", json={"indexed": True}).json()
        assert patched["indexed"] is True and "Lead" in {c["name"] for c in http.get(columns).json()["value"]}


class TestItems:
    def test_an_item_created_by_the_app_carries_no_user_email(self, site: str, http: httpx.Client) -> None:
        item = add(http, site, Title="CSPR-001", Status="Open")
        assert item["id"] == "1" and item["lastModifiedBy"] == {"application": {
            "id": item["lastModifiedBy"]["application"]["id"], "displayName": "cspr-bot"}}
        assert item["@odata.etag"] == item["eTag"] == item["fields"]["@odata.etag"] and item["eTag"].endswith(',1"')

    def test_items_come_with_fields_only_when_expanded(self, site: str, http: httpx.Client) -> None:
        add(http, site, Title="CSPR-001")
        assert "fields" not in http.get(items_url(site)).json()["value"][0]
        [item] = http.get(items_url(site), params={"$expand": "fields($select=Title,Status)"}).json()["value"]
        assert item["fields"] == {"@odata.etag": item["eTag"], "Title": "CSPR-001"}

    def test_items_are_filtered_on_an_indexed_field(self, site: str, http: httpx.Client) -> None:
        add(http, site, Title="A", Status="Open")
        add(http, site, Title="B", Status="Closed")
        found = http.get(items_url(site), params={"$expand": "fields", "$filter": "fields/Status eq 'open'"}).json()
        assert [i["fields"]["Title"] for i in found["value"]] == ["A"]

    def test_a_non_indexed_field_filters_only_with_the_prefer_header(self, site: str, http: httpx.Client) -> None:
        add(http, site, Title="A", CaseRef="R-1")
        refused = http.get(items_url(site), params={"$filter": "fields/CaseRef eq 'R-1'"})
        allowed = http.get(items_url(site), params={"$filter": "fields/CaseRef eq 'R-1'"}, headers=HONOR)
        assert refused.status_code == 400 and "not indexed" in refused.json()["error"]["message"]
        assert len(allowed.json()["value"]) == 1

    def test_items_page_with_an_absolute_next_link(self, graph: GraphEmulator, site: str, http: httpx.Client) -> None:
        for n in range(5):
            add(http, site, Title=f"T{n}")
        first = http.get(items_url(site), params={"$top": "2", "$expand": "fields"}).json()
        assert first["@odata.nextLink"].startswith(graph.base_url)
        second = http.get(first["@odata.nextLink"]).json()
        assert [i["id"] for i in second["value"]] == ["3", "4"] and "fields" in second["value"][0]

    def test_a_fields_patch_with_the_current_etag_succeeds_and_a_stale_one_is_412(self, graph: GraphEmulator,
                                                                                 site: str,
                                                                                 http: httpx.Client) -> None:
        item = add(http, site, Title="A", Status="Open")
        url = f"{items_url(site)}/{item['id']}/fields"
        patched = http.patch(url, json={"Status": "Replied"}, headers={"If-Match": item["eTag"]})
        assert patched.status_code == 200 and patched.json()["Status"] == "Replied"
        stale = http.patch(url, json={"Status": "Closed"}, headers={"If-Match": item["eTag"]})
        assert stale.status_code == 412 and stale.json()["error"]["code"] == "preconditionFailed"
        assert http.patch(url, json={"Status": "Closed"}).status_code == 200

    def test_a_person_edit_bumps_the_etag_and_names_the_person(self, graph: GraphEmulator, site: str,
                                                               http: httpx.Client) -> None:
        item = add(http, site, Title="A")
        etag = graph.edit_item(site, "Cases", item["id"], {"Status": "Closed"}, by=PERSON)
        read = http.get(f"{items_url(site)}/{item['id']}", params={"$expand": "fields"}).json()
        assert read["eTag"] == etag != item["eTag"] and read["lastModifiedBy"]["user"]["email"] == PERSON
        assert read["createdBy"] == item["createdBy"] and read["fields"]["Status"] == "Closed"

    def test_unknown_and_read_only_fields_are_refused(self, site: str, http: httpx.Client) -> None:
        unknown = http.post(items_url(site), json={"fields": {"Stauts": "Open"}})
        read_only = http.post(items_url(site), json={"fields": {"Modified": "2024-01-01T00:00:00Z"}})
        assert unknown.status_code == read_only.status_code == 400
        assert unknown.json()["error"]["message"] == "Field 'Stauts' is not recognized"

    def test_the_fields_of_one_item_are_read_on_their_own(self, graph: GraphEmulator, site: str,
                                                          http: httpx.Client) -> None:
        item_id = graph.add_item(site, "Cases", {"Title": "Seeded", "Status": "Open"}, by=PERSON)
        fields = http.get(f"{items_url(site)}/{item_id}/fields").json()
        assert fields["Title"] == "Seeded" and fields["id"] == item_id and "CaseRef" not in fields

    def test_versions_name_who_made_each_change_and_expand_to_the_fields_then(self, graph: GraphEmulator, site: str,
                                                                              http: httpx.Client) -> None:
        item = add(http, site, Title="A", Status="Open")
        graph.edit_item(site, "Cases", item["id"], {"Status": "Closed"}, by=PERSON)
        url = f"{items_url(site)}/{item['id']}/versions"
        plain = http.get(url).json()["value"]
        expanded = http.get(url, params={"$expand": "fields"}).json()["value"]
        assert [v["id"] for v in plain] == ["2.0", "1.0"] and "fields" not in plain[0]
        assert plain[0]["lastModifiedBy"]["user"]["email"] == PERSON and "application" in plain[1]["lastModifiedBy"]
        assert [v["fields"]["Status"] for v in expanded] == ["Closed", "Open"]
        assert http.get(f"{url}/1.0", params={"$expand": "fields"}).json()["fields"]["Status"] == "Open"

    def test_an_item_is_deleted_and_then_missing(self, site: str, http: httpx.Client) -> None:
        item = add(http, site, Title="A")
        assert http.delete(f"{items_url(site)}/{item['id']}").status_code == 204
        assert http.get(f"{items_url(site)}/{item['id']}").status_code == 404


class TestItemsDelta:
    def test_the_first_round_lists_every_item_with_fields_across_pages(self, site: str, http: httpx.Client) -> None:
        for n in range(3):
            add(http, site, Title=f"T{n}")
        first = http.get(f"{items_url(site)}/delta", params={"$top": "2"}).json()
        second = http.get(first["@odata.nextLink"]).json()
        assert "token=" in first["@odata.nextLink"] and "token=" in second["@odata.deltaLink"]
        assert [i["fields"]["Title"] for i in first["value"] + second["value"]] == ["T0", "T1", "T2"]

    def test_a_later_round_has_changed_and_deleted_items_only(self, graph: GraphEmulator, site: str,
                                                              http: httpx.Client) -> None:
        a, b, _ = (add(http, site, Title=f"T{n}") for n in range(3))
        link = http.get(f"{items_url(site)}/delta()").json()["@odata.deltaLink"]
        graph.edit_item(site, "Cases", a["id"], {"Status": "Closed"}, by=PERSON)
        http.delete(f"{items_url(site)}/{b['id']}")
        later = http.get(link).json()["value"]
        assert later[0]["id"] == a["id"] and later[0]["lastModifiedBy"]["user"]["email"] == PERSON
        assert later[1] == {"id": b["id"], "deleted": {"state": "deleted"}}

    def test_token_latest_gives_an_empty_page_and_a_link_from_now(self, site: str, http: httpx.Client) -> None:
        add(http, site, Title="Before")
        latest = http.get(f"{items_url(site)}/delta", params={"token": "latest"}).json()
        add(http, site, Title="After")
        assert latest["value"] == []
        assert [i["fields"]["Title"] for i in http.get(latest["@odata.deltaLink"]).json()["value"]] == ["After"]

    def test_repeat_page_serves_a_list_delta_page_twice(self, graph: GraphEmulator, site: str,
                                                        http: httpx.Client) -> None:
        for n in range(3):
            add(http, site, Title=f"T{n}")
        graph.fault("GET", r"/items/delta", kind="repeat_page")
        first = http.get(f"{items_url(site)}/delta", params={"$top": "2"}).json()
        again = http.get(first["@odata.nextLink"]).json()
        assert [i["id"] for i in again["value"]] == [i["id"] for i in first["value"]] == ["1", "2"]
        assert [i["id"] for i in http.get(again["@odata.nextLink"]).json()["value"]] == ["3"]

    def test_a_410_points_at_a_fresh_delta(self, graph: GraphEmulator, site: str, http: httpx.Client) -> None:
        add(http, site, Title="A")
        graph.fault("GET", r"/items/delta", kind="410")
        gone = http.get(f"{items_url(site)}/delta", params={"token": "stale"})
        assert gone.status_code == 410 and gone.json()["error"]["code"] == "resyncChangesApplyDifferences"
        assert len(http.get(gone.headers["Location"]).json()["value"]) == 1
