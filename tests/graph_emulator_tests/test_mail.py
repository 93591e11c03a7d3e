"""Mail endpoints over plain HTTP: delivery, reading with $select, attachments, drafts, sending, filters, folders."""

from __future__ import annotations

import base64
import email
from email import policy
from email.message import EmailMessage
from urllib.parse import quote

import httpx
import pytest

from tests.graph_emulator import GraphEmulator

from .conftest import MAILBOX, MB, PID, eml


def msg_url(message_id: str) -> str:
    return f"/users/{MB}/messages/{quote(message_id, safe='')}"


def make_draft(http: httpx.Client, key: str = "k-1", **extra: object) -> dict:
    body = {"subject": "Request", "body": {"contentType": "html", "content": "<p>Hi</p>"},
            "toRecipients": [{"emailAddress": {"address": "lead@agency.example"}}],
            "singleValueExtendedProperties": [{"id": PID, "value": key}], **extra}
    response = http.post(f"/users/{MB}/messages", json=body)
    assert response.status_code == 201, response.text
    return response.json()


class TestDelivery:
    def test_a_delivered_mail_keeps_every_header_its_body_and_its_attachment(self, graph: GraphEmulator) -> None:
        message_id = graph.deliver(MAILBOX, eml("Agency return", attachment=b"%PDF-return", X_Case="CSPR-7"))
        [message] = graph.messages(MAILBOX)
        names = [h["name"] for h in message["internetMessageHeaders"]]
        assert message["id"] == message_id and {"+", "/", "="} <= set(message_id)
        assert {"From", "To", "Subject", "Message-ID", "Authentication-Results", "X-Case"} <= set(names)
        assert message["from"] == {"emailAddress": {"name": "Duty Manager", "address": "duty@agency.example"}}
        assert message["sender"] == message["from"] and message["body"]["contentType"] == "html"
        assert message["hasAttachments"] and not message["isDraft"]
        assert message["parentFolderId"] == graph.folder_id(MAILBOX, "inbox")
        attachment = message["attachments"][0]
        assert attachment["@odata.type"] == "#microsoft.graph.fileAttachment" and attachment["name"] == "return.pdf"
        assert base64.b64decode(attachment["contentBytes"]) == b"%PDF-return"

    def test_a_reply_shares_the_conversation_of_the_mail_it_answers(self, graph: GraphEmulator) -> None:
        graph.deliver(MAILBOX, eml("Request", message_id="<req-1@cspr.example>"))
        graph.deliver(MAILBOX, eml("Re: Request", In_Reply_To="<req-1@cspr.example>",
                                   References="<req-1@cspr.example>"))
        first, reply = graph.messages(MAILBOX)
        assert first["conversationId"] == reply["conversationId"]


    def test_an_attached_email_becomes_an_item_attachment(self, graph: GraphEmulator, http: httpx.Client) -> None:
        outer = EmailMessage()
        outer["From"], outer["To"], outer["Subject"] = "a@agency.example", MAILBOX, "Fwd: chronology"
        outer.set_content("see attached")
        inner = email.message_from_bytes(eml("Chronology"), policy=policy.default)
        outer.add_attachment(inner)
        url = msg_url(graph.deliver(MAILBOX, outer.as_bytes())) + "/attachments"
        [attachment] = http.get(url).json()["value"]
        assert attachment["@odata.type"] == "#microsoft.graph.itemAttachment" and "contentBytes" not in attachment
        raw = http.get(f"{url}/{quote(attachment['id'], safe='')}/$value").content
        assert b"Subject: Chronology" in raw


    @pytest.mark.parametrize("raw", [
        b"From: <>>\r\nTo: ,,@\r\nSubject: =?bogus?Q?x?=\r\nDate: someday\r\n\r\nbody\r\n",
        b"From: a@agency.example\r\nSubject: =?utf-8?B?abcdefghi?=\r\n\r\nbody\r\n",
        b"From: a@agency.example\r\nContent-Type: text/plain; charset=no-such-charset\r\n\r\nbody\r\n",
        b"From: a@agency.example\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n"
        b"Content-Type: text/plain\r\n\r\nunterminated",
    ])
    def test_garbled_mail_is_still_delivered(self, graph: GraphEmulator, http: httpx.Client, raw: bytes) -> None:
        message_id = graph.deliver(MAILBOX, raw)
        assert http.get(msg_url(message_id)).json()["body"]["content"].startswith(("body", "unterminated"))


