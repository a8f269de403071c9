"""How to read past 2,000 CRM records: page tokens (chosen) vs COQL keyset, measured.

Both walk every Lead of a `--scale` emulator (separate process, limits off) with the same
fields, sorted by `Modified_Time` (then id), and count requests, credits and seconds:
- REST: `GET /crm/v8/Leads?fields=...&sort_by=Modified_Time&sort_order=asc&converted=both`
  with `page_token` (200 records, 1 credit per call);
- COQL keyset: `select ... where Modified_Time > t or (Modified_Time = t and id > i)
  order by Modified_Time asc, id asc limit 2000` (3 credits per call).

    .venv/bin/python -m benchmarks.tap.crm_rest_vs_coql [--scale 20000]
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from benchmarks.emulator.crm_server import crm_server

FIELDS = [
    "Last_Name", "First_Name", "Email", "Company", "Lead_Status", "Owner", "Annual_Revenue",
    "Created_Time", "Modified_Time", "Converted__s", "Industry", "Phone", "City", "Country",
]  # fmt: skip
COQL_LIMIT = 2_000


def _credits(session: Any, base: str) -> int:
    return int(session.get(f"{base}/__emulator/stats", timeout=30).json()["crm_credits_used"])


def rest_walk(session: Any, base: str) -> dict[str, Any]:
    """Every Lead by page tokens."""
    params: dict[str, Any] = {
        "fields": ",".join(FIELDS), "per_page": 200, "sort_by": "Modified_Time",
        "sort_order": "asc", "converted": "both",
    }  # fmt: skip
    ids: set[str] = set()
    calls, before, started = 0, _credits(session, base), time.monotonic()
    while True:
        body = session.get(f"{base}/crm/v8/Leads", params=params, timeout=60).json()
        calls += 1
        ids.update(row["id"] for row in body["data"])
        token = body["info"].get("next_page_token")
        if not token:
            break
        params["page_token"] = token
    seconds = time.monotonic() - started
    return {"requests": calls, "credits": _credits(session, base) - before,
            "records": len(ids), "seconds": round(seconds, 2)}  # fmt: skip


def coql_walk(session: Any, base: str) -> dict[str, Any]:
    """Every Lead by COQL keyset pages on (Modified_Time, id)."""
    where = "Modified_Time >= '1970-01-01T00:00:00+00:00'"
    ids: set[str] = set()
    calls, before, started = 0, _credits(session, base), time.monotonic()
    while True:
        columns = ", ".join(FIELDS)
        query = f"select {columns} from Leads where {where} "  # noqa: S608 - our constants
        query += f"order by Modified_Time asc, id asc limit {COQL_LIMIT}"
        response = session.post(f"{base}/crm/v8/coql", json={"select_query": query}, timeout=60)
        calls += 1
        if response.status_code == 204:
            break
        rows = response.json()["data"]
        ids.update(row["id"] for row in rows)
        last = rows[-1]
        stamp, last_id = last["Modified_Time"], last["id"]
        where = f"(Modified_Time > '{stamp}' or (Modified_Time = '{stamp}' and id > {last_id}))"
        if not response.json()["info"].get("more_records"):
            break
    seconds = time.monotonic() - started
    return {"requests": calls, "credits": _credits(session, base) - before,
            "records": len(ids), "seconds": round(seconds, 2)}  # fmt: skip


def main() -> None:
    """Walk both ways on one emulator and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=int, default=20_000)
    args = parser.parse_args()
    with crm_server(args.scale) as (base, _pid, session):
        rest = rest_walk(session, base)
        coql = coql_walk(session, base)
    print(json.dumps({"scale": args.scale, "fields": len(FIELDS), "rest_page_token": rest,
                      "coql_keyset": coql}, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
