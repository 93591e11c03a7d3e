"""Upload sessions for large files, as a small httpx loop instead of the SDK's LargeFileUploadTask
(m365-graph.md §0.7): the session is created through the SDK, the chunks go to the pre-authenticated
upload URL with NO Authorization header, in order, each a multiple of 320 KiB."""

from __future__ import annotations

from typing import Any

from bot.adapters.graph.client import no_retry
from bot.ports import Attachment

CHUNK = 10 * 327_680


class Uploader:
    def __init__(self, http: Any = None) -> None:
        import httpx

        self.http = http or httpx.AsyncClient(timeout=httpx.Timeout(120.0, connect=30.0))

    async def _put_chunks(self, url: str, data: bytes) -> None:
        total = len(data)
        for start in range(0, total, CHUNK):
            chunk = data[start:start + CHUNK]
            response = await self.http.put(url, content=chunk, headers={
                "Content-Range": f"bytes {start}-{start + len(chunk) - 1}/{total}",
                "Content-Length": str(len(chunk))})
            if response.status_code not in (200, 201, 202):
                raise RuntimeError(f"upload chunk at {start} answered {response.status_code}")

    async def attach(self, message: Any, attachment: Attachment) -> None:
        """A file attachment over 3 MB on a draft message."""
        from msgraph.generated.models.attachment_item import AttachmentItem
        from msgraph.generated.models.attachment_type import AttachmentType
        from msgraph.generated.users.item.messages.item.attachments.create_upload_session.create_upload_session_post_request_body import (  # noqa: E501
            CreateUploadSessionPostRequestBody,
        )

        session = await message.attachments.create_upload_session.post(CreateUploadSessionPostRequestBody(
            attachment_item=AttachmentItem(attachment_type=AttachmentType.File, name=attachment.name,
                                           size=len(attachment.data), content_type=attachment.content_type)),
            request_configuration=no_retry())
        await self._put_chunks(str(session.upload_url), attachment.data)

    async def upload_file(self, item: Any, data: bytes) -> None:
        """A document over 4 MB into the library, replacing any with the same path."""
        from msgraph.generated.drives.item.items.item.create_upload_session.create_upload_session_post_request_body import (  # noqa: E501
            CreateUploadSessionPostRequestBody,
        )
        from msgraph.generated.models.drive_item_uploadable_properties import DriveItemUploadableProperties

        body = CreateUploadSessionPostRequestBody(item=DriveItemUploadableProperties(
            additional_data={"@microsoft.graph.conflictBehavior": "replace"}))
        session = await item.create_upload_session.post(body, request_configuration=no_retry())
        await self._put_chunks(str(session.upload_url), data)
