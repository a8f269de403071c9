"""API economy: requests of a full sync and of incremental syncs next to their lower bound.

The lower bound is computed per route from the emulator's ground truth and Zoho's
documented API, independently of how the tap works:
- a list route: ceil(rows / 200) pages per organization (at least one); for an
  incremental run, ceil(changed / 200) where Zoho filters by `last_modified_time`,
  ceil((changed + 1) / 200) where it can only sort by it (page newest first, stop at the
  first unchanged row), and the full list where it can do neither;
- a detail route (`/{id}`, e.g. line items that only the detail carries): one per header
  (full) or per changed header (incremental);
- `/itemdetails` (batched item details, 100 ids): ceil(items / 100);
- anything else (discovery, settings): one call per product and organization at most.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from zoho_emulator.finance.catalog import BY_NAME, ENTITIES
from zoho_emulator.settings import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN
from zoho_emulator.testing import run_emulator

ORGS = ("10234695", "20987654")
PAGE = 200
BIN = Path(sys.executable).parent
_BY_PATH = {spec.path: spec for spec in ENTITIES}


def _tap(base_url: str, work: Path, state: dict[str, Any] | None) -> dict[str, Any]:
    config = work / "tap.json"
    config.write_text(json.dumps({
        "client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET,
        "refresh_token": DEMO_REFRESH_TOKEN, "accounts_url": base_url,
        "products": ["books", "inventory"], "requests_per_minute": 0}))
    args = [str(BIN / "tap-zoho"), "--config", str(config)]
    if state is not None:
        (work / "state.json").write_text(json.dumps(state))
        args += ["--state", str(work / "state.json")]
    started = time.monotonic()
    done = subprocess.run(args, capture_output=True, timeout=3600, check=True)
    seconds = time.monotonic() - started
    records = 0
    last_state: dict[str, Any] = {}
    for line in done.stdout.splitlines():
        if line.startswith(b'{"type":"RECORD"') or b'"type": "RECORD"' in line[:40]:
            records += 1
        elif b'"STATE"' in line[:40]:
            last_state = json.loads(line)["value"]
    return {"seconds": seconds, "records": records, "state": last_state}


def _rows(finance: Any, entity: str, product: str) -> dict[str, int]:
    return {org: sum(1 for _ in finance.records(org, entity, product=product)) for org in ORGS}


def lower_bound(  # noqa: C901 - one branch per kind of route, as the docstring lists
    routes: dict[str, int], finance: Any, changed: dict[str, dict[str, int]] | None
) -> dict[str, int]:
    """The minimum requests per measured route (see the module docstring)."""
    bound: dict[str, int] = {}
    for route, measured in routes.items():
        product, _, path = route.partition(":")
        parts = path.strip("/").split("/")
        spec = _BY_PATH.get("/" + parts[0]) or _BY_PATH.get("/" + "/".join(parts[:2]))
        if path == "/itemdetails":
            items = _rows(finance, "items", product)
            counts = items if changed is None else changed.get("items", dict.fromkeys(ORGS, 0))
            bound[route] = sum(math.ceil(n / 100) for n in counts.values())
        elif spec is None or product not in ("books", "inventory"):
            bound[route] = min(measured, len(ORGS))
        elif spec.name == "shipmentorders" and changed is not None:
            # One per changed shipped package; which packages are shipped is not tracked
            # here, so the measured count is taken when it is within the changed packages.
            packages = sum(changed.get("packages", {}).values())
            bound[route] = min(measured, packages)
        elif "{id}" in path:
            counts = (_rows(finance, spec.name, product) if changed is None
                      else changed.get(spec.name, dict.fromkeys(ORGS, 0)))
            bound[route] = sum(counts.values())
        else:
            endpoint = spec.endpoint(product)
            rows = _rows(finance, spec.name, product)
            if endpoint is None or not endpoint.paginated:
                bound[route] = len(ORGS)
                continue
            total = 0
            for org in ORGS:
                full = max(1, math.ceil(rows[org] / PAGE))
                if changed is None:
                    total += full
                    continue
                n = changed.get(spec.name, {}).get(org, 0)
                if endpoint.modified_filter and not endpoint.modified_means_same_date:
                    total += max(1, math.ceil(n / PAGE))
                elif "last_modified_time" in endpoint.sort_columns:
                    total += max(1, math.ceil((n + 1) / PAGE))
                else:
                    total += full
            bound[route] = total
    return bound


def _mutate(finance: Any, fraction: float) -> dict[str, dict[str, int]]:
    changed: dict[str, dict[str, int]] = {}
    if fraction <= 0:
        return changed
    for spec in ENTITIES:
        if not (spec.mutable and spec.listable) or spec.fixed_count is not None:
            continue
        for org in ORGS:
            count = finance.count(org, spec.name)
            n = math.ceil(count * fraction) if count else 0
            if n:
                finance.update(org, spec.name, count=n)
            changed.setdefault(spec.name, {})[org] = n
    return changed


def measure(scale: int) -> dict[str, Any]:
    """A full sync, then incremental syncs after 0 %, 1 % and 10 % of records changed."""
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-economy-") as folder, run_emulator(
        scale=scale, requests_per_minute=0, daily_limit=0, concurrency_limit=0,
        crm_daily_credits=0,
    ) as zoho:
        emulator = zoho.emulator
        state: dict[str, Any] | None = None
        for label, fraction in (("full", None), ("0% changed", 0.0), ("1% changed", 0.01),
                                ("10% changed", 0.10)):
            changed = None if fraction is None else _mutate(emulator.finance, fraction)
            if fraction is not None:
                time.sleep(1.1)  # changes land in a later second than the last bookmark
            emulator.stats.reset()
            tap = _tap(zoho.base_url, Path(folder), state)
            state = tap["state"]
            stats = emulator.stats.snapshot()
            routes = dict(stats["requests_by_route"])
            bound = lower_bound(routes, emulator.finance, changed)
            detail_calls = sum(n for r, n in routes.items() if "{id}" in r)
            detail_bound = sum(n for r, n in bound.items() if "{id}" in r)
            runs.append({
                "run": label, "requests": stats["total_requests"],
                "lower_bound": sum(bound.values()),
                "ratio": round(stats["total_requests"] / max(1, sum(bound.values())), 3),
                "detail_calls": detail_calls, "changed_headers_fetched_bound": detail_bound,
                "changed_records": (None if changed is None else
                                    sum(sum(v.values()) for v in changed.values())),
                "records_emitted": tap["records"], "seconds": round(tap["seconds"], 2),
                "rate_limited": stats["rate_limited"], "tokens_minted": stats["tokens_minted"],
                "over_bound_by_route": {r: [routes[r], bound[r]] for r in routes
                                        if routes[r] > bound[r]},
            })
    return {"scale": scale, "products": ["books", "inventory"], "runs": runs,
            "entities": len(BY_NAME)}
