"""Batches written in parallel (`writer_connections`): order of STATE, newest wins, deadlocks.

Each batch is one transaction on its own connection, so a later batch may commit first.
What must hold anyway: a STATE is emitted only once every record before it is committed,
in the order the tap sent them; a record updated in two concurrent batches ends with its
newest version; and a batch that PostgreSQL rolls back to break a deadlock is written
again, not lost.
"""

from __future__ import annotations

import io
import json
import threading
import time
from contextlib import redirect_stdout
from typing import TYPE_CHECKING, Any

import orjson
from psycopg import sql

from target_tsh_erp.database import connect
from target_tsh_erp.store import ErpWriter, Incoming, apply_records
from target_tsh_erp.target import TargetTshErp

if TYPE_CHECKING:
    import psycopg
    import pytest

    from target_tsh_erp.settings import WriterSettings

ORG = "10234695"
ITEMS_SCHEMA = {"type": "SCHEMA", "stream": "inventory_items", "key_properties":
                ["organization_id", "item_id"], "bookmark_properties": ["last_modified_time"],
                "schema": {"type": "object", "properties": {}}}


def item(item_id: int, day: int, rate: float) -> dict[str, Any]:
    return {"organization_id": ORG, "item_id": str(item_id), "name": f"Item {item_id}",
            "rate": rate, "status": "active",
            "last_modified_time": f"2025-01-{day:02d}T00:00:00+00:00"}


def run_target(config: dict[str, Any], messages: list[dict[str, Any]]) -> list[Any]:
    """Run the target in-process; return the STATE values it emitted, in order."""
    text = "\n".join(orjson.dumps(message).decode() for message in messages) + "\n"
    out = io.StringIO()
    with redirect_stdout(out):
        TargetTshErp(config=config).listen(io.StringIO(text))
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


def test_states_follow_commits_in_order_and_the_newest_version_wins(
    conn: psycopg.Connection[Any], settings: WriterSettings, target_config: dict[str, Any]
) -> None:
    """Sixty items, each sent twice (old then new) in batches of two, three at a time."""
    messages: list[dict[str, Any]] = [ITEMS_SCHEMA]
    versions = [(n, 1, 1.0) for n in range(60)] + [(n, 2, 2.0 + n) for n in range(60)]
    for sent, (item_id, day, rate) in enumerate(versions, start=1):
        messages.append({"type": "RECORD", "stream": "inventory_items",
                         "record": item(item_id, day, rate)})
        messages.append({"type": "STATE", "value": {"sent": sent}})
    states = run_target({**target_config, "batch_size_rows": 2, "writer_connections": 3},
                        messages)
    assert [state["sent"] for state in states] == sorted(state["sent"] for state in states)
    assert states[-1] == {"sent": 120}
    stored = conn.execute(sql.SQL(
        "SELECT zoho_id::int, rate::float FROM {}.products ORDER BY 1"
    ).format(sql.Identifier(settings.erp_schema))).fetchall()
    assert stored == [(n, 2.0 + n) for n in range(60)]


def test_a_deadlocked_batch_is_rolled_back_and_written_again(  # noqa: PLR0913, PLR0917 - fixtures
    conn: psycopg.Connection[Any],
    database_url: str,
    settings: WriterSettings,
    target_config: dict[str, Any],
    writer: ErpWriter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A real deadlock: another session holds item 2 and then waits for item 1.

    The batch updates item 1, then waits for item 2; the other session (with a longer
    deadlock_timeout, so PostgreSQL picks the batch to roll back) then asks for item 1.
    """
    apply_records(conn, "inventory_items", [item(1, 1, 1.0), item(2, 1, 1.0)], writer=writer)
    conn.commit()
    target = TargetTshErp(config=target_config)
    table = sql.Identifier(settings.raw_schema, "inventory_items")
    other, batch_connection, observer = (connect(database_url) for _ in range(3))
    observer.autocommit = True
    try:
        other.execute("SET deadlock_timeout = '10s'")
        other.execute(sql.SQL("UPDATE {} SET synced_at = now() WHERE item_id = '2'").format(table))
        target._writer.ensure_stream(batch_connection, "inventory_items")
        batch_connection.commit()
        prepared = target._writer.prepare(
            {"inventory_items": [Incoming(item(1, 2, 5.0)), Incoming(item(2, 2, 6.0))]})
        outcome: dict[str, Any] = {}

        def write_batch() -> None:
            try:
                outcome["result"] = target._execute(batch_connection, prepared)
            except Exception as error:  # noqa: BLE001 - reported below
                outcome["error"] = error

        thread = threading.Thread(target=write_batch)
        thread.start()
        deadline = time.monotonic() + 20
        pid = batch_connection.info.backend_pid
        while time.monotonic() < deadline and observer.execute(
            "SELECT wait_event_type IS DISTINCT FROM 'Lock' FROM pg_stat_activity"
            " WHERE pid = %s", (pid,)
        ).fetchone() != (False,):
            time.sleep(0.02)
        other.execute(sql.SQL("UPDATE {} SET synced_at = now() WHERE item_id = '1'").format(table))
        other.commit()
        thread.join(30)
    finally:
        for connection in (other, batch_connection, observer):
            connection.close()
    assert "error" not in outcome, outcome.get("error")
    assert outcome["result"].raw_written == 2
    assert any("rolled back, writing it again" in r.getMessage() for r in caplog.records)
    rates = conn.execute(sql.SQL("SELECT zoho_id, rate::float FROM {} ORDER BY 1").format(
        sql.Identifier(settings.erp_schema, "products"))).fetchall()
    assert rates == [("1", 5.0), ("2", 6.0)]
