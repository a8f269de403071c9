"""SIGKILL the target mid-stream, rerun from its last emitted STATE: nothing lost or doubled."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from typing import IO, Any

import orjson
from psycopg import sql

from target_tsh_erp.database import connect
from target_tsh_erp.settings import WriterSettings
from target_tsh_erp.store.migrations import migrate
from target_tsh_erp.testing import singer_lines, synthetic_item

TARGET = [sys.executable, "-c",
          "from target_tsh_erp.target import TargetTshErp; TargetTshErp.cli()"]
ORG = "10234695"


def _streams(n: int) -> dict[str, list[dict[str, Any]]]:
    items = [synthetic_item(i) for i in range(n)]
    lines = [{"organization_id": ORG, "invoice_id": f"inv{i // 3}", "line_item_id": f"l{i}",
              "item_id": items[i]["item_id"], "quantity": i % 7 + 1,
              "parent_last_modified_time": items[i]["last_modified_time"]} for i in range(n)]
    return {"books_invoice_line_items": lines, "inventory_items": items}


def _resume_lines(streams: dict[str, list[dict[str, Any]]], state: dict[str, Any]) -> list[bytes]:
    """What a tap restarted from `state` would send: everything after the bookmark."""
    sent = state.get("sent", {})
    rest = {stream: records[sent.get(stream, 0):] for stream, records in streams.items()}
    return list(singer_lines(rest, state_every=0))


def _snapshot(conn, settings: WriterSettings) -> dict[str, Any]:
    def q(query: str) -> Any:
        return conn.execute(sql.SQL(query).format(
            erp=sql.Identifier(settings.erp_schema),
            raw=sql.Identifier(settings.raw_schema))).fetchall()
    return {
        "raw_items": q("SELECT count(*), count(DISTINCT item_id) FROM {raw}.inventory_items"),
        "raw_lines": q("SELECT count(*) FROM {raw}.books_invoice_line_items"),
        "products": q("SELECT zoho_id, name, rate, stock_on_hand, is_placeholder"
                      " FROM {erp}.products ORDER BY zoho_id"),
        "lines": q("SELECT l.zoho_id, l.quantity, i.zoho_id, p.zoho_id FROM"
                   " {erp}.invoice_lines l JOIN {erp}.invoices i ON i.id = l.invoice_id"
                   " JOIN {erp}.products p ON p.id = l.product_id ORDER BY l.zoho_id"),
    }


def _feed(pipe: IO[bytes], lines: list[bytes]) -> None:
    """Write like a tap does: line by line, until the reader goes away."""
    try:
        for line in lines:
            pipe.write(line + b"\n")
        pipe.close()
    except (BrokenPipeError, ValueError):
        pass
    finally:
        with contextlib.suppress(BrokenPipeError, ValueError):
            pipe.close()


def _config(tmp_path, target_config, settings) -> str:
    path = tmp_path / f"{settings.erp_schema}.json"
    path.write_text(json.dumps({**target_config, "batch_size_rows": 250}))
    return str(path)


def test_kill_and_resume_loses_and_duplicates_nothing(tmp_path, target_config, settings,
                                                      conn, database_url):
    streams = _streams(6000)
    all_lines = list(singer_lines(streams, state_every=100))
    killed = subprocess.Popen(
        [*TARGET, "--config", _config(tmp_path, target_config, settings)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert killed.stdin is not None
    assert killed.stdout is not None
    feeder = threading.Thread(target=_feed, args=(killed.stdin, all_lines), daemon=True)
    feeder.start()
    states = [json.loads(killed.stdout.readline()) for _ in range(6)]
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait(timeout=30)
    feeder.join(timeout=30)
    killed.stdout.close()
    assert killed.returncode == -signal.SIGKILL
    last = states[-1]
    covered = last["sent"]
    # STATE only after commit: every record the emitted state covers is in the database.
    for stream in streams:
        table = f"{settings.raw_schema}.{stream}"
        exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()
        landed = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(
            sql.Identifier(settings.raw_schema, stream))).fetchone() if exists and exists[0] \
            else (0,)
        assert landed is not None
        assert landed[0] >= covered.get(stream, 0)
    conn.commit()
    assert sum(covered.values()) < 12000, "the kill came too late to test anything"

    resumed = subprocess.run(
        [*TARGET, "--config", _config(tmp_path, target_config, settings)],
        input=b"\n".join(_resume_lines(streams, last)) + b"\n",
        capture_output=True, timeout=120, check=True)
    assert resumed.stdout.strip()
    after = _snapshot(conn, settings)
    conn.commit()

    clean = WriterSettings(erp_schema=f"{settings.erp_schema}_clean",
                           raw_schema=f"{settings.raw_schema}_clean")
    clean_config = {**target_config, "erp_schema": clean.erp_schema,
                    "raw_schema": clean.raw_schema}
    subprocess.run([*TARGET, "--config", _config(tmp_path, clean_config, clean)],
                   input=b"\n".join(all_lines) + b"\n", capture_output=True, timeout=120,
                   check=True)
    reference = connect(database_url)
    migrate(reference, clean.erp_schema, clean.raw_schema)
    expected = _snapshot(reference, clean)
    reference.close()
    assert after == expected
    assert after["raw_items"] == [(6000, 6000)]
    assert len(after["lines"]) == 6000
    assert orjson.dumps(after["products"][0], default=str)
