"""CRM list throughput at 1,000,000 records per module, page_token walks deep in the module.

Reference (same run, same server): `GET /crm/v8/org`, the cheapest authenticated call, so
the ratio shows what a 200-record page costs over the HTTP/auth/metering floor.
Target (issue 2): at least 20,000 records/s of 200-record pages on one core.

    .venv/bin/python -m benchmarks.emulator.crm_list_throughput [--scale 1000000] [--pages 100]
"""

from __future__ import annotations

import argparse
import time

from benchmarks.emulator.crm_server import cpu_seconds, crm_server, peak_rss_mb

FIELDS = {
    "Leads": "First_Name,Last_Name,Company,Email,Phone,Lead_Status,Lead_Source,Industry,"
    "Annual_Revenue,No_of_Employees,Owner,Created_Time,Modified_Time,City,State,Country,"
    "Email_Opt_Out,Rating,Converted__s,Lead_Score",
    "Accounts": None,
}


def walk(session, base, module, fields, pages, since):  # noqa: PLR0913, PLR0917
    params = {
        "fields": fields,
        "sort_by": "Modified_Time",
        "sort_order": "asc",
        "converted": "both",
    }
    headers = {"If-Modified-Since": since}
    records, token = 0, None
    started = time.perf_counter()
    for _ in range(pages):
        response = session.get(
            f"{base}/crm/v8/{module}",
            params=params | ({"page_token": token} if token else {}),
            headers=headers,
            timeout=30,
        )
        response.raise_for_status()
        body = response.json()
        records += len(body["data"])
        token = body["info"]["next_page_token"]
        if not body["info"]["more_records"]:
            break
    return records, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=1_000_000)
    parser.add_argument("--pages", type=int, default=100)
    args = parser.parse_args()
    with crm_server(args.scale) as (base, pid, session):
        started = time.perf_counter()
        for _ in range(200):
            session.get(f"{base}/crm/v8/org", timeout=10).raise_for_status()
        per_org = (time.perf_counter() - started) / 200
        account_fields = [
            field["api_name"]
            for field in session.get(
                f"{base}/crm/v8/settings/fields", params={"module": "Accounts"}, timeout=10
            ).json()["fields"]
        ][:50]
        mid = "2024-07-01T00:00:00+05:30"  # the middle of the generated history
        print(
            f"scale {args.scale:,} records per module; reference GET /org {per_org * 1000:.2f} ms"
        )
        for module, fields in (("Leads", FIELDS["Leads"]), ("Accounts", ",".join(account_fields))):
            count = len(fields.split(","))
            cpu_before = cpu_seconds(pid)
            records, seconds = walk(session, base, module, fields, args.pages, mid)
            server_cpu = cpu_seconds(pid) - cpu_before
            per_page = seconds / max(records / 200, 1)
            print(
                f"{module:9s} {count:2d} fields: {records:,} records in {seconds:.2f} s wall = "
                f"{records / seconds:,.0f} records/s end to end, "
                f"{records / server_cpu:,.0f} records per server CPU second; "
                f"page/org-call ratio {per_page / per_org:.1f}"
            )
        print(f"server peak RSS {peak_rss_mb(pid):.0f} MB")


if __name__ == "__main__":
    main()
