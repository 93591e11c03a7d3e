"""`cspr-bot doctor`: one line per check of the Microsoft 365 connection, each failure with its fix.
It creates and deletes a draft and a small file, and sends nothing."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.adapters.graph.client import GRAPH_SCOPES, LoopThread, no_retry
from bot.adapters.graph.register import LIST_TITLES
from bot.adapters.graph.schema import LISTS
from bot.ports import MailFolder


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""
    fix: str = ""


class Doctor:
    def __init__(self, graph: Any, loop: LoopThread, *, credential: Any, mailbox: str, site: str,
                 timezone: str) -> None:
        self.graph, self.loop, self.credential = graph, loop, credential
        self.mailbox, self.site, self.timezone = mailbox, site, timezone

    def run(self) -> list[Check]:
        checks: list[tuple[str, Callable[[], Coroutine[Any, Any, str]], str]] = [
            ("token acquired", self._token, "check tenant_id, client_id and the certificate or secret"),
            ("mailbox readable", self._mailbox, "grant Application Mail.ReadWrite on this mailbox with Exchange "
                                                "RBAC for Applications (see README)"),
            ("mail folders present", self._folders, "run `cspr-bot provision` (or let the first tick create them)"),
            ("draft creation allowed", self._draft, "grant Application Mail.ReadWrite and Mail.Send on the mailbox"),
            ("lists present with the expected columns", self._lists, "run `cspr-bot provision`"),
            ("library writable", self._library, "grant the app `write` on the site with Sites.Selected"),
            ("clock and time zone sane", self._clock, "set the machine's clock (NTP) and bot.timezone"),
        ]
        found = []
        for name, check, fix in checks:
            try:
                found.append(Check(name, True, self.loop.run(check(), timeout=120)))
            except Exception as exc:  # each check reports its own failure; the others still run
                found.append(Check(name, False, f"{type(exc).__name__}: {str(exc)[:160]}", fix))
        return found

    async def _token(self) -> str:
        token = self.credential.get_token(*GRAPH_SCOPES)
        if hasattr(token, "__await__"):
            token = await token
        return f"expires {datetime.fromtimestamp(token.expires_on, UTC):%Y-%m-%d %H:%M} UTC"

    async def _mailbox(self) -> str:
        folder = await self.graph.users.by_user_id(self.mailbox).mail_folders.by_mail_folder_id("inbox").get()
        return f"inbox of {self.mailbox} ({getattr(folder, 'total_item_count', '?')} messages)"

    async def _folders(self) -> str:
        from kiota_abstractions.base_request_configuration import RequestConfiguration
        from msgraph.generated.users.item.mail_folders.mail_folders_request_builder import MailFoldersRequestBuilder

        user = self.graph.users.by_user_id(self.mailbox)
        query = MailFoldersRequestBuilder.MailFoldersRequestBuilderGetQueryParameters(
            filter="displayName eq 'cspr-bot'")
        root = await user.mail_folders.get(request_configuration=RequestConfiguration(query_parameters=query))
        if not (root and root.value):
            raise LookupError("no cspr-bot folder in the mailbox")
        children = await user.mail_folders.by_mail_folder_id(str(root.value[0].id)).child_folders.get()
        names = {str(c.display_name) for c in (children.value or [])}
        missing = [f.value for f in MailFolder if f.value not in names]
        if missing:
            raise LookupError(f"missing cspr-bot/{', cspr-bot/'.join(missing)}")
        return ", ".join(f"cspr-bot/{f.value}" for f in MailFolder)

    async def _draft(self) -> str:
        from msgraph.generated.models.message import Message

        user = self.graph.users.by_user_id(self.mailbox)
        draft = await user.messages.post(Message(subject="cspr-bot doctor: draft check (deleted at once)"),
                                         request_configuration=no_retry())
        await user.messages.by_message_id(str(draft.id)).delete()
        return "created and deleted a draft; nothing sent"

    async def _lists(self) -> str:
        site = self.graph.sites.by_site_id(self.site)
        for spec in LISTS:
            found = await site.lists.by_list_id(spec.title).get()
            columns = await site.lists.by_list_id(str(found.id)).columns.get()
            names = {str(c.name) for c in (columns.value or [])}
            missing = [c.name for c in spec.columns if c.name not in names]
            if missing:
                raise LookupError(f"{spec.title} lacks {', '.join(missing[:5])}")
        return ", ".join(LIST_TITLES.values()) + ", Leads"

    async def _library(self) -> str:
        drive = await self.graph.sites.by_site_id(self.site).drive.get()
        item = self.graph.drives.by_drive_id(str(drive.id)).items.by_drive_item_id("root:/cspr-bot-doctor.txt:")
        await item.content.put(b"cspr-bot doctor check; safe to delete\n")
        await item.delete()
        return "wrote and deleted cspr-bot-doctor.txt"

    async def _clock(self) -> str:
        now = datetime.now(UTC)
        local = now.astimezone(ZoneInfo(self.timezone))
        if now.year < 2024:
            raise ValueError(f"the machine's clock says {now:%Y-%m-%d}")
        return f"{now:%Y-%m-%d %H:%M} UTC is {local:%H:%M %Z} in {self.timezone}"
