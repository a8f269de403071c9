"""A real embedded PostgreSQL for the whole session; fresh schemas per test."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import pytest

from target_tsh_erp.database import connect, embedded
from target_tsh_erp.settings import WriterSettings
from target_tsh_erp.store import ErpWriter
from target_tsh_erp.store.migrations import migrate

if TYPE_CHECKING:
    from collections.abc import Iterator

    import psycopg

_SCHEMAS = itertools.count()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with embedded(tmp_path_factory.mktemp("erp") / "pgdata") as database:
        yield database.url


@pytest.fixture
def settings() -> WriterSettings:
    """Unique schema names: tests share one server but never each other's tables."""
    n = next(_SCHEMAS)
    return WriterSettings(erp_schema=f"erp_t{n}", raw_schema=f"raw_t{n}",
                          notify_channel=f"events_t{n}")


@pytest.fixture
def target_config(database_url: str, settings: WriterSettings) -> dict[str, Any]:
    return {"database_url": database_url, "erp_schema": settings.erp_schema,
            "raw_schema": settings.raw_schema, "notify_channel": settings.notify_channel}


@pytest.fixture
def conn(database_url: str, settings: WriterSettings) -> Iterator[psycopg.Connection[Any]]:
    connection = connect(database_url)
    migrate(connection, settings.erp_schema, settings.raw_schema)
    yield connection
    connection.rollback()
    connection.close()


@pytest.fixture
def writer(settings: WriterSettings) -> ErpWriter:
    return ErpWriter(settings)
