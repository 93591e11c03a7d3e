"""The real msgraph-sdk 1.65 over HTTP against the emulator: the calls the Graph adapter makes, and faults."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.graph_emulator import GraphEmulator

from .conftest import MAILBOX, PID, eml
from .sdk import (
    AttachmentItem,
    AttachmentSessionBody,
    AttachmentType,
    BodyType,
    ContentRequestBuilder,
    DeltaRequestBuilder,
    DriveItemUploadableProperties,
    DriveSessionBody,
    EmailAddress,
    FieldValueSet,
    FileAttachment,
    ItemBody,
    ItemsRequestBuilder,
    ListItem,
    Message,
    MessageItemRequestBuilder,
    MessagesRequestBuilder,
    MovePostRequestBody,
    ODataError,
    Recipient,
    RequestConfiguration,
    RetryHandlerOption,
    SingleValueLegacyExtendedProperty,
    make_client,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the SDK warns about its own classes
NO_RETRY = RetryHandlerOption(should_retry=False)


def draft_message(key: str) -> Message:
    return Message(
        subject="Request for information", body=ItemBody(content_type=BodyType.Html, content="<p>Please reply</p>"),
        to_recipients=[Recipient(email_address=EmailAddress(address="lead@agency.example"))],
        attachments=[FileAttachment(odata_type="#microsoft.graph.fileAttachment", name="Request.docx",
                                    content_type="application/octet-stream", content_bytes=b"docx bytes")],
        single_value_extended_properties=[SingleValueLegacyExtendedProperty(id=PID, value=key)])


async def inbox_delta(client: Any, link: str | None) -> tuple[list[Any], str]:
    builder = client.users.by_user_id(MAILBOX).mail_folders.by_mail_folder_id("inbox").messages.delta
    config = RequestConfiguration(query_parameters=DeltaRequestBuilder.DeltaRequestBuilderGetQueryParameters(
        select=["id", "subject", "from", "receivedDateTime", "hasAttachments", "internetMessageId"]))
    config.headers.add("Prefer", "odata.maxpagesize=2")
    config.headers.add("Prefer", 'IdType="ImmutableId"')
    page = await (builder.with_url(link).get(request_configuration=config) if link
                  else builder.get(request_configuration=config))
    found = []
    while True:
        found += page.value or []
        if not page.odata_next_link:
            return found, page.odata_delta_link
        page = await builder.with_url(page.odata_next_link).get(request_configuration=config)


class TestMailThroughTheSdk:
    def test_delta_pages_through_the_inbox_then_reports_new_and_moved_mail(self, graph: GraphEmulator) -> None:
        first = [graph.deliver(MAILBOX, eml(f"Case {n}")) for n in range(3)]

        async def scenario() -> tuple[list[Any], list[Any]]:
            client = make_client(graph.base_url)
            initial, link = await inbox_delta(client, None)
            await client.users.by_user_id(MAILBOX).messages.by_message_id(first[0]).move.post(
                MovePostRequestBody(destination_id="archive"))
            graph.deliver(MAILBOX, eml("Case 3"))
            later, _ = await inbox_delta(client, link)
            return initial, later

        initial, later = asyncio.run(scenario())
        assert [m.id for m in initial] == first and initial[0].subject == "Case 0"
        assert [m.additional_data.get("@removed") for m in later] == [{"reason": "deleted"}, None]
        assert later[0].id == first[0] and later[1].subject == "Case 3"
        assert graph.count("GET", r"/messages/delta\(\)$") == 1 and graph.count("GET", r"/messages/delta$") == 2

    def test_a_message_read_with_select_carries_its_internet_headers(self, graph: GraphEmulator) -> None:
        message_id = graph.deliver(MAILBOX, eml())

        async def scenario() -> tuple[Message, Message]:
            item = make_client(graph.base_url).users.by_user_id(MAILBOX).messages.by_message_id(message_id)
            query = MessageItemRequestBuilder.MessageItemRequestBuilderGetQueryParameters(
                select=["internetMessageHeaders", "from", "sender", "subject"])
            selected = await item.get(request_configuration=RequestConfiguration(query_parameters=query))
            return selected, await item.get()

        selected, plain = asyncio.run(scenario())
        headers = {h.name: h.value for h in selected.internet_message_headers}
        assert headers["Authentication-Results"].startswith("spf=pass")
        assert selected.from_.email_address.address == "duty@agency.example" and selected.body is None
        assert plain.internet_message_headers is None and plain.body.content_type == BodyType.Html

    def test_a_draft_is_sent_and_found_in_sent_items_by_its_extended_property(self, graph: GraphEmulator) -> None:
        async def scenario() -> tuple[str, list[Message]]:
            user = make_client(graph.base_url).users.by_user_id(MAILBOX)
            draft = await user.messages.post(draft_message("k-123"))
            await user.messages.by_message_id(draft.id).send.post(
                request_configuration=RequestConfiguration(options=[NO_RETRY]))
            query = MessagesRequestBuilder.MessagesRequestBuilderGetQueryParameters(
                filter=f"singleValueExtendedProperties/any(ep: ep/id eq '{PID}' and ep/value eq 'K-123')",
                expand=[f"singleValueExtendedProperties($filter=id eq '{PID}')"],
                select=["id", "subject", "sentDateTime"])
            found = await user.mail_folders.by_mail_folder_id("sentitems").messages.get(
                request_configuration=RequestConfiguration(query_parameters=query))
            return draft.id, found.value

        draft_id, found = asyncio.run(scenario())
        assert [m.id for m in found] == [draft_id] and found[0].sent_date_time is not None
        assert found[0].single_value_extended_properties[0].value == "k-123"
        sent = graph.messages(MAILBOX, folder="sentitems")[0]
        assert sent["attachments"][0]["name"] == "Request.docx" and not sent["isDraft"]
        assert graph.immutable_id_violations == []

    def test_a_503_after_send_still_sends_the_mail(self, graph: GraphEmulator) -> None:
        graph.fault("POST", r"/users/[^/]+/messages/[^/]+/send$", kind="503_after")

        async def scenario() -> tuple[str, int]:
            user = make_client(graph.base_url).users.by_user_id(MAILBOX)
            draft = await user.messages.post(draft_message("k-503"))
            with pytest.raises(ODataError) as seen:
                await user.messages.by_message_id(draft.id).send.post(
                    request_configuration=RequestConfiguration(options=[NO_RETRY]))
            return draft.id, seen.value.response_status_code

        draft_id, status = asyncio.run(scenario())
        assert status == 503
        assert [m["id"] for m in graph.messages(MAILBOX, folder="sentitems")] == [draft_id]
        assert graph.count("POST", r"/send$") == 1 and len(graph.transmitted) == 1

    def test_a_410_on_delta_gives_the_sdk_a_location_to_start_again(self, graph: GraphEmulator) -> None:
        graph.deliver(MAILBOX, eml())
        graph.fault("GET", r"/mailFolders/inbox/messages/delta", kind="410")

        async def scenario() -> tuple[ODataError, list[Any]]:
            client = make_client(graph.base_url)
            with pytest.raises(ODataError) as seen:
                await inbox_delta(client, None)
            restart = seen.value.response_headers["location"]
            return seen.value, (await inbox_delta(client, restart))[0]

        error, again = asyncio.run(scenario())
        assert error.response_status_code == 410 and error.error.code == "syncStateNotFound"
        assert len(again) == 1

    def test_a_reset_connection_surfaces_as_a_transport_error(self, graph: GraphEmulator) -> None:
        message_id = graph.deliver(MAILBOX, eml())
        graph.fault("GET", r"/messages/[^/]+$", kind="reset")

        async def scenario() -> None:
            await make_client(graph.base_url).users.by_user_id(MAILBOX).messages.by_message_id(message_id).get()

        with pytest.raises(httpx.TransportError):
            asyncio.run(scenario())
        assert graph.count("GET", r"/messages/[^/]+$") == 1

    def test_a_429_is_retried_by_the_sdk_after_retry_after(self, graph: GraphEmulator) -> None:
        message_id = graph.deliver(MAILBOX, eml("Throttled"))
        graph.fault("GET", r"/messages/[^/]+$", kind="429", retry_after=1)

        async def scenario() -> Message:
            return await make_client(graph.base_url).users.by_user_id(MAILBOX).messages.by_message_id(message_id).get()

        assert asyncio.run(scenario()).subject == "Throttled"
        assert [r.headers.get("retry-attempt") for r in graph.requests] == [None, "1"]


class TestListsAndDriveThroughTheSdk:
    def test_items_are_created_listed_with_fields_and_patched_with_if_match(self, graph: GraphEmulator,
                                                                             site: str) -> None:
        async def scenario() -> tuple[list[ListItem], int]:
            lst = make_client(graph.base_url).sites.by_site_id(site).lists.by_list_id("Cases")
            created = await lst.items.post(ListItem(fields=FieldValueSet(additional_data={
                "Title": "CSPR-001", "Status": "Open"})))
            query = ItemsRequestBuilder.ItemsRequestBuilderGetQueryParameters(
                expand=["fields($select=Title,Status)"], filter="fields/Status eq 'Open'", top=50)
            listed = await lst.items.get(request_configuration=RequestConfiguration(query_parameters=query))
            fresh = RequestConfiguration()
            fresh.headers.add("If-Match", listed.value[0].e_tag)
            await lst.items.by_list_item_id(created.id).fields.patch(
                FieldValueSet(additional_data={"Status": "Replied"}), request_configuration=fresh)
            graph.edit_item(site, "Cases", created.id, {"Status": "Closed"}, by="crg.chair@northshire-scp.example")
            with pytest.raises(ODataError) as stale:
                await lst.items.by_list_item_id(created.id).fields.patch(
                    FieldValueSet(additional_data={"Status": "Replied"}), request_configuration=fresh)
            return listed.value, stale.value.response_status_code

        listed, stale_status = asyncio.run(scenario())
        assert listed[0].fields.additional_data["Title"] == "CSPR-001"
        assert stale_status == 412
        item = graph.list_items(site, "Cases")[0]
        assert item["fields"]["Status"] == "Closed"
        assert item["lastModifiedBy"]["user"]["email"] == "crg.chair@northshire-scp.example"

    def test_a_file_uploaded_to_the_drive_reads_back_as_bytes_and_as_pdf(self, graph: GraphEmulator,
                                                                          site: str) -> None:
        async def scenario() -> tuple[Any, bytes, bytes]:
            client = make_client(graph.base_url)
            drive = await client.sites.by_site_id(site).drive.get()
            item = client.drives.by_drive_id(drive.id).items.by_drive_item_id("root:/Outgoing/Letter 1.docx:")
            uploaded = await item.content.put(b"PK docx bytes")
            content = client.drives.by_drive_id(drive.id).items.by_drive_item_id(uploaded.id).content
            pdf_query = ContentRequestBuilder.ContentRequestBuilderGetQueryParameters(format="pdf")
            pdf = await content.get(request_configuration=RequestConfiguration(query_parameters=pdf_query))
            return uploaded, await content.get(), pdf

        uploaded, data, pdf = asyncio.run(scenario())
        assert uploaded.name == "Letter 1.docx" and uploaded.size == len(b"PK docx bytes")
        assert data == b"PK docx bytes" and pdf.startswith(b"%PDF-1.4")
        assert graph.drive_files(site) == {"Outgoing/Letter 1.docx": b"PK docx bytes"}

    def test_upload_sessions_made_through_the_sdk_take_chunks_without_a_token(self, graph: GraphEmulator,
                                                                              site: str) -> None:
        async def scenario() -> None:
            client = make_client(graph.base_url)
            user = client.users.by_user_id(MAILBOX)
            draft = await user.messages.post(draft_message("k-big"))
            mail_session = await user.messages.by_message_id(draft.id).attachments.create_upload_session.post(
                AttachmentSessionBody(attachment_item=AttachmentItem(
                    attachment_type=AttachmentType.File, name="Big.pdf", size=6, content_type="application/pdf")))
            item = client.drives.by_drive_id(graph.drive_id(site)).items.by_drive_item_id("root:/Panel/Pack.pdf:")
            drive_session = await item.create_upload_session.post(DriveSessionBody(item=DriveItemUploadableProperties(
                additional_data={"@microsoft.graph.conflictBehavior": "replace"})))
            async with httpx.AsyncClient() as plain:
                for session in (mail_session, drive_session):
                    for start in (0, 3):
                        await plain.put(session.upload_url, content=b"abcdef"[start:start + 3],
                                        headers={"Content-Range": f"bytes {start}-{start + 2}/6"})

        asyncio.run(scenario())
        assert graph.drive_files(site) == {"Panel/Pack.pdf": b"abcdef"}
        [draft] = graph.messages(MAILBOX, folder="drafts")
        assert [a["name"] for a in draft["attachments"]] == ["Request.docx", "Big.pdf"]
        assert graph.upload_auth_violations == []
