"""`cspr-bot provision`: create or update, idempotently, the SharePoint lists with typed and indexed
columns. A second run finds everything in place and changes nothing. It needs a Sites.Selected grant
with `manage` (or `fullcontrol`) on the site; day-to-day running needs only `write`."""

from __future__ import annotations

from typing import Any

from bot.adapters.graph.client import LoopThread
from bot.adapters.graph.schema import LISTS, Column, ListSpec


def _definition(column: Column) -> Any:
    from msgraph.generated.models.boolean_column import BooleanColumn
    from msgraph.generated.models.choice_column import ChoiceColumn
    from msgraph.generated.models.column_definition import ColumnDefinition
    from msgraph.generated.models.date_time_column import DateTimeColumn
    from msgraph.generated.models.number_column import NumberColumn
    from msgraph.generated.models.text_column import TextColumn

    kinds: dict[str, dict[str, Any]] = {
        "text": {"text": TextColumn()}, "note": {"text": TextColumn(allow_multiple_lines=True)},
        "date": {"date_time": DateTimeColumn(format="dateOnly")}, "datetime": {"date_time": DateTimeColumn()},
        "boolean": {"boolean": BooleanColumn()}, "number": {"number": NumberColumn()},
        "choice": {"choice": ChoiceColumn(choices=list(column.choices))},
    }
    return ColumnDefinition(name=column.name, display_name=column.name, indexed=column.indexed, **kinds[column.kind])


class Provisioner:
    def __init__(self, graph: Any, loop: LoopThread, *, site: str) -> None:
        self.graph, self.loop, self.site = graph, loop, site

    def run(self) -> list[str]:
        """What was created or changed, one line each (empty when everything was already in place)."""
        return self.loop.run(self._run())

    async def _run(self) -> list[str]:
        site = self.graph.sites.by_site_id(self.site)
        done: list[str] = []
        for spec in LISTS:
            done += await self._list(site, spec)
        return done

    async def _list(self, site: Any, spec: ListSpec) -> list[str]:
        from kiota_abstractions.base_request_configuration import RequestConfiguration
        from msgraph.generated.models.list_ import List_
        from msgraph.generated.models.list_info import ListInfo
        from msgraph.generated.sites.item.lists.lists_request_builder import ListsRequestBuilder

        query = ListsRequestBuilder.ListsRequestBuilderGetQueryParameters(filter=f"displayName eq '{spec.title}'")
        found = await site.lists.get(request_configuration=RequestConfiguration(query_parameters=query))
        if not (found and found.value):
            await site.lists.post(List_(display_name=spec.title, list_=ListInfo(template="genericList"),
                                        columns=[_definition(c) for c in spec.columns]))
            return [f"created list {spec.title} with {len(spec.columns)} columns"]
        builder = site.lists.by_list_id(str(found.value[0].id))
        existing = {str(c.name): c for c in ((await builder.columns.get()).value or [])}
        changes = []
        for column in spec.columns:
            current = existing.get(column.name)
            if current is None:
                await builder.columns.post(_definition(column))
                changes.append(f"added column {spec.title}.{column.name}")
            elif column.indexed and not current.indexed:
                from msgraph.generated.models.column_definition import ColumnDefinition

                await builder.columns.by_column_definition_id(str(current.id)).patch(ColumnDefinition(indexed=True))
                changes.append(f"indexed column {spec.title}.{column.name}")
        return changes
