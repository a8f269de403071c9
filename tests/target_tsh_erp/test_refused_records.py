"""Records PostgreSQL refuses, numbers beyond a double, passwords in errors (issue 14).

Real parts: the target in-process and `apply_records` against the session's embedded
PostgreSQL; nothing is mocked.
"""

from __future__ import annotations

import hashlib
import io
import json
from contextlib import redirect_stdout
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
from psycopg import sql

from target_tsh_erp.database import connect
from target_tsh_erp.protocol import loads
from target_tsh_erp.redaction import redact, url_secrets
from target_tsh_erp.store import apply_records
from target_tsh_erp.store.isolation import MAX_REFUSED_RECORDS, BatchRefusedError
from target_tsh_erp.target import TargetTshErp

if TYPE_CHECKING:
    from target_tsh_erp.settings import WriterSettings

ORG = "10234695"
SCHEMA = {"type": "SCHEMA", "stream": "inventory_items", "key_properties":
          ["organization_id", "item_id"], "bookmark_properties": ["last_modified_time"],
          "schema": {"type": "object", "properties": {}}}


def item(item_id: str, **fields: Any) -> dict[str, Any]:
    return {"organization_id": ORG, "item_id": item_id, "name": f"Item {item_id[:20]}",
            "rate": 1.5, "status": "active",
            "last_modified_time": "2025-01-01T00:00:00+00:00", **fields}


def huge_key(seed: int) -> str:
    """10,000 characters PostgreSQL cannot compress into one btree entry."""
    blocks = (hashlib.sha256(f"{seed}:{n}".encode()).hexdigest() for n in range(160))
    return "".join(blocks)[:10_000]


def run_target(config: dict[str, Any], lines: list[str]) -> list[Any]:
    """Run the target in-process on raw lines; return the STATE values it emitted."""
    out = io.StringIO()
    with redirect_stdout(out):
        TargetTshErp(config=config).listen(io.StringIO("\n".join(lines) + "\n"))
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


def test_records_the_database_refuses_are_rejected_and_the_rest_of_the_batch_commits(
    conn: psycopg.Connection[Any], settings: WriterSettings, target_config: dict[str, Any]
) -> None:
    bad = {5: huge_key(1), 23: huge_key(2)}
    records = [item(bad.get(n, str(n))) for n in range(30)]
    lines = [json.dumps(SCHEMA),
             *(json.dumps({"type": "RECORD", "stream": "inventory_items", "record": record})
               for record in records),
             json.dumps({"type": "STATE", "value": {"sent": 30}})]
    states = run_target({**target_config, "batch_size_rows": 1000}, lines)
    assert states == [{"sent": 30}], "the batch's STATE follows its commit"
    raw = {row[0] for row in conn.execute(sql.SQL("SELECT item_id FROM {}").format(
        sql.Identifier(settings.raw_schema, "inventory_items")))}
    erp = {row[0] for row in conn.execute(sql.SQL(
        "SELECT zoho_id FROM {} WHERE NOT is_placeholder").format(
        sql.Identifier(settings.erp_schema, "products")))}
    good = {str(n) for n in range(30) if n not in bad}
    assert raw == good
    assert erp == good
    rejects = conn.execute(sql.SQL("SELECT stream, record_key, reason, record->>'item_id'"
                                   " FROM {} ORDER BY id").format(
        sql.Identifier(settings.raw_schema, "rejects"))).fetchall()
    assert [row[0] for row in rejects] == ["inventory_items"] * 2
    for key, (_, record_key, reason, kept) in zip(bad.values(), rejects, strict=True):
        assert key[:100] in record_key, "the reject names the record's key"
        assert len(record_key) < 1000, "a key too long to index is stored cut, with its hash"
        assert "refused" in reason
        assert kept == key, "the record is kept whole in rejects"


