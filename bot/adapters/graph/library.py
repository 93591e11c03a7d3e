"""The Library port on a SharePoint document library (the site's default drive) through Graph: a
folder per case; small files by PUT, large ones through an upload session whose chunks go to a
pre-authenticated URL without the Graph token; Word to PDF with Graph's `?format=pdf`."""

from __future__ import annotations

import builtins
from typing import Any

from bot.adapters.graph.client import LoopThread, status_of
from bot.adapters.local.library import safe_case_ref, safe_parts
from bot.ports import Document

SMALL_FILE = 4 * 1024 * 1024
CHUNK = 10 * 327_680  # upload-session chunks are multiples of 320 KiB


class SharePointLibrary:
    def __init__(self, graph: Any, loop: LoopThread, *, site: str, uploads: Any = None) -> None:
        self.graph, self.loop, self.site_ref, self.uploads = graph, loop, site, uploads
        self._drive: str | None = None

    async def _drive_builder(self) -> Any:
        if self._drive is None:
            drive = await self.graph.sites.by_site_id(self.site_ref).drive.get()
            self._drive = str(drive.id)
        return self.graph.drives.by_drive_id(self._drive)

    async def _item(self, parts: tuple[str, ...]) -> Any:
        # the SDK percent-encodes the whole "root:/…:" segment itself; encoding the parts too would
        # store "Letter 1.docx" as "Letter%201.docx"
        return (await self._drive_builder()).items.by_drive_item_id(f"root:/{'/'.join(parts)}:")

    def save(self, case_ref: str, path: str, data: bytes) -> Document:
        parts = safe_parts(case_ref, path)

        async def put() -> None:
            item = await self._item(parts)
            if len(data) <= SMALL_FILE or self.uploads is None:
                await item.content.put(data)
            else:
                await self.uploads.upload_file(item, data)

        self.loop.run(put())
        return Document(case_ref, "/".join(parts[1:]), len(data))

    def read(self, case_ref: str, path: str) -> bytes:
        parts = safe_parts(case_ref, path)

        async def get() -> bytes:
            try:
                return bytes(await (await self._item(parts)).content.get() or b"")
            except Exception as exc:
                if status_of(exc) in (400, 404):  # 400: the path is a folder, which has no content
                    raise FileNotFoundError(f"{case_ref}/{path}") from None
                raise

        return self.loop.read(get)

    def list(self, case_ref: str, folder: str = "") -> list[Document]:
        parts = safe_parts(case_ref, folder) if folder else (safe_case_ref(case_ref),)
        return sorted(self.loop.read(lambda: self._walk(case_ref, parts)), key=lambda d: d.path)

    async def _walk(self, case_ref: str, parts: tuple[str, ...]) -> builtins.list[Document]:
        try:
            page = await (await self._item(parts)).children.get()
        except Exception as exc:
            if status_of(exc) == 404:
                return []
            raise
        found: builtins.list[Document] = []
        while page is not None:
            for child in page.value or []:
                if child.folder is not None:
                    found += await self._walk(case_ref, (*parts, str(child.name)))
                elif not str(child.name).startswith("."):
                    found.append(Document(case_ref, "/".join((*parts[1:], str(child.name))), int(child.size or 0)))
            page = None if not page.odata_next_link else await (await self._item(parts)).children.with_url(
                page.odata_next_link).get()
        return found

    def delete(self, case_ref: str, path: str) -> None:
        parts = safe_parts(case_ref, path)

        async def remove() -> None:
            try:
                await (await self._item(parts)).delete()
            except Exception as exc:
                if status_of(exc) != 404:  # already gone: retention asks for absence, not for a deletion
                    raise

        self.loop.run(remove())

    def pdf(self, case_ref: str, path: str) -> bytes | None:
        parts = safe_parts(case_ref, path)

        async def convert() -> bytes | None:
            from kiota_abstractions.base_request_configuration import RequestConfiguration
            from msgraph.generated.drives.item.items.item.content.content_request_builder import (
                ContentRequestBuilder,
            )

            query = ContentRequestBuilder.ContentRequestBuilderGetQueryParameters(format="pdf")
            try:
                data = await (await self._item(parts)).content.get(
                    request_configuration=RequestConfiguration(query_parameters=query))
            except Exception as exc:
                if status_of(exc) in (404, 406, 415, 501):
                    return None
                raise
            return bytes(data) if data else None

        return self.loop.run(convert())
