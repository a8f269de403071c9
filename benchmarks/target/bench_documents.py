"""Load rate of target-tsh-erp on documents with line items, against same-run references.

    .venv/bin/python benchmarks/target/bench_documents.py                  # 5,000 per kind
    .venv/bin/python benchmarks/target/bench_documents.py --documents 30000

The mixed file holds invoices, sales orders and purchase orders of one emulator
organization EXACTLY as tap-zoho emits them: the tap's own SCHEMA messages (full typed
schemas, keys, bookmarks) and each header (a list row through the tap's `post_process`)
followed by its line items (detail lines through the line stream's `post_process`, so
they carry the document id and `parent_last_modified_time`), about four records per
document. A sample is validated with the SDK's record validator; the run stops if one
does not conform. Loaded into one embedded PostgreSQL by:
  1. target-tsh-erp (raw landing of six streams + ERP headers and lines, with the
     removed-line sweep), first load;
  2. target-tsh-erp again on the same file (update run; rows rewritten counted by xmin);
  3. MeltanoLabs target-postgres 0.8.1 with `use_copy: true`;
  4. pipelinewise-target-postgres 2.1.2 with its defaults (own cached venv), first load
     and update run (see `bench_target.py`);
  5. the floor: parse each line, COPY into a stage, INSERT ... ON CONFLICT into ONE table
     keyed by (stream, key) (no Singer, no SDK, no mapping).
Same process model and measurements as `bench_target.py` (child processes, VmHWM).
Targets (issues 5 and 17): >= 5x target-postgres, >= 2x pipelinewise, >= 80 % of the
floor, update run >= 1.0x the first load. The last line printed is one JSON object with
every figure.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import psycopg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _tap_output import TapOutput, validated_counts  # noqa: E402
from bench_target import (  # noqa: E402
    BIN,
    GOALS,
    bytecode_compiled,
    load_average,
    print_summary,
    ratios,
    rewritten,
    run_child,
    run_references,
    startups,
    watch_server,
    xmins,
)

from target_tsh_erp.database import embedded  # noqa: E402
from zoho_emulator.emulator import Emulator  # noqa: E402
from zoho_emulator.settings import EmulatorSettings  # noqa: E402

ORG = "10234695"
SEED = 5
KINDS = {
    # emulator entity: (header stream, line stream, id field, ERP line table)
    "invoices": ("books_invoices", "books_invoice_line_items", "invoice_id",
                 "invoice_lines"),
    "salesorders": ("books_sales_orders", "books_sales_order_line_items", "salesorder_id",
                    "sales_order_lines"),
    "purchaseorders": ("books_purchase_orders", "books_purchase_order_line_items",
                       "purchaseorder_id", "purchase_order_lines"),
}
REVISED = "target-tsh-erp revised run (every document newer, lines removed)"


def make_file(path: Path, documents: int, *, revised: bool = False) -> dict[str, int]:
    """Write the mixed file; return records per stream (and `validated`, `removed`).

    `revised`: every document one day newer, and each document with two or more lines
    without its first line (the removed-line sweep's work; `counts["removed"]` lines).
    """
    finance = Emulator(EmulatorSettings(seed=SEED, scale=documents)).finance
    counts: dict[str, int] = {}
    outputs: list[TapOutput] = []
    with path.open("wb") as handle:
        for entity, (header_stream, line_stream, id_field, _) in KINDS.items():
            headers = TapOutput(header_stream, seed=SEED, organization_id=ORG)
            lines = TapOutput(line_stream, seed=SEED, organization_id=ORG)
            outputs += [headers, lines]
            handle.write(orjson.dumps(headers.schema_message()) + b"\n")
            handle.write(orjson.dumps(lines.schema_message()) + b"\n")
            rows = finance.records(ORG, entity)
            details = finance.records(ORG, entity, detail=True)
            for row, detail in zip(rows, details, strict=True):
                if row[id_field] != detail[id_field]:
                    msg = f"{entity}: list and detail orders differ"
                    raise RuntimeError(msg)
                items = detail.get("line_items") or []
                if revised:
                    row = {**row, "last_modified_time": (  # noqa: PLW2901 - a revised copy
                        datetime.fromisoformat(row["last_modified_time"]) + timedelta(days=1)
                    ).isoformat()}
                    if len(items) >= 2:  # keep at least one line
                        items = items[1:]
                        counts["removed"] = counts.get("removed", 0) + 1
                header = headers.record(row, {"organization_id": ORG})
                context = {"organization_id": ORG, id_field: str(header[id_field]),
                           "parent_last_modified_time": header.get("last_modified_time")}
                messages = [{"type": "RECORD", "stream": header_stream, "record": header}]
                messages += [
                    {"type": "RECORD", "stream": line_stream,
                     "record": lines.record(line, context)}
                    for line in items
                ]
                for message in messages:
                    handle.write(orjson.dumps(message) + b"\n")
                counts[header_stream] = counts.get(header_stream, 0) + 1
                counts[line_stream] = counts.get(line_stream, 0) + len(messages) - 1
            state = {"type": "STATE", "value": {"bookmarks": {header_stream: {"done": True}}}}
            handle.write(orjson.dumps(state) + b"\n")
    counts["validated"] = sum(validated_counts(outputs).values())
    return counts


def floor_main(path: str, url: str) -> None:
    """The floor: parse, COPY to a stage, one INSERT ... ON CONFLICT into one table."""
    with psycopg.connect(url) as connection:
        connection.execute("CREATE SCHEMA IF NOT EXISTS floor")
        connection.execute(
            "CREATE TABLE IF NOT EXISTS floor.records (stream text, key text,"
            " modified_at timestamptz, record jsonb, PRIMARY KEY (stream, key))"
        )
        connection.execute(
            "CREATE TEMP TABLE stage (stream text, key text, modified_at timestamptz,"
            " record jsonb)"
        )
        connection.commit()
        batch: list[tuple[Any, ...]] = []
        keys: dict[str, list[str]] = {}

        def flush() -> None:
            with connection.cursor() as cursor:
                with cursor.copy("COPY stage FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(row)
                cursor.execute(
                    "INSERT INTO floor.records SELECT DISTINCT ON (stream, key) * FROM stage"
                    " ORDER BY stream, key, modified_at DESC"
                    " ON CONFLICT (stream, key) DO UPDATE SET"
                    " modified_at = excluded.modified_at, record = excluded.record"
                    " WHERE excluded.modified_at >= floor.records.modified_at"
                    " AND floor.records.record IS DISTINCT FROM excluded.record"
                )
                cursor.execute("TRUNCATE stage")
            connection.commit()
            batch.clear()

        with Path(path).open("rb") as handle:
            for line in handle:
                message = orjson.loads(line)
                if message["type"] == "SCHEMA":
                    keys[message["stream"]] = message["key_properties"]
                if message["type"] != "RECORD":
                    continue
                stream, record = message["stream"], message["record"]
                key = "|".join(str(record[name]) for name in keys[stream])
                modified = (record.get("last_modified_time")
                            or record.get("parent_last_modified_time"))
                batch.append((stream, key, modified, orjson.dumps(record).decode()))
                if len(batch) >= 10000:
                    flush()
        if batch:
            flush()


def _live_lines(url: str, tables: list[str]) -> int:
    with psycopg.connect(url) as connection:
        return sum(
            row[0] for table in tables
            if (row := connection.execute(
                f"SELECT count(*) FROM {table} WHERE deleted_at IS NULL"  # noqa: S608
            ).fetchone())
        )


def _xmins_of(url: str, tables: list[str]) -> dict[str, dict[Any, str]]:
    return {table: xmins(url, table) for table in tables}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=5000,
                        help="documents per kind (invoices, sales orders, purchase orders)")
    parser.add_argument("--batch-size-rows", type=int, default=5000)
    parser.add_argument("--skip-target-postgres", action="store_true")
    parser.add_argument("--skip-pipelinewise", action="store_true")
    parser.add_argument("--no-compile", action="store_true",
                        help="do not write .pyc files first (start-up then includes compiling)")
    parser.add_argument("--floor", nargs=2, metavar=("FILE", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor:
        floor_main(*args.floor)
        return
    work = Path(tempfile.mkdtemp(prefix="bench-documents-"))
    try:
        summary = run(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"live ERP lines equal lines sent: {summary['checks']}")
    print_summary(summary)


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Generate the file, load it with every loader; return every figure."""
    data = work / "documents.singer"
    counts = make_file(data, args.documents)
    compiled = bytecode_compiled(args)
    validated = counts.pop("validated")
    records = sum(counts.values())
    size_mb = data.stat().st_size / 1e6
    print(f"file: {records} records ({counts}), {size_mb:.1f} MB (the tap's schemas;"
          f" {validated} records validated against them)", flush=True)
    results: dict[str, dict[str, float]] = {}
    erp_tables = [f"erp.{spec[3]}" for spec in KINDS.values()]
    erp_tables += ["erp.invoices", "erp.sales_orders", "erp.purchase_orders"]
    raw_tables = [f"zoho_raw.{name}" for spec in KINDS.values() for name in spec[:2]]
    checks: dict[str, int] = {}
    with embedded(work / "pgdata") as database:
        watch_server(work / "pgdata")
        url = database.url
        config = work / "tsh.json"
        config.write_text(json.dumps({"database_url": url,
                                      "batch_size_rows": args.batch_size_rows}))
        tsh = [str(BIN / "target-tsh-erp"), "--config", str(config)]
        results["target-tsh-erp first load"] = run_child(tsh, data)
        erp_before = _xmins_of(url, erp_tables)
        raw_before = _xmins_of(url, raw_tables)
        results["target-tsh-erp update run"] = {
            **run_child(tsh, data),
            "erp_rows_rewritten": sum(rewritten(url, t, erp_before[t]) for t in erp_tables),
            "raw_rows_rewritten": sum(rewritten(url, t, raw_before[t]) for t in raw_tables),
        }
        checks["lines_sent"] = sum(counts[spec[1]] for spec in KINDS.values())
        checks["live_erp_lines"] = _live_lines(url, erp_tables[:3])
        revised = work / "revised.singer"
        revised_counts = make_file(revised, args.documents, revised=True)
        revised_counts.pop("validated")
        checks["revised_lines_removed"] = revised_counts.pop("removed", 0)
        results[REVISED] = {**run_child(tsh, revised), "records": sum(revised_counts.values())}
        checks["revised_lines_sent"] = sum(revised_counts[spec[1]] for spec in KINDS.values())
        checks["revised_live_erp_lines"] = _live_lines(url, erp_tables[:3])
        results |= run_references(work, url, data, floor_script=Path(__file__), args=args)
        startup = startups(work, url, data, tsh, with_pipelinewise=not args.skip_pipelinewise)
    for result in results.values():
        result["rows_per_s"] = round(result.get("records", records) / result["seconds"], 1)
    for label, sent, live in (("first", "lines_sent", "live_erp_lines"),
                              ("revised", "revised_lines_sent", "revised_live_erp_lines")):
        if checks[sent] != checks[live]:
            msg = f"{label} file: {checks[live]} live ERP lines, {checks[sent]} sent"
            raise RuntimeError(msg)
    return {
        "benchmark": "bench_documents", "documents_per_kind": args.documents,
        "records": records, "records_per_stream": counts, "file_mb": round(size_mb, 1),
        "batch_size_rows": args.batch_size_rows, "validated_records": validated,
        "checks": checks, "results": results, "ratios": ratios(results),
        "goals": GOALS | {"vs_pipelinewise": 2.0, "vs_floor": 0.80}, "startup_s": startup,
        "bytecode_compiled": compiled,
        "load_average_end": load_average(),
    }


if __name__ == "__main__":
    main()
