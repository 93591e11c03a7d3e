"""The CaseRegister port on SharePoint lists through Graph.

Items are read with `$expand=fields`; changes come from list delta (410 -> full resync); updates carry
`If-Match` so a stale write fails loudly instead of overwriting a person's edit. Who approved a case
comes from the item's version history (`lastModifiedBy` of the version that ticked the approval
column), never from a free-text column a person could type any name into.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.adapters.graph.client import LoopThread, no_retry, status_of
from bot.domain.records import APPROVALS
from bot.ports import FieldValue, Item, ItemChanges, ItemNotFound, StaleItem

# our list names -> the SharePoint lists `cspr-bot provision` creates
LIST_TITLES = {"cases": "Cases", "agencies": "Agencies", "requests": "Agency requests", "actions": "Actions"}
SYSTEM_FIELDS = {"id", "ContentType", "Modified", "Created", "AuthorLookupId", "EditorLookupId", "_UIVersionString",
                 "Attachments", "Edit", "LinkTitleNoMenu", "LinkTitle", "ItemChildCount", "FolderChildCount",
                 "_ComplianceFlags", "_ComplianceTag", "_ComplianceTagWrittenTime", "_ComplianceTagUserId",
                 "AppAuthorLookupId", "AppEditorLookupId"}


def _who(identity_set: Any) -> str:
    user = getattr(identity_set, "user", None)
    if user is not None:
        data = getattr(user, "additional_data", None) or {}
        email = data.get("email") or getattr(user, "email", None) or ""
        if email:
            return str(email).lower()
    app = getattr(identity_set, "application", None)
    return f"app:{getattr(app, 'display_name', '') or 'unknown'}" if app is not None else "unknown"


def _fields(raw: Mapping[str, Any]) -> dict[str, FieldValue]:
    return {k: v for k, v in raw.items() if k not in SYSTEM_FIELDS and not k.startswith("@") and not k.startswith("_")}


def _after_patch(before: Item, written: Any, app: str) -> Item | None:
    """The item as a PATCH of its fields left it, from the fieldValueSet SharePoint answers with (all the
    columns and the new etag), which spares a read; None when the answer carries no etag or the app's own
    name (as SharePoint records it) is not known yet."""
    data = dict(getattr(written, "additional_data", None) or {})
    etag = str(data.get("@odata.etag") or "")
    if not etag or not app:
        return None
    modified = data.get("Modified")
    try:
        at = datetime.fromisoformat(str(modified).replace("Z", "+00:00")) if modified else datetime.now(UTC)
    except ValueError:
        at = datetime.now(UTC)
    # the approval columns' "...By" values come from version history, not from the list: keep them
    return Item(before.id, {**before.fields, **_fields(data)}, etag, app, at)


def _version_order(version: Any) -> tuple[float, datetime]:
    """Oldest first by version label ("1.0", "2.0", ...): timestamps tie within a second."""
    try:
        label = float(str(version.id))
    except (TypeError, ValueError):
        label = 0.0
    return label, version.last_modified_date_time or datetime.min.replace(tzinfo=UTC)


class SharePointCaseRegister:
    def __init__(self, graph: Any, loop: LoopThread, *, site: str) -> None:
        self.graph, self.loop, self.site_ref = graph, loop, site
        self._site_id: str | None = None
        self._lists: dict[str, str] = {}
        self._app = ""  # "app:<name>" as SharePoint records this app's writes, once an item it wrote is read

    # ---- addressing
    async def _site(self) -> Any:
        if self._site_id is None:
            site = await self.graph.sites.by_site_id(self.site_ref).get()
            self._site_id = str(site.id)
        return self.graph.sites.by_site_id(self._site_id)

    async def _list(self, list_name: str) -> Any:
        if list_name not in LIST_TITLES:
            raise KeyError(f"no list named {list_name!r}")
        site = await self._site()
        if list_name not in self._lists:
            found = await site.lists.by_list_id(LIST_TITLES[list_name]).get()
            self._lists[list_name] = str(found.id)
        return site.lists.by_list_id(self._lists[list_name])

    def _item(self, raw: Any) -> Item:
        fields = _fields(getattr(raw.fields, "additional_data", None) or {})
        etag = str(getattr(raw, "e_tag", None) or (raw.additional_data or {}).get("@odata.etag") or "")
        modified = raw.last_modified_date_time or datetime.now(UTC)
        who = _who(raw.last_modified_by)
        if who.startswith("app:") and who != "app:unknown":
            self._app = self._app or who
        return Item(id=str(raw.id), fields=fields, etag=etag, modified_by=who, modified_at=modified)

    # ---- reading
    def items(self, list_name: str) -> list[Item]:
        return self.loop.read(lambda: self._items(list_name, None))

    async def _items(self, list_name: str, filter_: str | None) -> list[Item]:
        from kiota_abstractions.base_request_configuration import RequestConfiguration
        from msgraph.generated.sites.item.lists.item.items.items_request_builder import ItemsRequestBuilder

        builder = (await self._list(list_name)).items
        query = ItemsRequestBuilder.ItemsRequestBuilderGetQueryParameters(expand=["fields"], filter=filter_, top=200)
        config: Any = RequestConfiguration(query_parameters=query)
        if filter_:
            config.headers.add("Prefer", "HonorNonIndexedQueriesWarningMayFailRandomly")
        page = await builder.get(request_configuration=config)
        found = []
        while page is not None:
            found += [await self._with_approver(list_name, self._item(raw)) for raw in page.value or []]
            page = await builder.with_url(page.odata_next_link).get() if page.odata_next_link else None
        return sorted(found, key=lambda i: int(i.id) if i.id.isdigit() else 0)

    def get(self, list_name: str, item_id: str) -> Item:
        return self.loop.read(lambda: self._get(list_name, item_id))

    async def _get(self, list_name: str, item_id: str) -> Item:
        from kiota_abstractions.base_request_configuration import RequestConfiguration
        from msgraph.generated.sites.item.lists.item.items.item.list_item_item_request_builder import (
            ListItemItemRequestBuilder,
        )

        query = ListItemItemRequestBuilder.ListItemItemRequestBuilderGetQueryParameters(expand=["fields"])
        try:
            raw = await (await self._list(list_name)).items.by_list_item_id(item_id).get(
                request_configuration=RequestConfiguration(query_parameters=query))
        except Exception as exc:
            if status_of(exc) == 404:
                raise ItemNotFound(f"{list_name}/{item_id}") from None
            raise
        return await self._with_approver(list_name, self._item(raw))

    def find(self, list_name: str, **equals: FieldValue) -> list[Item]:
        text = {k: v for k, v in equals.items() if isinstance(v, str)}
        filter_ = " and ".join(f"fields/{k} eq '{v.replace(chr(39), chr(39) * 2)}'" for k, v in text.items()) or None
        found = self.loop.read(lambda: self._items(list_name, filter_))
        return [i for i in found if all(i.fields.get(k) == v for k, v in equals.items())]

    # ---- writing
    def add(self, list_name: str, fields: Mapping[str, FieldValue], *, by: str,
            at: datetime | None = None) -> Item:
        async def create() -> Item:
            from msgraph.generated.models.field_value_set import FieldValueSet
            from msgraph.generated.models.list_item import ListItem

            # a create is not retried: a retry after a lost answer would make a second item; the caller
            # finds the first one on its next pass
            raw = await (await self._list(list_name)).items.post(
                ListItem(fields=FieldValueSet(additional_data=dict(fields))), request_configuration=no_retry())
            return await self._get(list_name, str(raw.id))

        return self.loop.run(create())

    def update(self, list_name: str, item_id: str, fields: Mapping[str, FieldValue], *, by: str,
               at: datetime | None = None, if_match: str | None = None, known: Item | None = None) -> Item:
        """`known`: the item as the caller last read it (a mirror's copy), which spares the read that decides
        whether anything changes; a stale copy costs nothing worse than a PATCH of equal values, and a
        conditional write is still checked by the server."""
        async def patch() -> Item:
            from kiota_abstractions.base_request_configuration import RequestConfiguration
            from msgraph.generated.models.field_value_set import FieldValueSet

            current = known if known is not None else await self._get(list_name, item_id)
            if all(current.fields.get(k) == v for k, v in fields.items()):
                return current  # nothing to change: no new version
            config: Any = RequestConfiguration()
            if if_match is not None:  # a conditional write is not retried blindly: the retry would meet
                config = no_retry()   # its own first attempt's new etag and look like someone else's edit
                config.headers.add("If-Match", if_match)
            try:
                written = await (await self._list(list_name)).items.by_list_item_id(item_id).fields.patch(
                    FieldValueSet(additional_data=dict(fields)), request_configuration=config)
            except Exception as exc:
                if status_of(exc) != 412:
                    raise
                now = await self._get(list_name, item_id)  # re-read once: did our own earlier attempt land?
                if all(now.fields.get(k) == v for k, v in fields.items()):
                    return now
                raise StaleItem(f"{list_name}/{item_id} changed since it was read") from None
            return _after_patch(current, written, self._app) or await self._get(list_name, item_id)

        return self.loop.run(patch())

    # ---- change tracking
    def changed_since(self, list_name: str, cursor: str | None) -> ItemChanges:
        return self.loop.read(lambda: self._delta(list_name, cursor))

    async def _delta(self, list_name: str, cursor: str | None) -> ItemChanges:
        changed, _, token, _ = await self._delta_ids(list_name, cursor)
        items = []
        for item_id in changed:
            try:
                items.append(await self._get(list_name, item_id))
            except ItemNotFound:
                continue
        return ItemChanges(items, token)

    def latest(self, list_name: str) -> str:
        """A delta cursor for the list as it is now, without enumerating it (`token=latest`: an empty answer
        with the latest delta link), for a caller about to read the whole list anyway."""
        async def fetch() -> str:
            builder = (await self._list(list_name)).items.delta
            info = builder.to_get_request_information()
            info.path_parameters["baseurl"] = self.graph.request_adapter.base_url  # as the adapter does on send
            url = str(info.url)
            page = await builder.with_url(f"{url}{'&' if '?' in url else '?'}token=latest").get()
            while page.odata_next_link:  # a service that enumerates anyway: follow it to the delta link
                page = await builder.with_url(page.odata_next_link).get()
            return str(page.odata_delta_link or "")

        return self.loop.read(fetch)

    def delta_ids(self, list_name: str, cursor: str | None) -> tuple[dict[str, str], list[str], str, bool]:
        """({changed id: its etag, "" when the delta did not say}, deleted ids, the next cursor, whether this
        was a full enumeration: no cursor, or an expired one). One request when nothing changed."""
        return self.loop.read(lambda: self._delta_ids(list_name, cursor))

    async def _delta_ids(self, list_name: str, cursor: str | None) -> tuple[dict[str, str], list[str], str, bool]:
        builder = (await self._list(list_name)).items.delta
        try:
            page = await (builder.with_url(cursor).get() if cursor else builder.get())
        except Exception as exc:
            if cursor and status_of(exc) == 410:
                return await self._delta_ids(list_name, None)  # token expired: full resync
            raise
        changed: dict[str, str] = {}
        deleted: dict[str, None] = {}
        while True:
            for raw in page.value or []:
                item_id = str(raw.id)
                if getattr(raw, "deleted", None) or (raw.additional_data or {}).get("@removed"):
                    changed.pop(item_id, None)  # list delta marks deletions with "deleted"
                    deleted[item_id] = None
                else:
                    deleted.pop(item_id, None)
                    changed[item_id] = str(getattr(raw, "e_tag", None) or (raw.additional_data or {}).get(
                        "@odata.etag") or "")
            if page.odata_next_link:
                page = await builder.with_url(page.odata_next_link).get()
                continue
            break
        return changed, list(deleted), page.odata_delta_link or cursor or "", cursor is None

    # ---- approvals
    async def _with_approver(self, list_name: str, item: Item) -> Item:
        """On a case with an approval column ticked (the rapid review report, the LCSPR notices, the final
        LCSPR report), the matching "...By" column is whoever ticked it, from the version history: what a
        person typed into it never counts."""
        ticked_now = [column for column in APPROVALS if item.fields.get(column) is True]
        if list_name != "cases" or not ticked_now:
            return item
        from kiota_abstractions.base_request_configuration import RequestConfiguration
        from msgraph.generated.sites.item.lists.item.items.item.versions.versions_request_builder import (
            VersionsRequestBuilder,
        )

        query = VersionsRequestBuilder.VersionsRequestBuilderGetQueryParameters(expand=["fields"])
        versions = await (await self._list(list_name)).items.by_list_item_id(item.id).versions.get(
            request_configuration=RequestConfiguration(query_parameters=query))
        history = sorted(versions.value or [], key=_version_order)  # Graph lists newest first
        approvers = {}
        for column in ticked_now:
            approver = ""
            for version in history:  # the person on the version where the tick went from off to on
                ticked = (getattr(version.fields, "additional_data", None) or {}).get(column) is True
                if ticked and not approver:
                    approver = _who(version.last_modified_by)
                elif not ticked:
                    approver = ""
            approvers[APPROVALS[column]] = approver
        return Item(item.id, {**item.fields, **approvers}, item.etag, item.modified_by, item.modified_at)
