"""Values PostgreSQL cannot hold as sent (NUL, nesting beyond orjson) never stop a batch."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from psycopg import sql

from target_tsh_erp.store import MAX_STORED_DEPTH, apply_records

T1 = "2025-01-01T00:00:00+00:00"
ORG = "10234695"


def item(item_id: str, **extra: Any) -> dict[str, Any]:
    return {"organization_id": ORG, "item_id": item_id, "name": f"Item {item_id}",
            "rate": 10.0, "status": "active", "last_modified_time": T1, **extra}


def q(conn, settings, query, *args):
    return conn.execute(sql.SQL(query).format(erp=sql.Identifier(settings.erp_schema),
                                              raw=sql.Identifier(settings.raw_schema)),
                        args).fetchall()


def deep(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"leaf": "end"}
    for _ in range(depth):
        node = {"child": node}
    return node


def unfit(value: Any, depth: int = 0) -> Any:
    """Undo the writer's fitting: a string at the cut depth is the JSON of the deep part."""
    if depth == MAX_STORED_DEPTH and isinstance(value, str):
        return json.loads(value)
    if isinstance(value, dict):
        return {k: unfit(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [unfit(v, depth + 1) for v in value]
    return value


def test_nul_is_removed_once_with_a_warning_and_the_batch_commits(conn, writer, settings,
                                                                  caplog):
    bad = item("nul", name="Çà 日本語 \u0000 end", description="nul\u0000byte",
               custom_fields=[{"la\u0000bel": "v\u0000"}])
    with caplog.at_level(logging.WARNING, logger="target_tsh_erp"):
        result = apply_records(conn, "books_items", [item("a"), bad, item("b")],
                               writer=writer)
    assert result.rejects == []
    assert q(conn, settings, "SELECT zoho_id, name, description FROM {erp}.products"
                             " ORDER BY zoho_id") == [
        ("a", "Item a", None), ("b", "Item b", None),
        ("nul", "Çà 日本語  end", "nulbyte")]
    raw = q(conn, settings, "SELECT record FROM {raw}.books_items WHERE item_id = 'nul'")
    assert raw[0][0]["name"] == "Çà 日本語  end"
    assert raw[0][0]["custom_fields"] == [{"label": "v"}]
    warnings = [r.getMessage() for r in caplog.records if "NUL" in r.getMessage()]
    assert len(warnings) == 1, warnings
    assert "books_items" in warnings[0]
    assert "nul" in warnings[0]


def test_nul_in_a_key_is_removed_so_the_record_lands(conn, writer, settings):
    apply_records(conn, "books_items", [item("k\u00001")], writer=writer)
    assert q(conn, settings, "SELECT item_id FROM {raw}.books_items") == [("k1",)]
    assert q(conn, settings, "SELECT zoho_id FROM {erp}.products") == [("k1",)]


def test_too_deep_record_is_rejected_stored_losslessly_and_the_batch_commits(
        conn, writer, settings, caplog):
    nested = [deep(600)]
    with caplog.at_level(logging.WARNING, logger="target_tsh_erp"):
        result = apply_records(conn, "books_items",
                               [item("a"), item("deep", custom_fields=nested), item("b")],
                               writer=writer)
    assert [(r.stream, r.key) for r in result.rejects] == [
        ("books_items", json.dumps([ORG, "deep"], separators=(",", ":")))]
    assert "254" in result.rejects[0].reason
    assert q(conn, settings, "SELECT zoho_id FROM {erp}.products ORDER BY zoho_id") == [
        ("a",), ("b",)]
    raw = q(conn, settings, "SELECT record FROM {raw}.books_items WHERE item_id = 'deep'")
    assert unfit(raw[0][0]) == item("deep", custom_fields=nested)
    rejects = q(conn, settings, "SELECT stream, record_key, reason, record FROM {raw}.rejects")
    assert len(rejects) == 1
    assert rejects[0][:2] == ("books_items", json.dumps([ORG, "deep"], separators=(",", ":")))
    assert unfit(rejects[0][3]) == item("deep", custom_fields=nested)
    assert any("Rejected books_items" in r.getMessage() for r in caplog.records)


def test_nesting_as_deep_as_the_reader_accepts_is_stored_without_loss(conn, writer,
                                                                      settings):
    nested = [deep(1000)]  # orjson reads up to 1024 levels; Python's encoder stops earlier
    apply_records(conn, "books_items", [item("deeper", custom_fields=nested)], writer=writer)
    raw = q(conn, settings, "SELECT record FROM {raw}.books_items")
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(5000)  # only for the check: json.loads and == recurse per level
    try:
        assert unfit(raw[0][0]) == item("deeper", custom_fields=nested)
    finally:
        sys.setrecursionlimit(limit)
    assert q(conn, settings, "SELECT record_key FROM {raw}.rejects") == [(
        json.dumps([ORG, "deeper"], separators=(",", ":")),)]


def test_a_deep_record_that_later_arrives_flat_maps_and_clears_its_reject(conn, writer,
                                                                          settings):
    apply_records(conn, "books_items", [item("deep", custom_fields=[deep(300)])],
                  writer=writer)
    later = item("deep", last_modified_time="2025-01-02T00:00:00+00:00", custom_fields=[])
    apply_records(conn, "books_items", [later], writer=writer)
    assert q(conn, settings, "SELECT zoho_id FROM {erp}.products") == [("deep",)]
    assert q(conn, settings, "SELECT count(*) FROM {raw}.rejects") == [(0,)]
