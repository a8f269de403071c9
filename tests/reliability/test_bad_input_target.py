"""Bad-input corpus for target-tsh-erp: each case ends loaded, rejected, or stopped clearly.

Every case sends good records before and after the bad input to the real console script.
Acceptable: "loaded" (the value stored verbatim), "rejected" (a `rejects` row naming the
stream and key, the record still in its raw table), or "stopped" (exit 1, one clear line,
no traceback, the good records before it committed). Never a traceback, never a good
record lost, never SQL executed from data.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from target_tsh_erp.store.raw_tables import raw_table_name
from target_tsh_erp.testing import schema_message, synthetic_item

TARGET = str(Path(sys.executable).parent / "target-tsh-erp")
STREAM = "inventory_items"
RESULTS = os.environ.get("BAD_INPUT_RESULTS")


def _record(stream: str, record: dict[str, Any]) -> bytes:
    return orjson.dumps({"type": "RECORD", "stream": stream, "record": record})


def _item(index: int, **fields: Any) -> dict[str, Any]:
    return {**synthetic_item(index), **fields}


def _deep(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"leaf": True}
    for _ in range(depth):
        node = {"child": node}
    return node


def _incompressible(size: int) -> str:
    """Text PostgreSQL cannot compress below a btree entry's limit (2,704 bytes)."""
    blocks = (hashlib.sha256(str(n).encode()).hexdigest() for n in range(size // 64 + 1))
    return "".join(blocks)[:size]


def _raw_number(item: dict[str, Any], name: str, literal: str) -> bytes:
    """A RECORD line with a number literal no encoder writes (`1e400`) as field `name`."""
    line = _record(STREAM, item)
    return line[:-2] + f',"{name}":{literal}}}}}'.encode()


SQLISH = "Robert'); DROP TABLE erp.products; --"
HUGE_KEY = _incompressible(10_000)
BIG_INTEGER = "123456789012345678901234567890"
LONG_DECIMAL = "0.1000000000000000000000000001"
CASES: dict[str, list[bytes]] = {
    "malformed line": [b'{"type": "RECORD", "stream": "inventory_items", "record": {"ite'],
    "wrong types": [_record(STREAM, _item(900, rate="twelve", stock_on_hand="lots"))],
    "huge record": [_record(STREAM, _item(901, description="x" * 8_000_000))],
    "deep nesting": [json.dumps({"type": "RECORD", "stream": STREAM, "record": _item(
        902, custom_fields=[_deep(600)])}).encode()],
    "unicode and NUL bytes": [_record(STREAM, _item(903, name="Çà 日本語 🚀 \u0000 end",
                                                    description="nul\u0000byte"))],
    "SQL-like strings in values": [_record(STREAM, _item(904, name=SQLISH,
                                                         sku="1' OR '1'='1"))],
    "SQL-like stream name": [
        orjson.dumps({**schema_message('x"; DROP SCHEMA erp CASCADE; --', ["id"])}),
        _record('x"; DROP SCHEMA erp CASCADE; --', {"id": "1", "organization_id": "1"}),
    ],
    "unknown stream": [orjson.dumps(schema_message("books_gizmos", ["organization_id", "id"])),
                       _record("books_gizmos", {"organization_id": "10234695", "id": "g1"})],
    "schema change mid-stream": [
        orjson.dumps({**schema_message(STREAM), "schema": {"type": "object", "properties": {
            "item_id": {"type": "string"}, "brand_new_field": {"type": "integer"}}}}),
        _record(STREAM, _item(905, brand_new_field=7)),
    ],
    "record before schema": [_record("books_never_declared", {"id": "1"})],
    "missing key property": [_record(STREAM, {k: v for k, v in _item(906).items()
                                              if k != "item_id"})],
    "NUL in a stream name": [orjson.dumps(schema_message("books_x\u0000y", ["id"])),
                             _record("books_x\u0000y", {"id": "1"})],
    "stream named as another stream's table": [
        orjson.dumps(schema_message("books-gadgets", ["organization_id", "id"])),
        _record("books-gadgets", {"organization_id": "1", "id": "g1"}),
        orjson.dumps(schema_message(raw_table_name("books-gadgets"), ["organization_id", "id"])),
        _record(raw_table_name("books-gadgets"), {"organization_id": "1", "id": "g2"}),
    ],
    "key narrowed mid-stream": [
        orjson.dumps(schema_message(STREAM, ["organization_id"])),
        _record(STREAM, _item(911)),
    ],
    "keyless stream named _streams": [orjson.dumps(schema_message("_streams", [])),
                                      _record("_streams", {"stream": "x", "a": 1})],
    "keyless stream named rejects": [orjson.dumps(schema_message("rejects", [])),
                                     _record("rejects", {"stream": "x", "a": 1})],
    "10 KB key value": [_record(STREAM, _item(912, item_id=HUGE_KEY))],
    "rate 1e400": [_raw_number(_item(907), "rate", "1e400")],
    "30-digit integer and long decimal": [
        _raw_number(_item(908), "big_number", BIG_INTEGER)[:-2]
        + f',"long_decimal":{LONG_DECIMAL}}}}}'.encode(),
    ],
    "year 1 modification time": [
        _record(STREAM, _item(909, last_modified_time="0001-01-01T00:00:00+05:30"))],
    "year 10000 modification time, then a real update": [
        _record(STREAM, _item(910, name="bogus", last_modified_time="9999-12-31T23:00:00-08:00")),
        _record(STREAM, _item(910, name="real update",
                              last_modified_time="2026-03-01T00:00:00+00:00")),
    ],
}
BAD_KEYS = {"wrong types": "900", "huge record": "901", "deep nesting": "902",
            "unicode and NUL bytes": "903", "SQL-like strings in values": "904",
            "schema change mid-stream": "905", "rate 1e400": "907",
            "30-digit integer and long decimal": "908", "year 1 modification time": "909",
            "year 10000 modification time, then a real update": "910"}  # fmt: skip

KNOWN_FAILURES: dict[str, str] = {}
"""Cases that fail today, with what happens; the test flips when one gets fixed."""

EXPECTED = {
    "deep nesting": "rejected", "unicode and NUL bytes": "loaded",
    "NUL in a stream name": "stopped", "stream named as another stream's table": "stopped",
    "key narrowed mid-stream": "stopped", "keyless stream named _streams": "stopped",
    "keyless stream named rejects": "stopped", "10 KB key value": "rejected",
    "rate 1e400": "rejected", "30-digit integer and long decimal": "loaded",
    "year 1 modification time": "rejected",
    "year 10000 modification time, then a real update": "loaded",
}
"""Fixed cases pinned to their outcome: a record nested deeper than orjson's 254 levels is
stored (deep part as JSON text) and rejected; NUL characters are removed and it loads;
stream names the target cannot use stop the run with one line after committing what came
before; a key the database refuses is rejected and the rest of its batch commits; numbers
and datetimes out of the ERP's range are rejected (the raw layer keeps them exactly)."""

INTERNAL_COLUMNS = {
    "_streams": {"stream", "table_name", "key_properties", "modification_field", "created_at"},
    "rejects": {"id", "stream", "record_key", "reason", "record", "rejected_at"},
}


def _run(config: Path, lines: list[bytes]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([TARGET, "--config", str(config)], input=b"\n".join(lines) + b"\n",
                          capture_output=True, timeout=300, check=False)


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input(case, database_url, schemas, workdir, db):
    erp, raw = schemas
    config = workdir / "target.json"
    config.write_text(json.dumps({"database_url": database_url, "erp_schema": erp,
                                  "raw_schema": raw, "notify_channel": f"ev_{erp}"}))
    before = [_record(STREAM, synthetic_item(i)) for i in range(3)]
    after = [_record(STREAM, synthetic_item(i)) for i in range(3, 6)]
    lines = [orjson.dumps(schema_message(STREAM)), *before,
             b'{"type": "STATE", "value": {"at": "before"}}', *CASES[case], *after,
             b'{"type": "STATE", "value": {"at": "end"}}']
    done = _run(config, lines)
    log = done.stderr.decode("utf-8", "replace")
    (workdir / "target.log").write_text(log)
    if case in KNOWN_FAILURES:
        assert "Traceback (most recent call last)" in log, f"fixed? {KNOWN_FAILURES[case]}"
        _save(case, f"FAILS: {KNOWN_FAILURES[case]}")
        pytest.xfail(KNOWN_FAILURES[case])
    assert "Traceback (most recent call last)" not in log, log[-3000:]
    landed = {row[0] for row in db.execute(
        f'SELECT item_id FROM "{raw}".inventory_items')}  # noqa: S608
    products = {row[0] for row in db.execute(
        f'SELECT zoho_id FROM "{erp}".products WHERE NOT is_placeholder')}  # noqa: S608
    good_before = {synthetic_item(i)["item_id"] for i in range(3)}
    good_after = {synthetic_item(i)["item_id"] for i in range(3, 6)}
    assert good_before <= landed, "a good record before the bad input was lost"
    assert good_before <= products
    tables = {row[0] for row in db.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (erp,))}
    assert "products" in tables, "data was executed as SQL"
    bad_id = synthetic_item(int(BAD_KEYS[case]))["item_id"] if case in BAD_KEYS else None
    rejects = db.execute(f'SELECT stream, record_key, reason FROM "{raw}".rejects').fetchall()  # noqa: S608
    db.commit()
    if done.returncode == 0:
        assert good_after <= landed, "a good record after the bad input was lost"
        assert b'"end"' in done.stdout, "the final state was not emitted"
        if case == "10 KB key value":
            refused = [r for r in rejects if r[0] == STREAM and HUGE_KEY[:100] in r[1]]
            assert refused, rejects
            assert HUGE_KEY not in landed
            outcome = f"rejected: {refused[0][2]}"
        elif bad_id is not None and bad_id in products:
            outcome = "loaded"
        elif bad_id is not None:
            assert bad_id in landed, "the bad record vanished: neither mapped nor raw"
            assert any(r[0] == STREAM and bad_id in r[1] for r in rejects), rejects
            outcome = f"rejected: {next(r[2] for r in rejects if bad_id in r[1])}"
        else:
            outcome = "loaded (raw only)"
    else:
        outcome = _stopped(done, log, db, erp)
    _check_case(case, outcome, db, schemas, bad_id)
    _save(case, outcome)


def _stopped(done: subprocess.CompletedProcess[bytes], log: str, db: Any, erp: str) -> str:
    """A stopped run: exit 1, one line saying why, the work before it committed, failed."""
    assert done.returncode == 1
    message = [line for line in log.splitlines() if "ERROR" in line or "rror" in line]
    assert message, log[-2000:]
    assert len([line for line in message if "stopped:" in line]) == 1, message
    assert b'"before"' in done.stdout, "committed work before the bad line has no state"
    assert b'"end"' not in done.stdout, "state claims lines that were not loaded"
    failed = db.execute(f'SELECT payload FROM "{erp}".events_outbox'  # noqa: S608
                        " WHERE event_type = 'tds.zoho.sync.failed'").fetchall()
    db.commit()
    assert failed, "a stopped run must publish tds.zoho.sync.failed"
    return f"stopped: {message[-1][-200:]}"


def _check_case(case: str, outcome: str, db: Any, schemas: tuple[str, str],
                bad_id: str | None) -> None:
    """The case-specific outcome: values stored as sent, fixed cases pinned."""
    erp, raw = schemas
    name = db.execute(f'SELECT name FROM "{erp}".products WHERE zoho_id = %s',  # noqa: S608
                      (bad_id,)).fetchone()
    for table, columns in INTERNAL_COLUMNS.items():
        found = {row[0] for row in db.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = %s AND table_name = %s", (raw, table))}
        assert found == columns, f"{raw}.{table} was altered: {found ^ columns}"
    if case == "rate 1e400":
        assert "'rate'" in outcome, outcome
        assert db.execute(f"SELECT record->'rate' = '1e400'::jsonb FROM \"{raw}\""  # noqa: S608
                          ".inventory_items WHERE item_id = %s", (bad_id,)).fetchone() == (
                              True,), "the raw layer must keep 1e400 as received"
    if case == "30-digit integer and long decimal":
        assert db.execute(
            f"SELECT record->>'big_number', record->>'long_decimal' FROM \"{raw}\""  # noqa: S608
            ".inventory_items WHERE item_id = %s", (bad_id,)).fetchone() == (
                BIG_INTEGER, LONG_DECIMAL), "the raw layer must keep numbers as received"
    if case == "year 1 modification time":
        assert "'last_modified_time'" in outcome, outcome
    if case == "year 10000 modification time, then a real update":
        assert name == ("real update",), "a year-10000 modification time froze the row"
    db.commit()
    if case == "SQL-like strings in values":
        assert name == (SQLISH,)
    if case in EXPECTED:
        assert outcome.startswith(EXPECTED[case]), outcome
    if case == "unicode and NUL bytes":
        assert name == ("Çà 日本語 🚀  end",), "NUL must be removed, nothing else changed"
    if case in {"malformed line", "record before schema", "missing key property"}:
        assert outcome.startswith("stopped"), "a protocol error must not pass silently"


def _save(case: str, outcome: str) -> None:
    if RESULTS:
        with open(RESULTS, "a", encoding="utf-8") as handle:  # noqa: PTH123
            handle.write(json.dumps({"case": case, "outcome": outcome}) + "\n")


TSH_ERP = str(Path(sys.executable).parent / "tsh-erp")
PASSWORD = "Pw-7f3kq9Zx"
MALFORMED_URLS = {
    "unclosed bracket": f"postgresql://tsh:{PASSWORD}@[::1/erp",
    "no scheme": f"tsh:{PASSWORD}@localhost/erp",
    "port not a number": f"postgresql://tsh:{PASSWORD}@localhost:notaport/erp",
    "percent-encoded password": "postgresql://tsh:Pw%2D7f3kq9Zx@[::1/erp",
    "password parameter": f"host=[::1 password={PASSWORD} dbname=erp",
}


@pytest.mark.parametrize("name", list(MALFORMED_URLS))
def test_a_malformed_database_url_never_prints_its_password(name, workdir):
    """psycopg quotes a connection string it cannot parse; no output may show the password."""
    url = MALFORMED_URLS[name]
    config = workdir / "target.json"
    config.write_text(json.dumps({"database_url": url}))
    target = _run(config, [orjson.dumps(schema_message(STREAM)),
                           _record(STREAM, synthetic_item(1))])
    environment = {**os.environ, "TARGET_TSH_ERP_DATABASE_URL": url}
    cli = subprocess.run([TSH_ERP, "migrate"], capture_output=True, timeout=120, env=environment,
                         cwd=workdir, check=False)
    for command, done in (("target-tsh-erp", target), ("tsh-erp", cli)):
        output = (done.stdout + done.stderr).decode("utf-8", "replace")
        (workdir / f"{command}.log").write_text(output)
        assert done.returncode == 1, (command, output[-2000:])
        assert "7f3kq9Zx" not in output, f"{command} printed the password: {output[-2000:]}"
        assert "Traceback (most recent call last)" not in output, output[-2000:]
        assert "database_url" in output, output[-2000:]
        assert "TARGET_TSH_ERP_DATABASE_URL" in output, output[-2000:]


INVALID_SETTINGS = {
    "batch_size_rows": {"batch_size_rows": "lots"},
    "writer_connections": {"writer_connections": "two"},
    "raw_schema": {"erp_schema": "same", "raw_schema": "same"},
    "erp_schema": {"erp_schema": "x" * 64},
    "embedded_data_dir": {"database_url": "", "embedded_data_dir": "a-file/pgdata"},
}


@pytest.mark.parametrize("setting", list(INVALID_SETTINGS))
def test_an_invalid_setting_ends_with_one_line_naming_it_and_its_variable(
    setting, database_url, workdir
):
    config = workdir / "target.json"
    config.write_text(json.dumps({"database_url": database_url, **INVALID_SETTINGS[setting]}))
    (workdir / "a-file").write_text("a file where a folder should be")
    done = subprocess.run([TARGET, "--config", str(config)], cwd=workdir, capture_output=True,
                          input=orjson.dumps(schema_message(STREAM)) + b"\n", timeout=300,
                          check=False)
    log = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 1, log[-2000:]
    assert "Traceback (most recent call last)" not in log, log[-2000:]
    errors = [line for line in log.splitlines() if "ERROR" in line]
    assert len(errors) == 1, errors
    assert setting in errors[0], errors
    assert f"TARGET_TSH_ERP_{setting.upper()}" in errors[0], errors
