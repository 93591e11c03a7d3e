"""A PostgreSQL server for the tests that need one: `.ci/postgres` starts Debian's on loopback (CI runs it);
elsewhere set CSPR_TEST_POSTGRES_URL, or those tests skip saying what is missing. Each test gets a schema of its
own (the URL's search_path), dropped afterwards, so tests never see each other's rows or locks."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import pytest

URL = os.environ.get("CSPR_TEST_POSTGRES_URL", "postgresql://cspr_test@127.0.0.1:5432/cspr_test")
os.environ.setdefault("PGPASSWORD", "cspr_test")  # the throwaway test role's, on loopback only (.ci/postgres)
_reason: list[str] = []


def unavailable() -> str:
    """Why no server can be reached ("" when one can), asked once per session."""
    if not _reason:
        try:
            import psycopg

            psycopg.connect(URL, connect_timeout=3).close()
            _reason.append("")
        except Exception as exc:  # noqa: BLE001 - any failure means: skip, naming it
            _reason.append(f"no PostgreSQL server at {URL} ({type(exc).__name__}: {str(exc).strip()[:120]}). "
                           "Fix: install Debian's postgresql and run .ci/postgres as root, or set "
                           "CSPR_TEST_POSTGRES_URL")
    return _reason[0]


def with_schema(schema: str) -> str:
    joiner = "&" if "?" in URL else "?"
    return f"{URL}{joiner}options={quote(f'-csearch_path={schema}')}"


@contextmanager
def fresh_schema() -> Iterator[str]:
    """A URL whose connections work in a new, empty schema; the schema is dropped afterwards."""
    import psycopg

    if reason := unavailable():
        pytest.skip(reason)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(URL, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    try:
        yield with_schema(schema)
    finally:
        with psycopg.connect(URL, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_schema() as url:
        yield url
