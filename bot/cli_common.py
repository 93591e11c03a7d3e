"""Helpers shared by the `cspr-bot` commands: argument types, errors, loading settings and the app,
and output. Imports of the bot's own modules are deferred so `--help` stays fast."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from bot.bootstrap import App
    from bot.settings import Settings

EXIT_USAGE = 2


class Failure(click.ClickException):
    """A one-line error for the user (exit status 1)."""


class ConfigFailure(Failure):
    """The settings cannot be used (exit status 2, like a usage error: the input must be fixed)."""

    exit_code = EXIT_USAGE


class DateParam(click.ParamType):
    """YYYY-MM-DD, or the UK day-first DD/MM/YYYY."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        text = str(value).strip()
        try:
            if "/" in text:
                day, month, year = (int(x) for x in text.split("/"))
                return date(year, month, day)
            return date.fromisoformat(text)
        except ValueError:
            self.fail(f"{value!r} is not a date (use YYYY-MM-DD, e.g. 2026-12-22)", param, ctx)


class NowParam(click.ParamType):
    """An ISO date-time; without an offset it is read as UK local time."""

    name = "datetime"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        from zoneinfo import ZoneInfo

        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a date-time (use e.g. 2026-12-23T09:00)", param, ctx)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo("Europe/London"))


DATE = DateParam()
NOW = NowParam()


def load(ctx: click.Context, *, required: bool = True) -> Settings | None:
    from bot.settings import ConfigError, config_path, load_settings

    path = config_path(ctx.obj["config"])
    if not required and ctx.obj["config"] is None and not path.exists():
        return None
    try:
        return load_settings(path)
    except ConfigError as exc:
        raise ConfigFailure(f"configuration error\n{exc}") from None


def open_app(ctx: click.Context) -> App:
    from bot.bootstrap import build_app
    from bot.settings import ConfigError

    settings = load(ctx)
    assert settings is not None
    try:
        app = build_app(settings, ctx.obj["workspace"])
    except ConfigError as exc:
        raise ConfigFailure(str(exc)) from None
    ctx.call_on_close(app.close)
    return app


def now_utc(value: datetime | None) -> datetime:
    from datetime import UTC

    return (value or datetime.now(UTC)).astimezone(UTC)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False))


RAG_COLOURS = {"red": "red", "amber": "yellow", "green": "green", "done": "blue", "none": None}


def rag_label(value: str) -> str:
    return click.style(value.upper(), fg=RAG_COLOURS.get(value), bold=value == "red")