class TestReadingMessages:
    def test_select_returns_only_the_selected_properties_with_id_and_etag(self, graph: GraphEmulator,
                                                                          http: httpx.Client) -> None:
        message_id = graph.deliver(MAILBOX, eml())
        body = http.get(msg_url(message_id), params={"$select": "subject,from"}).json()
        assert set(body) == {"@odata.context", "@odata.etag", "id", "subject", "from"}

    def test_internet_message_headers_come_only_when_selected(self, graph: GraphEmulator, http: httpx.Client) -> None:
        message_id = graph.deliver(MAILBOX, eml())
        assert "internetMessageHeaders" not in http.get(msg_url(message_id)).json()
        selected = http.get(msg_url(message_id), params={"$select": "internetMessageHeaders"}).json()
        assert any(h["name"] == "Authentication-Results" for h in selected["internetMessageHeaders"])

    def test_an_unknown_property_in_select_is_refused(self, graph: GraphEmulator, http: httpx.Client) -> None:
        response = http.get(msg_url(graph.deliver(MAILBOX, eml())), params={"$select": "subjekt"})
        assert response.status_code == 400 and "subjekt" in response.json()["error"]["message"]

    def test_all_messages_are_listed_newest_first_in_pages(self, graph: GraphEmulator, http: httpx.Client) -> None:
        for n in range(3):
            graph.deliver(MAILBOX, eml(f"Case {n}"))
        first = http.get(f"/users/{MB}/messages", params={"$top": "2", "$select": "subject"}).json()
        second = http.get(first["@odata.nextLink"]).json()
        assert [m["subject"] for m in first["value"] + second["value"]] == ["Case 2", "Case 1", "Case 0"]

    def test_a_text_body_is_rendered_from_the_html_when_preferred(self, graph: GraphEmulator,
                                                                   http: httpx.Client) -> None:
        message_id = graph.deliver(MAILBOX, eml(body="Plain &amp; simple"))
        body = http.get(msg_url(message_id), headers={"Prefer": 'outlook.body-content-type="text"'}).json()["body"]
        assert body == {"contentType": "text", "content": "Plain & simple"}

    def test_a_missing_message_is_a_graph_404(self, http: httpx.Client) -> None:
        response = http.get(msg_url("AAMk+/nope="))
        assert response.status_code == 404 and response.json()["error"]["code"] == "ErrorItemNotFound"

    def test_the_mime_of_a_delivered_message_is_the_original(self, graph: GraphEmulator, http: httpx.Client) -> None:
        raw = eml("Raw")
        response = http.get(msg_url(graph.deliver(MAILBOX, raw)) + "/$value")
        assert response.content == raw

    def test_a_received_message_can_be_categorised_but_not_rewritten(self, graph: GraphEmulator,
                                                                     http: httpx.Client) -> None:
        message_id = graph.deliver(MAILBOX, eml())
        patched = http.patch(msg_url(message_id), json={"categories": ["Processed"], "isRead": True})
        assert patched.status_code == 200 and patched.json()["categories"] == ["Processed"]
        assert http.patch(msg_url(message_id), json={"subject": "changed"}).status_code == 400

    def test_move_keeps_the_id_and_delete_goes_to_deleted_items(self, graph: GraphEmulator,
                                                                http: httpx.Client) -> None:
        message_id = graph.deliver(MAILBOX, eml())
        moved = http.post(msg_url(message_id) + "/move", json={"DestinationId": "archive"})
        assert moved.status_code == 201 and moved.json()["id"] == message_id
        assert moved.json()["parentFolderId"] == graph.folder_id(MAILBOX, "archive")
        assert http.delete(msg_url(message_id)).status_code == 204
        assert [m["id"] for m in graph.messages(MAILBOX, folder="deleteditems")] == [message_id]


class TestAttachments:
    def test_a_listing_carries_bytes_unless_select_leaves_them_out(self, graph: GraphEmulator,
                                                                   http: httpx.Client) -> None:
        url = msg_url(graph.deliver(MAILBOX, eml(attachment=b"bytes"))) + "/attachments"
        [full] = http.get(url).json()["value"]
        [lean] = http.get(url, params={"$select": "id,name,contentType,size,isInline"}).json()["value"]
        assert base64.b64decode(full["contentBytes"]) == b"bytes" and "contentBytes" not in lean
        assert lean["@odata.type"] == "#microsoft.graph.fileAttachment" and lean["size"] == 5

    def test_one_attachment_is_read_as_json_and_as_raw_bytes(self, graph: GraphEmulator, http: httpx.Client) -> None:
        url = msg_url(graph.deliver(MAILBOX, eml(attachment=b"bytes"))) + "/attachments"
        attachment_id = http.get(url).json()["value"][0]["id"]
        one = http.get(f"{url}/{quote(attachment_id, safe='')}").json()
        raw = http.get(f"{url}/{quote(attachment_id, safe='')}/$value")
        assert base64.b64decode(one["contentBytes"]) == b"bytes" and raw.content == b"bytes"

    def test_an_attachment_posted_to_a_draft_is_created(self, http: httpx.Client) -> None:
        draft = make_draft(http)
        response = http.post(msg_url(draft["id"]) + "/attachments", json={
            "@odata.type": "#microsoft.graph.fileAttachment", "name": "a.txt", "contentBytes": "aGk="})
        assert response.status_code == 201 and response.json()["size"] == 2

    def test_an_attachment_without_its_odata_type_is_refused(self, http: httpx.Client) -> None:
        response = http.post(f"/users/{MB}/messages", json={"attachments": [{"name": "a", "contentBytes": "aGk="}]})
        assert response.status_code == 400


