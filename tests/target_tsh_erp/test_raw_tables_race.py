"""Two targets creating the same landing table at once: both succeed (no pg_type clash).

Two organizations' first loads into a new ERP database start together under an
orchestrator; both create `zoho_raw.<stream>`. `CREATE TABLE IF NOT EXISTS` is not safe
against a concurrent create (one side fails on pg_type's unique index), so the DDL
takes a transaction-scoped advisory lock per raw schema.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from target_tsh_erp.database import connect
from target_tsh_erp.store.migrations import migrate
from target_tsh_erp.store.raw_tables import RawRegistry

if TYPE_CHECKING:
    from target_tsh_erp.settings import WriterSettings

STREAMS = [f"books_race_{n}" for n in range(6)]


def _create_all(
    url: str, schema: str, start: threading.Barrier, errors: list[BaseException]
) -> None:
    connection = connect(url)
    try:
        start.wait(timeout=30)
        registry = RawRegistry(schema)
        for stream in STREAMS:
            registry.ensure(connection, stream, ["organization_id", "id"], "last_modified_time")
        connection.commit()
    except BaseException as error:  # noqa: BLE001 - the test reports whatever happened
        errors.append(error)
        connection.rollback()
    finally:
        connection.close()


def test_concurrent_first_loads_both_create_their_tables(
    database_url: str, settings: WriterSettings
) -> None:
    for attempt in range(3):  # a race: several rounds, fresh tables each time
        schema = f"{settings.raw_schema}_{attempt}"
        with connect(database_url) as setup:
            migrate(setup, f"{settings.erp_schema}_{attempt}", schema)
            setup.commit()
        start = threading.Barrier(2)
        errors: list[BaseException] = []
        workers = [
            threading.Thread(target=_create_all, args=(database_url, schema, start, errors))
            for _ in range(2)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        assert errors == []
        with connect(database_url) as check:
            tables = {
                row[0] for row in check.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                    (schema,),
                ).fetchall()
            }  # fmt: skip
        assert len(tables) >= len(STREAMS)
