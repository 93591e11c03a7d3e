"""The Mailbox port on a shared Outlook mailbox through Graph.

Inbound: inbox delta with a manual next-link loop (the SDK's PageIterator loses the delta link);
an expired delta token resyncs from the start, and the ledger's processed ids make the replay
harmless. Outbound, exactly once (reliability-security.md §1.2): a draft carrying the outbox key as a
single-value extended property, then /send with the SDK's retry off; after any error the key is
looked up (sent? still a draft?) before anything is sent again.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from bot.adapters.graph.client import IMMUTABLE, LoopThread, no_retry, status_of
from bot.adapters.graph.convert import inbound_message, outbound_message
from bot.crashpoints import crash_point
from bot.ports import InboundMessage, MailChanges, MailFolder, OutboundMessage, SentMessage

# a custom named property in the PS_PUBLIC_STRINGS set (extended-properties-overview)
KEY_PROPERTY = "String {00020329-0000-0000-C000-000000000046} Name cspr-bot-outbox-key"
ROOT_FOLDER = "cspr-bot"
SELECT = ["id", "subject", "from", "sender", "receivedDateTime", "internetMessageId", "internetMessageHeaders",
          "body", "hasAttachments", "conversationId"]
RESYNC_CODES = {"syncStateNotFound", "SyncStateNotFound", "resyncRequired", "SyncStateInvalid"}
INLINE_LIMIT = 3 * 1024 * 1024  # larger attachments go through an upload session


class SendUncertain(RuntimeError):
    """The send may or may not have happened; the message stays in the outbox and the next tick
    reconciles by key before anything is sent again."""


class GraphMailbox:
    def __init__(self, graph: Any, loop: LoopThread, *, address: str, uploads: Any = None) -> None:
        self.graph, self.loop, self.address = graph, loop, address
        self.user = graph.users.by_user_id(address)
        self._folders: dict[str, str] = {}
        self._uploads = uploads  # Uploader for attachments over 3 MB (no Authorization header)

    # ---- inbound
    def changes(self, cursor: str | None) -> MailChanges:
        found: dict[str, InboundMessage] = {}
        last = cursor or ""
        for page in self.pages(cursor):
            found.update((m.id, m) for m in page.messages)
            last = page.cursor
        return MailChanges(sorted(found.values(), key=lambda x: (x.received, x.id)), cursor=last)

    def pages(self, cursor: str | None) -> Iterator[MailChanges]:
        """A delta page (at most 50 messages) at a time; each page's cursor is its next link (Graph's
        next links resume a round), the last page's the delta link. Only one page is held at a time."""
        link = cursor
        while True:
            messages, following, delta = self.loop.read(lambda at=link: self._page(at))  # type: ignore[misc]
            crash_point("graph.delta.page_read")
            yield MailChanges(messages, cursor=following or delta or link or "")
            if not following:
                return
            link = following

    async def _page(self, link: str | None) -> tuple[list[InboundMessage], str | None, str | None]:
        """(the page's messages, oldest first; the next link, or None on the last page; the delta link)."""
        from kiota_abstractions.base_request_configuration import RequestConfiguration
        from msgraph.generated.users.item.mail_folders.item.messages.delta.delta_request_builder import (
            DeltaRequestBuilder,
        )

        builder = self.user.mail_folders.by_mail_folder_id("inbox").messages.delta
        config: Any = RequestConfiguration(
            query_parameters=DeltaRequestBuilder.DeltaRequestBuilderGetQueryParameters(select=SELECT))
        config.headers.add("Prefer", IMMUTABLE)
        config.headers.add("Prefer", "odata.maxpagesize=50")
        config.headers.add("Prefer", 'outlook.body-content-type="text"')  # the plain part, never rendered HTML
        try:
            page = await (builder.with_url(link).get(request_configuration=config) if link
                          else builder.get(request_configuration=config))
        except Exception as exc:
            if link and (status_of(exc) == 410 or _error_code(exc) in RESYNC_CODES):
                return await self._page(None)  # token expired: start again; processed ids dedupe
            raise
        found: dict[str, Any] = {}
        for m in page.value or []:
            if (m.additional_data or {}).get("@removed"):
                found.pop(m.id, None)
            else:
                found[m.id] = m
        messages = [inbound_message(m, await self._attachments(m)) for m in found.values()]
        messages.sort(key=lambda x: (x.received, x.id))
        return messages, page.odata_next_link, page.odata_delta_link

    async def _attachments(self, m: Any) -> list[Any]:
        from kiota_abstractions.base_request_configuration import RequestConfiguration
        from msgraph.generated.users.item.messages.item.attachments.attachments_request_builder import (
            AttachmentsRequestBuilder,
        )

        if not m.has_attachments:
            return []
        query = AttachmentsRequestBuilder.AttachmentsRequestBuilderGetQueryParameters(
            select=["id", "name", "contentType", "size", "isInline"])
        result = await self.user.messages.by_message_id(m.id).attachments.get(
            request_configuration=RequestConfiguration(query_parameters=query))
        return list(result.value or []) if result else []

    def attachment(self, message_id: str, attachment_id: str) -> bytes:
        async def fetch() -> bytes:
            a = await self.user.messages.by_message_id(message_id).attachments.by_attachment_id(attachment_id).get()
            data = getattr(a, "content_bytes", None)
            if isinstance(data, str):  # older SDKs hand back base64 text
                return base64.b64decode(data)
            return bytes(data or b"")

        return self.loop.read(fetch)

    # ---- outbound
    def send(self, message: OutboundMessage, *, key: str, at: datetime | None = None,
             first_attempt: bool = False) -> SentMessage:
        return self.loop.run(self._send(message, key, first_attempt))

    async def _send(self, message: OutboundMessage, key: str, first_attempt: bool = False) -> SentMessage:
        """Two requests on a first attempt (draft, send); a later attempt first looks for the earlier one
        in Sent Items and Drafts by key."""
        sent = None if first_attempt else await self._find(key, "sentitems")
        if sent is not None:
            return _receipt(key, sent)
        draft = None if first_attempt else await self._find(key, "drafts")
        if draft is not None and not await self._complete(draft.id, message):
            # a crash while a large attachment was uploading left the draft short of it: start again
            await self.user.messages.by_message_id(draft.id).delete(request_configuration=no_retry())
            draft = None
        if draft is None:
            draft = await self._create_draft(message, key)
        crash_point("graph.send.draft_created")
        try:
            await self.user.messages.by_message_id(draft.id).send.post(request_configuration=no_retry())
            crash_point("graph.send.posted")
        except Exception as exc:
            state = await self._state(draft.id)
            if state is None or state.is_draft:
                raise SendUncertain(f"send of {key} got {status_of(exc) or type(exc).__name__}; "
                                    "reconciled on the next tick") from exc
            return _receipt(key, state)
        return _receipt(key, draft)  # accepted (202): the draft already carries its Internet message id

    async def _create_draft(self, message: OutboundMessage, key: str) -> Any:
        small = [a for a in message.attachments if len(a.data) <= INLINE_LIMIT]
        large = [a for a in message.attachments if len(a.data) > INLINE_LIMIT]
        draft = await self.user.messages.post(outbound_message(message, key, KEY_PROPERTY, small),
                                              request_configuration=no_retry())
        for attachment in large:
            if self._uploads is None:
                raise SendUncertain("attachment over 3 MB and no uploader configured")
            await self._uploads.attach(self.user.messages.by_message_id(draft.id), attachment)
        return draft

    async def _complete(self, draft_id: str, message: OutboundMessage) -> bool:
        """Whether a draft found by key carries all its attachments. Small ones go in the single POST that
        creates the draft, so only a draft with large ones (uploaded after it) can be short."""
        from kiota_abstractions.base_request_configuration import RequestConfiguration
        from msgraph.generated.users.item.messages.item.attachments.attachments_request_builder import (
            AttachmentsRequestBuilder,
        )

        if all(len(a.data) <= INLINE_LIMIT for a in message.attachments):
            return True
        query = AttachmentsRequestBuilder.AttachmentsRequestBuilderGetQueryParameters(select=["id", "name", "size"])
        found = await self.user.messages.by_message_id(draft_id).attachments.get(
            request_configuration=RequestConfiguration(query_parameters=query))
        return len(found.value or []) >= len(message.attachments) if found else False

    async def _state(self, message_id: str) -> Any:
        from kiota_abstractions.base_request_configuration import RequestConfiguration
        from msgraph.generated.users.item.messages.item.message_item_request_builder import MessageItemRequestBuilder

        query = MessageItemRequestBuilder.MessageItemRequestBuilderGetQueryParameters(
            select=["id", "isDraft", "sentDateTime", "internetMessageId", "parentFolderId"])
        try:
            return await self.user.messages.by_message_id(message_id).get(
                request_configuration=RequestConfiguration(query_parameters=query))
        except Exception as exc:
            if status_of(exc) == 404:
                return None
            raise

    async def _find(self, key: str, folder: str) -> Any:
        from kiota_abstractions.base_request_configuration import RequestConfiguration
        from msgraph.generated.users.item.mail_folders.item.messages.messages_request_builder import (
            MessagesRequestBuilder,
        )

        safe = key.replace("'", "''")
        query = MessagesRequestBuilder.MessagesRequestBuilderGetQueryParameters(
            filter=f"singleValueExtendedProperties/any(ep: ep/id eq '{KEY_PROPERTY}' and ep/value eq '{safe}')",
            expand=[f"singleValueExtendedProperties($filter=id eq '{KEY_PROPERTY}')"],
            select=["id", "isDraft", "sentDateTime", "internetMessageId"])
        config: Any = RequestConfiguration(query_parameters=query)
        config.headers.add("Prefer", IMMUTABLE)
        result = await self.user.mail_folders.by_mail_folder_id(folder).messages.get(request_configuration=config)
        found = list(result.value or []) if result else []
        return found[0] if found else None

    def sent(self, key: str) -> SentMessage | None:
        async def find() -> SentMessage | None:
            m = await self._find(key, "sentitems")
            return _receipt(key, m) if m is not None else None

        return self.loop.read(find)

    # ---- filing
    def move(self, message_id: str, folder: MailFolder, *, reason: str = "", just_read: bool = False) -> None:
        self.loop.run(self._move(message_id, folder, reason, just_read))

    async def _move(self, message_id: str, folder: MailFolder, reason: str, just_read: bool = False) -> None:
        from msgraph.generated.models.message import Message
        from msgraph.generated.users.item.messages.item.move.move_post_request_body import MovePostRequestBody

        target = await self._folder(folder.value)
        item = self.user.messages.by_message_id(message_id)
        if not just_read and not await self._in_inbox(message_id):
            return  # filed already (a replay after a crash): leave it where it is
        try:
            if reason:
                await item.patch(Message(categories=["cspr-bot", f"cspr-bot: {' '.join(reason.split())[:200]}"]))
            await item.move.post(MovePostRequestBody(destination_id=target))
        except Exception as exc:
            if status_of(exc) != 404:  # already moved (a replay after a crash) is fine
                raise

    async def _in_inbox(self, message_id: str) -> bool:
        from kiota_abstractions.base_request_configuration import RequestConfiguration
        from msgraph.generated.users.item.messages.item.message_item_request_builder import MessageItemRequestBuilder

        if "inbox" not in self._folders:
            self._folders["inbox"] = str((await self.user.mail_folders.by_mail_folder_id("inbox").get()).id)
        query = MessageItemRequestBuilder.MessageItemRequestBuilderGetQueryParameters(select=["id", "parentFolderId"])
        try:
            m = await self.user.messages.by_message_id(message_id).get(
                request_configuration=RequestConfiguration(query_parameters=query))
        except Exception as exc:
            if status_of(exc) == 404:
                return False
            raise
        return str(m.parent_folder_id) == self._folders["inbox"]

    async def _folder(self, name: str) -> str:
        """The id of `cspr-bot/<name>`, creating the folders the first time."""
        if name not in self._folders:
            root, _ = await self._child(None, ROOT_FOLDER)
            self._folders[name], _ = await self._child(root, name)
        return self._folders[name]

    async def _child(self, parent: str | None, name: str) -> tuple[str, bool]:
        """A folder's id, creating it if missing (and whether it was created)."""
        from kiota_abstractions.base_request_configuration import RequestConfiguration
        from msgraph.generated.models.mail_folder import MailFolder as GraphFolder
        from msgraph.generated.users.item.mail_folders.mail_folders_request_builder import MailFoldersRequestBuilder

        builder = (self.user.mail_folders if parent is None
                   else self.user.mail_folders.by_mail_folder_id(parent).child_folders)
        query = MailFoldersRequestBuilder.MailFoldersRequestBuilderGetQueryParameters(
            filter=f"displayName eq '{name}'")
        found = await builder.get(request_configuration=RequestConfiguration(query_parameters=query))
        if found and found.value:
            return str(found.value[0].id), False
        created = await builder.post(GraphFolder(display_name=name))
        return str(created.id), True

    def ensure_folders(self) -> list[str]:
        """Create the bot's folders where missing (for `cspr-bot provision`); what was created."""
        async def ensure() -> list[str]:
            root, made = await self._child(None, ROOT_FOLDER)
            created = [ROOT_FOLDER] if made else []
            for folder in MailFolder:
                self._folders[folder.value], made = await self._child(root, folder.value)
                created += [f"{ROOT_FOLDER}/{folder.value}"] if made else []
            return created

        return self.loop.run(ensure())


def _error_code(exc: BaseException) -> str:
    error = getattr(exc, "error", None)
    return str(getattr(error, "code", "") or "")


def _receipt(key: str, m: Any) -> SentMessage:
    when = getattr(m, "sent_date_time", None) or datetime.now(UTC)
    return SentMessage(key=key, message_id=str(getattr(m, "internet_message_id", None) or m.id), sent_at=when)