class TestDraftsAndSending:
    def test_a_draft_keeps_its_extended_property_and_inline_attachment(self, graph: GraphEmulator,
                                                                       http: httpx.Client) -> None:
        draft = make_draft(http, attachments=[{"@odata.type": "#microsoft.graph.fileAttachment", "name": "L.docx",
                                               "contentBytes": base64.b64encode(b"docx").decode()}])
        assert draft["isDraft"] and draft["hasAttachments"] and {"+", "/", "="} <= set(draft["id"])
        [stored] = graph.messages(MAILBOX, folder="drafts")
        assert stored["singleValueExtendedProperties"] == [
            {"id": PID.replace("C000", "c000"), "value": "k-1"}]
        assert base64.b64decode(stored["attachments"][0]["contentBytes"]) == b"docx"

    def test_a_draft_may_choose_its_internet_message_id(self, http: httpx.Client) -> None:
        draft = make_draft(http, internetMessageId="<chosen@cspr.example>")
        assert draft["internetMessageId"] == "<chosen@cspr.example>"

    def test_sending_moves_the_draft_to_sent_items_under_the_same_id(self, graph: GraphEmulator,
                                                                     http: httpx.Client) -> None:
        draft = make_draft(http)
        response = http.post(msg_url(draft["id"]) + "/send")
        assert response.status_code == 202 and response.content == b""
        [sent] = graph.messages(MAILBOX, folder="sentitems")
        assert sent["id"] == draft["id"] and not sent["isDraft"] and sent["sentDateTime"]
        assert graph.messages(MAILBOX, folder="drafts") == []
        assert http.post(msg_url(draft["id"]) + "/send").json()["error"]["code"] == "ErrorInvalidRequest"

    def test_a_draft_without_recipients_cannot_be_sent(self, http: httpx.Client) -> None:
        draft = make_draft(http, toRecipients=[])
        assert http.post(msg_url(draft["id"]) + "/send").status_code == 400

    def test_sent_items_are_found_by_extended_property_whatever_the_case(self, http: httpx.Client) -> None:
        for key in ("k-1", "k-2"):
            http.post(msg_url(make_draft(http, key)["id"]) + "/send")
        found = http.get(f"/users/{MB}/mailFolders/sentitems/messages", params={
            "$filter": f"singleValueExtendedProperties/any(ep: ep/id eq '{PID}' and ep/value eq 'K-2')",
            "$expand": f"singleValueExtendedProperties($filter=id eq '{PID}')", "$select": "id,subject"}).json()
        [message] = found["value"]
        assert message["singleValueExtendedProperties"][0]["value"] == "k-2" and "body" not in message

    def test_any_other_message_filter_is_a_501(self, http: httpx.Client) -> None:
        response = http.get(f"/users/{MB}/mailFolders/inbox/messages", params={"$filter": "isRead eq false"})
        assert response.status_code == 501 and "isRead eq false" in response.json()["error"]["message"]

    def test_send_mail_saves_to_sent_items_unless_told_not_to(self, graph: GraphEmulator, http: httpx.Client) -> None:
        message = {"subject": "One call", "toRecipients": [{"emailAddress": {"address": "a@agency.example"}}]}
        assert http.post(f"/users/{MB}/sendMail", json={"message": message}).status_code == 202
        http.post(f"/users/{MB}/sendMail", json={"Message": message, "SaveToSentItems": False})
        assert len(graph.messages(MAILBOX, folder="sentitems")) == 1 and len(graph.transmitted) == 2


class TestFolders:
    def test_a_top_level_folder_is_created_and_found_by_display_name(self, http: httpx.Client) -> None:
        created = http.post(f"/users/{MB}/mailFolders", json={"displayName": "Processed"})
        found = http.get(f"/users/{MB}/mailFolders", params={"$filter": "displayName eq 'Processed'"}).json()
        assert created.status_code == 201 and [f["id"] for f in found["value"]] == [created.json()["id"]]
        again = http.post(f"/users/{MB}/mailFolders", json={"displayName": "processed"})
        assert again.status_code == 409

    def test_a_child_folder_is_created_and_found_under_its_parent(self, graph: GraphEmulator,
                                                                  http: httpx.Client) -> None:
        parent = quote(graph.folder_id(MAILBOX, "inbox"), safe="")
        child = http.post(f"/users/{MB}/mailFolders/{parent}/childFolders", json={"displayName": "Returns"}).json()
        found = http.get(f"/users/{MB}/mailFolders/inbox/childFolders",
                         params={"$filter": "displayName eq 'Returns'"}).json()["value"]
        assert [f["id"] for f in found] == [child["id"]] and graph.folder_id(MAILBOX, "Inbox/Returns") == child["id"]

    def test_a_folder_is_read_by_well_known_name(self, graph: GraphEmulator, http: httpx.Client) -> None:
        graph.deliver(MAILBOX, eml())
        folder = http.get(f"/users/{MB}/mailFolders/Inbox").json()
        assert folder["displayName"] == "Inbox" and folder["totalItemCount"] == 1 and folder["unreadItemCount"] == 1
