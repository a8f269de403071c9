"""Load rate of target-tsh-erp on documents with line items, against same-run references.

    .venv/bin/python benchmarks/target/bench_documents.py                  # 5,000 per kind
    .venv/bin/python benchmarks/target/bench_documents.py --documents 30000

The mixed file holds invoices, sales orders and purchase orders of one emulator
organization as tap-zoho emits them: each header (a list row) followed by its line items
(child stream records carrying `parent_last_modified_time`), about four records per
document. Loaded into one embedded PostgreSQL by:
  1. target-tsh-erp (raw landing of six streams + ERP headers and lines, with the
     removed-line sweep), first load;
  2. target-tsh-erp again on the same file (update run; rows rewritten counted by xmin);
  3. MeltanoLabs target-postgres 0.8.1 with `use_copy: true`;
  4. the floor: parse each line, COPY into a stage, INSERT ... ON CONFLICT into ONE table
     keyed by (stream, key) (no Singer, no SDK, no mapping).
Same process model and measurements as `bench_target.py` (child processes, VmHWM).
Targets (issue 5): >= 5x target-postgres, >= 40 % of the floor.
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

from bench_target import BIN, rewritten, run_child, xmins  # noqa: E402

from target_tsh_erp.database import embedded  # noqa: E402
from target_tsh_erp.testing import schema_message, to_utc  # noqa: E402
from zoho_emulator.emulator import Emulator  # noqa: E402
from zoho_emulator.settings import EmulatorSettings  # noqa: E402

ORG = "10234695"
KINDS = {
    # emulator entity: (header stream, line stream, id field, ERP line table)
    "invoices": ("books_invoices", "books_invoice_line_items", "invoice_id",
                 "invoice_lines"),
    "salesorders": ("books_sales_orders", "books_sales_order_line_items", "salesorder_id",
                    "sales_order_lines"),
    "purchaseorders": ("books_purchase_orders", "books_purchase_order_line_items",
                       "purchaseorder_id", "purchase_order_lines"),
}
_TIMES = ("created_time", "last_modified_time")


def _shaped(record: dict[str, Any]) -> dict[str, Any]:
    shaped = {"organization_id": ORG, **record}
    for name in _TIMES:
        if isinstance(shaped.get(name), str) and shaped[name]:
            shaped[name] = to_utc(shaped[name])
    return shaped


def make_file(path: Path, documents: int, *, revised: bool = False) -> dict[str, int]:
    """Write the mixed file; return records per stream.

    `revised`: every document one day newer, and each document with two or more lines
    without its first line (the removed-line sweep's work; `counts["removed"]` lines).
    """
    finance = Emulator(EmulatorSettings(seed=5, scale=documents)).finance
    counts: dict[str, int] = {}
    with path.open("wb") as handle:
        for entity, (header_stream, line_stream, id_field, _) in KINDS.items():
            handle.write(orjson.dumps(schema_message(header_stream)) + b"\n")
            handle.write(orjson.dumps(schema_message(line_stream)) + b"\n")
            rows = finance.records(ORG, entity)
            details = finance.records(ORG, entity, detail=True)
            for row, detail in zip(rows, details, strict=True):
                header = _shaped(row)
                if header[id_field] != detail[id_field]:
                    msg = f"{entity}: list and detail orders differ"
                    raise RuntimeError(msg)
                items = detail.get("line_items") or []
                if revised:
                    header["last_modified_time"] = (
                        datetime.fromisoformat(header["last_modified_time"]) + timedelta(days=1)
                    ).isoformat()
                    if len(items) >= 2:  # keep at least one line
                        items = items[1:]
                        counts["removed"] = counts.get("removed", 0) + 1
                messages = [{"type": "RECORD", "stream": header_stream, "record": header}]
                messages += [
                    {"type": "RECORD", "stream": line_stream,
                     "record": {"organization_id": ORG, id_field: header[id_field], **line,
                                "parent_last_modified_time": header["last_modified_time"]}}
                    for line in items
                ]
                for message in messages:
                    handle.write(orjson.dumps(message) + b"\n")
                counts[header_stream] = counts.get(header_stream, 0) + 1
                counts[line_stream] = counts.get(line_stream, 0) + len(messages) - 1
            state = {"type": "STATE", "value": {"bookmarks": {header_stream: {"done": True}}}}
            handle.write(orjson.dumps(state) + b"\n")
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
    parser.add_argument("--floor", nargs=2, metavar=("FILE", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor:
        floor_main(*args.floor)
        return
    work = Path(tempfile.mkdtemp(prefix="bench-documents-"))
    try:
        run(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path) -> None:
    """Generate the file, load it with every loader, print rates and ratios."""
    data = work / "documents.singer"
    counts = make_file(data, args.documents)
    records = sum(counts.values())
    print(f"file: {records} records ({counts}), {data.stat().st_size / 1e6:.1f} MB")
    results: dict[str, dict[str, float]] = {}
    erp_tables = [f"erp.{spec[3]}" for spec in KINDS.values()]
    erp_tables += ["erp.invoices", "erp.sales_orders", "erp.purchase_orders"]
    raw_tables = [f"zoho_raw.{name}" for spec in KINDS.values() for name in spec[:2]]
    with embedded(work / "pgdata") as database:
        url = database.url
        config = work / "tsh.json"
        config.write_text(json.dumps({"database_url": url,
                                      "batch_size_rows": args.batch_size_rows}))
        tsh = [str(BIN / "target-tsh-erp"), "--config", str(config)]
        seconds, rss = run_child(tsh, data)
        results["target-tsh-erp first load"] = {"seconds": seconds, "rss_mb": rss}
        erp_before = _xmins_of(url, erp_tables)
        raw_before = _xmins_of(url, raw_tables)
        seconds, rss = run_child(tsh, data)
        results["target-tsh-erp update run"] = {
            "seconds": seconds, "rss_mb": rss,
            "erp_rows_rewritten": sum(rewritten(url, t, erp_before[t]) for t in erp_tables),
            "raw_rows_rewritten": sum(rewritten(url, t, raw_before[t]) for t in raw_tables),
        }
        lines = sum(counts[spec[1]] for spec in KINDS.values())
        print(f"live ERP lines {_live_lines(url, erp_tables[:3])} of {lines} sent")
        revised = work / "revised.singer"
        revised_counts = make_file(revised, args.documents, revised=True)
        seconds, rss = run_child(tsh, revised)
        results["target-tsh-erp revised run (every document newer, lines removed)"] = {
            "seconds": seconds, "rss_mb": rss}
        print(f"revised file: {revised_counts.pop('removed', 0)} lines removed; live ERP"
              f" lines {_live_lines(url, erp_tables[:3])} of"
              f" {sum(revised_counts[spec[1]] for spec in KINDS.values())} sent")
        if not args.skip_target_postgres:
            tp_config = work / "tp.json"
            tp_config.write_text(json.dumps({
                "sqlalchemy_url": url.replace("postgresql://", "postgresql+psycopg://"),
                "use_copy": True, "default_target_schema": "bench_tp",
            }))
            seconds, rss = run_child(
                [str(BIN / "target-postgres"), "--config", str(tp_config)], data
            )
            results["target-postgres (use_copy)"] = {"seconds": seconds, "rss_mb": rss}
        seconds, rss = run_child([sys.executable, __file__, "--floor", str(data), url], data)
        results["floor: COPY + upsert, one table"] = {"seconds": seconds, "rss_mb": rss}
    for name, result in results.items():
        size = sum(revised_counts.values()) if "revised" in name else records
        result["rows_per_s"] = size / result["seconds"]
    width = max(map(len, results))
    for name, result in results.items():
        extra = "".join(f", {k} {int(v)}" for k, v in result.items() if k.endswith("rewritten"))
        print(f"{name:<{width}}  {result['rows_per_s']:>9,.0f} rows/s  "
              f"{result['seconds']:7.1f} s  peak RSS {result['rss_mb']:6.0f} MB{extra}")
    tsh_rate = results["target-tsh-erp first load"]["rows_per_s"]
    floor_rate = results["floor: COPY + upsert, one table"]["rows_per_s"]
    print(f"target-tsh-erp / floor: {tsh_rate / floor_rate:.0%} (target >= 40%)")
    if "target-postgres (use_copy)" in results:
        tp_rate = results["target-postgres (use_copy)"]["rows_per_s"]
        print(f"target-tsh-erp / target-postgres: {tsh_rate / tp_rate:.1f}x (target >= 5x)")
    update_rate = results["target-tsh-erp update run"]["rows_per_s"]
    print(f"update run / first load: {update_rate / tsh_rate:.2f} (target >= 1.0)")


if __name__ == "__main__":
    main()
