"""New keys are COPYed straight into their tables; a concurrent writer sends them to the merge.

The races are real: a second connection inserts the same key in an open transaction, the
writer's lookup cannot see it, its COPY waits on the unique index, the second connection
commits, and the writer must then merge instead of failing or losing either record.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

import pytest
from psycopg import sql

from target_tsh_erp.database import connect
from target_tsh_erp.store import ApplyResult, ErpWriter, apply_records
from target_tsh_erp.store.new_rows import copy_new_rows

if TYPE_CHECKING:
    import psycopg

    from target_tsh_erp.settings import WriterSettings

ORG = "10234695"
T1 = "2025-01-01T00:00:00+00:00"
T2 = "2025-01-02T00:00:00+00:00"


def item(item_id: str, t: str, **extra: Any) -> dict[str, Any]:
    return {"organization_id": ORG, "item_id": item_id, "name": f"Item {item_id}",
            "rate": 10.0, "status": "active", "last_modified_time": t, **extra}


def rows(conn: psycopg.Connection[Any], settings: WriterSettings, query: str) -> list[Any]:
    return conn.execute(sql.SQL(query).format(
        erp=sql.Identifier(settings.erp_schema), raw=sql.Identifier(settings.raw_schema)
    )).fetchall()


def wait_until_blocked(observer: psycopg.Connection[Any], pid: int) -> None:
    """Until the backend `pid` waits on a lock (its COPY met the other insert)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = observer.execute(
            "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (pid,)
        ).fetchone()
        if found and found[0] == "Lock":
            return
        time.sleep(0.02)
    pytest.fail(f"backend {pid} never waited on the concurrent insert")


def race(
    database_url: str,
    settings: WriterSettings,
    first: tuple[str, list[dict[str, Any]]],
    second: tuple[str, list[dict[str, Any]]],
) -> ApplyResult:
    """`first` is written and left uncommitted; `second` starts, blocks, then `first` commits.

    Returns what the second write did; both are committed at the end.
    """
    other, writer_connection, observer = (connect(database_url) for _ in range(3))
    observer.autocommit = True
    try:
        for stream in {first[0], second[0]}:  # landing tables exist before the race
            apply_records(other, stream, [item("seed", T1)], writer=ErpWriter(settings))
        other.commit()
        apply_records(other, first[0], first[1], writer=ErpWriter(settings))
        outcome: dict[str, Any] = {}

        def write_second() -> None:
            try:
                with writer_connection.transaction():
                    outcome["result"] = apply_records(
                        writer_connection, second[0], second[1], writer=ErpWriter(settings))
            except Exception as error:  # noqa: BLE001 - reported by the test below
                outcome["error"] = error

        thread = threading.Thread(target=write_second)
        thread.start()
        wait_until_blocked(observer, writer_connection.info.backend_pid)
        other.commit()
        thread.join(30)
        assert "error" not in outcome, outcome.get("error")
        return outcome["result"]
    finally:
        for connection in (other, writer_connection, observer):
            connection.close()


@pytest.mark.parametrize(("newer_wins", "second_time"), [("second", T2), ("first", T1)])
def test_same_raw_key_inserted_concurrently_is_merged_under_the_stale_guard(
    conn: psycopg.Connection[Any],
    database_url: str,
    settings: WriterSettings,
    newer_wins: str,
    second_time: str,
) -> None:
    conn.commit()  # the schemas exist for the other connections
    first_time = T1 if second_time == T2 else T2
    result = race(database_url, settings,
                  ("books_items", [item("9", first_time, rate=1.0)]),
                  ("books_items", [item("9", second_time, rate=2.0)]))
    expected_rate = 2.0 if newer_wins == "second" else 1.0
    assert rows(conn, settings, "SELECT (record->>'rate')::float FROM {raw}.books_items"
                                " WHERE item_id = '9'") == [(expected_rate,)]
    assert rows(conn, settings, "SELECT rate::float, is_placeholder FROM {erp}.products"
                                " WHERE zoho_id = '9'") == [(expected_rate, False)]
    assert result.raw_written == (1 if newer_wins == "second" else 0)


def test_same_product_from_another_stream_concurrently_is_merged_with_enrichment(
    conn: psycopg.Connection[Any], database_url: str, settings: WriterSettings
) -> None:
    """Inventory's row holds the stock; Books' newer row arrives racing it: one product."""
    conn.commit()
    result = race(database_url, settings,
                  ("inventory_items", [item("9", T1, stock_on_hand=7)]),
                  ("books_items", [item("9", T2, name="Renamed"), item("10", T2)]))
    assert rows(conn, settings, "SELECT zoho_id, name, stock_on_hand::float, source_stream"
                                " FROM {erp}.products WHERE zoho_id <> 'seed'"
                                " ORDER BY zoho_id") == [
        ("10", "Item 10", None, "books_items"), ("9", "Renamed", 7.0, "books_items")]
    assert result.erp_written["products"] == 2


def test_a_refused_copy_keeps_nothing_of_its_set_and_the_transaction_goes_on(
    conn: psycopg.Connection[Any], settings: WriterSettings
) -> None:
    table = sql.Identifier(settings.erp_schema, "warehouses")
    copy = sql.SQL("COPY {} (organization_id, zoho_id, name) FROM STDIN").format(table)
    assert copy_new_rows(conn, copy, [(ORG, "w1", "Main")], table="warehouses")
    assert not copy_new_rows(conn, copy, [(ORG, "w2", "Second"), (ORG, "w1", "Again")],
                             table="warehouses")
    assert rows(conn, settings, "SELECT zoho_id, name FROM {erp}.warehouses") == [("w1", "Main")]


def test_mixed_batch_new_stored_repeated_and_stale_keys(
    conn: psycopg.Connection[Any], writer: ErpWriter, settings: WriterSettings
) -> None:
    """One batch: a new key, a stored key updated, a stored key stale, a key sent twice."""
    apply_records(conn, "books_items", [item("stored", T1, rate=1.0),
                                        item("stale", T2, rate=5.0)], writer=writer)
    result = apply_records(conn, "books_items", [
        item("new", T1, rate=3.0),
        item("stored", T2, rate=4.0),
        item("stale", T1, rate=6.0),
        item("twice", T2, rate=8.0),
        item("twice", T1, rate=7.0),
    ], writer=writer)
    assert rows(conn, settings, "SELECT zoho_id, rate::float FROM {erp}.products"
                                " ORDER BY zoho_id") == [
        ("new", 3.0), ("stale", 5.0), ("stored", 4.0), ("twice", 8.0)]
    assert rows(conn, settings, "SELECT item_id, (record->>'rate')::float FROM"
                                " {raw}.books_items ORDER BY item_id") == [
        ("new", 3.0), ("stale", 5.0), ("stored", 4.0), ("twice", 8.0)]
    assert (result.raw_written, result.erp_written["products"]) == (3, 3)
