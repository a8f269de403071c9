"""Bulk Read export of a 1,000,000-record module: server memory and throughput.

Every result page (200,000 records) is created, polled, downloaded as a stream and
checked (ZIP opened, CSV rows counted, ids unique and complete) without holding a file in
memory on either side. Reference (same run): the server's peak RSS after start-up and one
list page, so the ratio shows what exporting a million records adds.
Target (issue 2): peak RSS of the 1M-record scale under 500 MB.

    .venv/bin/python -m benchmarks.emulator.crm_bulk_memory [--scale 1000000]
"""

from __future__ import annotations

import argparse
import csv
import io
import tempfile
import time
import zipfile

from benchmarks.emulator.crm_server import cpu_seconds, crm_server, peak_rss_mb

FIELDS = ["Last_Name", "First_Name", "Email", "Company", "Lead_Status", "Owner",
          "Annual_Revenue", "Created_Time", "Modified_Time", "Converted__s"]  # fmt: skip


def export(session, base, module, fields):
    query = {"module": {"api_name": module}, "fields": fields}
    total, seen_last, jobs, downloaded = 0, None, 0, 0
    while True:
        created = session.post(
            f"{base}/crm/bulk/v8/read", json={"query": query, "file_type": "csv"}, timeout=30
        )
        created.raise_for_status()
        job = created.json()["data"][0]["details"]["id"]
        jobs += 1
        while True:
            status = session.get(f"{base}/crm/bulk/v8/read/{job}", timeout=600).json()["data"][0]
            if status["state"] == "COMPLETED":
                break
            time.sleep(0.2)
        result = status["result"]
        with tempfile.TemporaryFile() as spool:
            with session.get(
                f"{base}/crm/bulk/v8/read/{job}/result", stream=True, timeout=600
            ) as response:
                response.raise_for_status()
                for chunk in response.iter_content(1 << 20):
                    spool.write(chunk)
                    downloaded += len(chunk)
            spool.seek(0)
            with zipfile.ZipFile(spool) as archive, archive.open(f"{job}.csv") as member:
                reader = csv.reader(io.TextIOWrapper(member, encoding="utf-8"))
                header = next(reader)
                assert header == ["Id", *fields], header
                rows = 0
                for row in reader:
                    identifier = int(row[0])
                    assert seen_last is None or identifier > seen_last, "ids must ascend"
                    seen_last = identifier
                    rows += 1
        assert rows == result["count"], (rows, result["count"])
        total += rows
        if not result["more_records"]:
            return total, jobs, downloaded
        query = {"module": {"api_name": module}, "fields": fields,
                 "page_token": result["next_page_token"]}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=1_000_000)
    args = parser.parse_args()
    with crm_server(args.scale) as (base, pid, session):
        session.post(
            f"{base}/__emulator/crm/bulk/settings",
            json={"added_seconds": 0, "progress_seconds": 0}, timeout=10,
        ).raise_for_status()  # fmt: skip
        session.get(f"{base}/crm/v8/Leads", params={"fields": ",".join(FIELDS)}, timeout=30)
        baseline = peak_rss_mb(pid)
        cpu_before = cpu_seconds(pid)
        started = time.perf_counter()
        total, jobs, downloaded = export(session, base, "Leads", FIELDS)
        seconds = time.perf_counter() - started
        server_cpu = cpu_seconds(pid) - cpu_before
        peak = peak_rss_mb(pid)
        assert total == args.scale, (total, args.scale)
        print(
            f"exported {total:,} Leads ({len(FIELDS)} fields) in {jobs} jobs, "
            f"{downloaded / 1e6:.1f} MB of ZIP, {seconds:.1f} s wall, "
            f"{total / server_cpu:,.0f} records per server CPU second"
        )
        print(
            f"server peak RSS {peak:.0f} MB (reference after start-up {baseline:.0f} MB; "
            f"ratio {peak / baseline:.2f}); target < 500 MB: {'met' if peak < 500 else 'MISSED'}"
        )


if __name__ == "__main__":
    main()
