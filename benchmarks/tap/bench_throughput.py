"""Records/s of tap-zoho (HTTP from the emulator included) vs a bare SDK tap (from memory).

Both run in this process, one after the other, writing Singer messages to /dev/null
(the emulator serves from its own process, as Zoho would):
- reference: a bare singer-sdk tap with default settings, one stream with the same schema,
  yielding records already in memory;
- tap-zoho: a full sync of `books_invoices` of one organization from an emulator with
  every limit off and no latency.

Target (issue 3): tap-zoho >= 80% of the reference. Run:
    .venv/bin/python benchmarks/tap/bench_throughput.py [records]
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from typing import Any

from singer_sdk import Stream, Tap

from scripts.emulator_process import emulator_process, serve_options
from tap_zoho.api.auth import TokenManager
from tap_zoho.schemas import load_schema
from tap_zoho.tap import TapZoho
from tap_zoho.testing import emulator_config, select_only

ORG = "10234695"
STREAM = "books_invoices"


def make_reference(records: list[dict[str, Any]]) -> type[Tap]:
    class MemoryStream(Stream):
        name = STREAM
        primary_keys = ("organization_id", "invoice_id")
        schema = load_schema(STREAM)

        def get_records(self, context):  # noqa: ARG002
            for record in records:
                yield dict(record)

    class MemoryTap(Tap):
        name = "tap-memory"
        config_jsonschema = {"type": "object", "properties": {}}  # noqa: RUF012

        def discover_streams(self):
            return [MemoryStream(self)]

    return MemoryTap


def timed(tap: Tap) -> float:
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):  # noqa: PTH123
        started = time.perf_counter()
        tap.sync_all()
        return time.perf_counter() - started


def main(count: int) -> None:
    options = serve_options(requests_per_minute=0, daily_limit=0, concurrency_limit=0)
    with emulator_process(None, scale=str(count), extra_args=options) as zoho:
        base_url = zoho.base_url
        config = emulator_config(base_url, products=["books"], organization_ids=[ORG])
        catalog = select_only(TapZoho(config=config).catalog_dict, {STREAM})
        # Warm the emulator and collect exactly what tap-zoho emits, for the reference.
        TokenManager.forget_all()
        warm = TapZoho(config=config, catalog=catalog)
        pages = warm.client.paginate(
            "books", "/invoices", "invoices", organization_id=ORG,
            params={"filter_by": "Status.All"},
        )  # fmt: skip
        records = [dict(row, organization_id=ORG) for page in pages for row in page.records]
        for row in records:
            warm.streams[STREAM].normalizer(row)
        reference = make_reference(records)(config={})
        reference_seconds = timed(reference)
        TokenManager.forget_all()
        tap = TapZoho(config=config, catalog=catalog)
        tap_seconds = timed(tap)
        requests = zoho.stats()["total_requests"]
    fields = len(records[0])
    ref_rate = len(records) / reference_seconds
    tap_rate = len(records) / tap_seconds
    sys.stdout.write(
        f"records={len(records)} fields={fields} requests={requests}\n"
        f"reference (bare SDK tap, memory): {ref_rate:,.0f} records/s\n"
        f"tap-zoho (HTTP from emulator):    {tap_rate:,.0f} records/s\n"
        f"ratio: {tap_rate / ref_rate:.2f} (target >= 0.80)\n"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
