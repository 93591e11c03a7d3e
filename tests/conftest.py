"""Shared fixtures: the shipped settings file and the app on in-memory fakes."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.bootstrap import App, build_memory_app
from bot.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent

# the LibreOffice tests (round trips, PDF): `.ci/run` installs it; elsewhere they say what is missing
needs_libreoffice = pytest.mark.skipif(
    shutil.which("soffice") is None,
    reason="LibreOffice (soffice) is not installed: apt-get install libreoffice-writer-nogui")
DEFAULT_CONFIG = ROOT / "config" / "cspr-bot.toml"
LONDON = ZoneInfo("Europe/London")


def london(d: date, hour: int = 9, minute: int = 0) -> datetime:
    """A UK local time on `d`, as the UTC instant handlers receive."""
    return datetime.combine(d, time(hour, minute), tzinfo=LONDON).astimezone(UTC)


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings(DEFAULT_CONFIG)


@pytest.fixture
def app(settings: Settings) -> Iterator[App]:
    application = build_memory_app(settings)
    yield application
    application.close()
