"""End to end: Singer message files into the target, ERP tables against ground truth."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from contextlib import redirect_stdout
from typing import TYPE_CHECKING, Any

import orjson
import pytest
from psycopg import sql

from target_tsh_erp.target import TargetTshErp
from target_tsh_erp.testing import emulator_streams, singer_lines, synthetic_item
from zoho_emulator.crm.catalog import ORG_ID as CRM_ORG
from zoho_emulator.crm.service import Crm
from zoho_emulator.emulator import Emulator
from zoho_emulator.settings import EmulatorSettings

if TYPE_CHECKING:
    from pathlib import Path

ORG = "10234695"
TARGET = [sys.executable, "-c",
          "from target_tsh_erp.target import TargetTshErp; TargetTshErp.cli()"]


def run_target(config: dict[str, Any], lines: list[bytes]) -> list[dict[str, Any]]:
    """Run the target in-process; return the STATE values it emitted."""
    out = io.StringIO()
    with redirect_stdout(out):
        TargetTshErp(config=config).listen(io.StringIO(b"\n".join(lines).decode() + "\n"))
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


def rows(conn, query: str, settings, table: str = "") -> list[tuple[Any, ...]]:
    return conn.execute(sql.SQL(query).format(erp=sql.Identifier(settings.erp_schema),
                                              raw=sql.Identifier(settings.raw_schema),
                                              table=sql.Identifier(table))).fetchall()


@pytest.fixture(scope="module")
def zoho_streams() -> dict[str, list[dict[str, Any]]]:
    emulator = Emulator(EmulatorSettings(seed=11, scale=12))
    return emulator_streams(emulator, ORG, crm=Crm.of(emulator), crm_organization_id=CRM_ORG)


def test_emulator_org_lands_and_maps_to_ground_truth(zoho_streams, target_config, conn,
                                                     settings):
    states = run_target({**target_config, "batch_size_rows": 37}, list(singer_lines(zoho_streams)))
    assert states[-1] == {"sent": {s: len(r) for s, r in zoho_streams.items()}}
    for stream, records in zoho_streams.items():
        assert rows(conn, "SELECT count(*) FROM {raw}.{table}", settings, stream) == [
            (len(records),)]
    items = {r["item_id"]: r for r in zoho_streams["inventory_items"]}
    products = rows(conn, "SELECT zoho_id, name, rate::float, stock_on_hand::float,"
                          " is_placeholder FROM {erp}.products", settings)
    assert len(products) == len(items)
    for zoho_id, name, rate, stock, placeholder in products:
        assert (name, rate, stock, placeholder) == (
            items[zoho_id]["name"], items[zoho_id]["rate"], items[zoho_id]["stock_on_hand"],
            False)
    contacts = zoho_streams["books_contacts"]
    expected = {t: sorted(c["contact_id"] for c in contacts if c["contact_type"] == t)
                for t in ("customer", "vendor")}
    for table, kind in (("customers", "customer"), ("vendors", "vendor")):
        got = rows(conn, "SELECT zoho_id FROM {erp}.{table} WHERE NOT is_placeholder"
                         " ORDER BY 1", settings, table)
        assert [r[0] for r in got] == expected[kind]
    invoices = zoho_streams["books_invoices"]
    got_totals = dict(rows(conn, "SELECT zoho_id, total::float FROM {erp}.invoices", settings))
    assert got_totals == {i["invoice_id"]: i["total"] for i in invoices}
    lines = zoho_streams["books_invoice_line_items"]
    linked = rows(conn, "SELECT count(*) FROM {erp}.invoice_lines l JOIN {erp}.invoices i"
                        " ON i.id = l.invoice_id JOIN {erp}.products p ON p.id = l.product_id",
                  settings)
    assert linked == [(len(lines),)]
    stock = zoho_streams["inventory_item_stock"]
    assert rows(conn, "SELECT count(*), sum(stock_on_hand)::float FROM {erp}.inventory_levels",
                settings) == [(len(stock), float(sum(s["stock_on_hand"] for s in stock)))]
    deals = zoho_streams["crm_deals"]
    assert rows(conn, "SELECT count(*) FROM {erp}.opportunities WHERE NOT is_placeholder",
                settings) == [(len(deals),)]
    assert rows(conn, "SELECT count(*) FROM {raw}.rejects", settings) == [(0,)]
    events = [r[0] for r in rows(conn, "SELECT event_type FROM {erp}.events_outbox ORDER BY id",
                                 settings)]
    assert events[0] == "tds.zoho.sync.started"
    assert events[-1] == "tds.zoho.sync.completed"
    assert "tds.zoho.entity.synced" in events


def test_rerun_and_reversed_order_change_nothing(zoho_streams, target_config, conn, settings):
    lines = list(singer_lines(zoho_streams))
    run_target(target_config, lines)
    snapshot = rows(conn, "SELECT zoho_id, xmin::text FROM {erp}.invoice_lines ORDER BY 1",
                    settings)
    reversed_streams = {s: list(reversed(r)) for s, r in reversed(zoho_streams.items())}
    run_target(target_config, list(singer_lines(reversed_streams)))
    assert rows(conn, "SELECT zoho_id, xmin::text FROM {erp}.invoice_lines ORDER BY 1",
                settings) == snapshot
    assert rows(conn, "SELECT count(*) FROM {erp}.products WHERE is_placeholder",
                settings) == [(0,)]


def test_children_first_file_links_everything(zoho_streams, target_config, conn, settings):
    order = ["books_invoice_line_items", "inventory_item_stock", "books_invoices",
             "books_contacts", "books_items", "inventory_items"]
    run_target({**target_config, "batch_size_rows": 10},
               list(singer_lines({s: zoho_streams[s] for s in order})))
    assert rows(conn, "SELECT count(*) FROM {erp}.invoice_lines WHERE invoice_id IS NULL"
                      " OR product_id IS NULL", settings) == [(0,)]
    placeholders = rows(conn, "SELECT count(*) FROM {erp}.products WHERE is_placeholder",
                        settings)
    assert placeholders == [(0,)]


def test_schema_change_mid_stream_and_unknown_stream(target_config, conn, settings):
    schema = {"type": "SCHEMA", "stream": "books_items", "key_properties":
              ["organization_id", "item_id"], "schema": {"properties": {"item_id": {}}}}
    wider = {**schema, "schema": {"properties": {"item_id": {}, "new_field": {}}}}
    other = {"type": "SCHEMA", "stream": "books_bills", "key_properties":
             ["organization_id", "bill_id"], "schema": {"properties": {}}}
    lines = [orjson.dumps(m) for m in (
        schema,
        {"type": "RECORD", "stream": "books_items", "record": synthetic_item(1)},
        wider,
        {"type": "RECORD", "stream": "books_items",
         "record": {**synthetic_item(2), "new_field": {"x": 1}}},
        other,
        {"type": "RECORD", "stream": "books_bills",
         "record": {"organization_id": ORG, "bill_id": "b1"}},
    )]
    run_target(target_config, lines)
    assert rows(conn, "SELECT count(*) FROM {erp}.products", settings) == [(2,)]
    assert rows(conn, "SELECT record->'new_field'->>'x' FROM {raw}.books_items"
                      " WHERE record ? 'new_field'", settings) == [("1",)]
    assert rows(conn, "SELECT bill_id FROM {raw}.books_bills", settings) == [("b1",)]


def _write(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        (b'{"type": "RECORD", "stream": "books_items", "record": {', "line 4: malformed JSON"),
        (b'{"type": "RECORD", "stream": "books_contacts", "record": {}}',
         "line 4: RECORD for stream 'books_contacts' before its SCHEMA"),
        (b'{"type": "RECORD", "stream": "books_items", "record": {"organization_id": "1"}}',
         "line 4: RECORD of stream 'books_items' is missing key property 'item_id'"),
    ],
)
def test_protocol_errors_fail_clearly_after_committing_what_came_before(  # noqa: PLR0913, PLR0917
    tmp_path, target_config, conn, settings, bad_line, message
):
    good = [orjson.dumps(m) for m in (
        {"type": "SCHEMA", "stream": "books_items", "key_properties":
         ["organization_id", "item_id"], "schema": {"properties": {}}},
        {"type": "RECORD", "stream": "books_items", "record": synthetic_item(1)},
        {"type": "STATE", "value": {"n": 1}},
    )]
    path = _write(tmp_path / "in.singer", [*good, bad_line,
                                           orjson.dumps({"type": "STATE", "value": {"n": 2}})])
    config = tmp_path / "config.json"
    config.write_text(json.dumps(target_config))
    done = subprocess.run([*TARGET, "--config", str(config), "--input", str(path)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout.splitlines() == ['{"n": 1}']
    assert rows(conn, "SELECT count(*) FROM {raw}.books_items", settings) == [(1,)]
    assert rows(conn, "SELECT event_type FROM {erp}.events_outbox ORDER BY id DESC LIMIT 1",
                settings) == [("tds.zoho.sync.failed",)]


def test_activate_version_through_the_target_soft_deletes_unseen(target_config, conn,
                                                                 settings):
    schema = {"type": "SCHEMA", "stream": "inventory_warehouses", "key_properties":
              ["organization_id", "warehouse_id"], "schema": {"properties": {}}}

    def full_sync(version: int, ids: list[str]) -> list[bytes]:
        return [orjson.dumps(m) for m in (
            schema,
            {"type": "ACTIVATE_VERSION", "stream": "inventory_warehouses", "version": version},
            *({"type": "RECORD", "stream": "inventory_warehouses", "version": version,
               "record": {"organization_id": ORG, "warehouse_id": w, "warehouse_name": w}}
              for w in ids),
            {"type": "ACTIVATE_VERSION", "stream": "inventory_warehouses", "version": version},
        )]

    run_target(target_config, full_sync(1, ["w1", "w2"]))
    run_target(target_config, full_sync(2, ["w1"]))
    assert rows(conn, "SELECT zoho_id, deleted_at IS NOT NULL FROM {erp}.warehouses"
                      " ORDER BY 1", settings) == [("w1", False), ("w2", True)]
    run_target(target_config, full_sync(3, ["w1", "w2"]))
    assert rows(conn, "SELECT zoho_id, deleted_at IS NOT NULL FROM {erp}.warehouses"
                      " ORDER BY 1", settings) == [("w1", False), ("w2", False)]