def test_the_raw_layer_keeps_numbers_exactly_and_the_erp_refuses_what_a_double_cannot_hold(
    conn: psycopg.Connection[Any], settings: WriterSettings
) -> None:
    line = (b'{"organization_id": "' + ORG.encode() + b'", "item_id": "n1", "name": "N",'
            b' "status": "active", "last_modified_time": "2025-01-01T00:00:00+00:00",'
            b' "rate": 1e400, "count": 123456789012345678901234567890,'
            b' "share": 0.1000000000000000000000000001, "plain": 12.5, "tiny": 1e-400}')
    record = loads(line)
    assert record["rate"] == Decimal("1e400")
    assert record["plain"] == 12.5
    assert type(record["plain"]) is float
    result = apply_records(conn, "inventory_items", [record], settings=settings)
    assert [reject.key for reject in result.rejects] == [f'["{ORG}","n1"]']
    assert "'rate'" in result.rejects[0].reason
    stored = conn.execute(sql.SQL(
        "SELECT record->'rate' = '1e400'::jsonb, record->>'count', record->>'share',"
        " record->'plain' = '12.5'::jsonb, record->'tiny' = '1e-400'::jsonb FROM {}").format(
        sql.Identifier(settings.raw_schema, "inventory_items"))).fetchone()
    assert stored == (True, "123456789012345678901234567890",
                      "0.1000000000000000000000000001", True, True)


@pytest.mark.parametrize("url", [
    "postgresql://tsh:Pw-7f3kq9Zx@[::1/erp",
    "tsh:Pw-7f3kq9Zx@localhost/erp",
    "host=[::1 password='Pw-7f3kq9Zx' dbname=erp",
])
def test_a_connection_error_never_holds_the_password(url: str) -> None:
    with pytest.raises(psycopg.Error) as raised:
        connect(url)
    assert "7f3kq9Zx" not in str(raised.value)
    assert "TARGET_TSH_ERP_DATABASE_URL" in str(raised.value)
    assert raised.value.__cause__ is None, "the original error (with the password) is dropped"


def test_redact_removes_passwords_of_urls_it_knows_and_of_urls_it_does_not() -> None:
    url = "postgresql://tsh:p%40ss-9@db.example:5432/erp"
    assert url_secrets(url) == ["p%40ss-9", "p@ss-9"]
    assert redact(f"refused p@ss-9 and {url}", url) == (
        "refused *** and postgresql://tsh:***@db.example:5432/erp")
    assert redact("echo: other:s3cr3t@host, password=hunter2") == (
        "echo: other:***@host, password=***")
    assert redact("line 5: nothing secret here") == "line 5: nothing secret here"


def test_an_error_no_record_can_avoid_stops_the_run_instead_of_rejecting_everything(
    conn: psycopg.Connection[Any], settings: WriterSettings, target_config: dict[str, Any]
) -> None:
    """A constraint every row breaks is the table's fault: stop, reject nothing, no STATE."""
    apply_records(conn, "inventory_items", [item("first")], settings=settings)
    table = sql.Identifier(settings.raw_schema, "inventory_items")
    conn.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT never CHECK (false) NOT VALID")
                 .format(table))
    conn.commit()
    lines = [json.dumps(SCHEMA),
             *(json.dumps({"type": "RECORD", "stream": "inventory_items", "record": item(str(n))})
               for n in range(MAX_REFUSED_RECORDS + 20)),
             json.dumps({"type": "STATE", "value": {"sent": "all"}})]
    out = io.StringIO()
    with redirect_stdout(out), pytest.raises(BatchRefusedError, match="refused more than"):
        TargetTshErp(config=target_config).listen(io.StringIO("\n".join(lines) + "\n"))
    assert "sent" not in out.getvalue(), "no STATE for records that were not committed"
    assert conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table)).fetchone() == (1,)
    assert conn.execute(sql.SQL("SELECT count(*) FROM {}").format(
        sql.Identifier(settings.raw_schema, "rejects"))).fetchone() == (0,)
    failed = conn.execute(sql.SQL("SELECT payload->>'reason' FROM {} WHERE event_type ="
                                  " 'tds.zoho.sync.failed'").format(
        sql.Identifier(settings.erp_schema, "events_outbox"))).fetchall()
    assert len(failed) == 1
    assert "refused more than" in failed[0][0]
