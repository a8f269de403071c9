"""The raw-table registry is shared by the target's writer threads.

Found by `make chaos-long` (trial 22 of the tap/target campaign): two writers re-checked
the same provisional landing table at once (a line stream both were sweeping after its
manifests), both decided to forget it, and the second died on a KeyError that stopped
the target. Each look-and-change of the cache is now one step.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from target_tsh_erp.database import connect
from target_tsh_erp.store.migrations import migrate
from target_tsh_erp.store.raw_tables import RawRegistry

if TYPE_CHECKING:
    from target_tsh_erp.settings import WriterSettings

THREADS = 4
ROUNDS = 40


def test_writers_recheck_one_provisional_table_at_once(
    database_url: str, settings: WriterSettings
) -> None:
    setup = connect(database_url, autocommit=True)
    migrate(setup, settings.erp_schema, settings.raw_schema)
    registry = RawRegistry(settings.raw_schema)
    created = connect(database_url)
    info = registry.ensure(created, "books_invoice_line_items", ["organization_id", "id"], None)
    created.commit()  # visible to every writer from now on; still provisional in the cache
    connections = [connect(database_url, autocommit=True) for _ in range(THREADS)]
    errors: list[BaseException] = []
    seen: list[Any] = []
    barrier = threading.Barrier(THREADS)

    def writer(connection: Any) -> None:
        try:
            for round_ in range(ROUNDS):
                barrier.wait()
                seen.append(registry.known(connection, "books_invoice_line_items"))
                barrier.wait()
                if connection is connections[0] and round_ < ROUNDS - 1:  # provisional again
                    registry._provisional["books_invoice_line_items"] = -1
                    registry._streams["books_invoice_line_items"] = info
        except BaseException as error:  # noqa: BLE001 - reported below, with the thread's
            errors.append(error)
            barrier.abort()

    threads = [threading.Thread(target=writer, args=(c,)) for c in connections]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for connection in [setup, created, *connections]:
        connection.close()
    assert [e for e in errors if not isinstance(e, threading.BrokenBarrierError)] == []
    assert errors == []
    assert len(seen) == THREADS * ROUNDS
    assert all(found is not None and found.table == info.table for found in seen)
    assert "books_invoice_line_items" not in registry._provisional
