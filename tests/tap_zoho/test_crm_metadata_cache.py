"""CRM field metadata cache, and daily resumes on a small credit budget.

`meltano run` discovers before every sync (this project's plugin has no `pip_url`, so
Meltano never caches its catalog), and the fault-matrix harness runs the tap without a
catalog: either way every daily resume pays CRM discovery. These tests run the tap the
same way (no catalog, state carried over, the emulator's clock a day later per resume)
against the emulator's rolling credit limit.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from tap_zoho.api.retry import RetryPolicy
from tap_zoho.crm import crm_api
from tap_zoho.tap import TapZoho
from tap_zoho.testing import emulator_config, run_tap
from zoho_emulator.crm import Crm
from zoho_emulator.testing import run_emulator

if TYPE_CHECKING:
    from pathlib import Path

FAST = RetryPolicy(concurrency_wait_seconds=0.01)  # Zoho's 429s still end the run the same way
MODULES = ("Leads", "Contacts", "Accounts", "Deals", "Products", "Sales_Orders", "Invoices",
           "Warehouse_Visits")  # fmt: skip
SUBFORMS = {"Sales_Orders": "Ordered_Items", "Invoices": "Invoiced_Items"}


def emulator(**settings: Any):
    return run_emulator(scale=5, requests_per_minute=0, daily_limit=0, token_mint_limit=1000,
                        **settings)  # fmt: skip


def discovery_credits(config: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    tap = TapZoho(config=config)
    catalog = tap.catalog_dict
    return crm_api(tap.run).credits.total(), catalog


def test_a_warm_cache_reads_only_the_module_list_the_org_and_refused_modules(tmp_path):
    with emulator() as zoho:
        config = emulator_config(zoho.base_url, products=["crm"],
                                 metadata_cache_dir=str(tmp_path))  # fmt: skip
        cold, cold_catalog = discovery_credits(config)
        meter = zoho.emulator.stats.crm_credits_used
        warm, warm_catalog = discovery_credits(config)
        metered = zoho.emulator.stats.crm_credits_used - meter
    assert cold == 15
    # settings/modules + org + the 3 refused modules, asked again every time
    assert warm == metered == 5
    assert warm_catalog == cold_catalog
    files = list(tmp_path.iterdir())
    assert [path.name for path in files] == [
        f"crm-fields-4150868000000225013-{files[0].name.rsplit('-', 1)[1]}"
    ]
    text = files[0].read_text()
    for secret in (config["client_secret"], config["refresh_token"], "oauthtoken"):
        assert str(secret) not in text
    assert "Ordered_Items" in text  # subforms are cached with their module


def test_old_or_broken_entries_are_read_from_zoho_again(tmp_path):
    with emulator() as zoho:
        config = emulator_config(zoho.base_url, products=["crm"],
                                 metadata_cache_dir=str(tmp_path))  # fmt: skip
        discovery_credits(config)
        path = next(tmp_path.iterdir())
        body = json.loads(path.read_text())
        old = (datetime.now(UTC) - timedelta(hours=25)).isoformat()
        body["entries"]["Deals"]["fetched_at"] = old
        path.write_text(json.dumps(body))
        one_stale, _ = discovery_credits(config)
        path.write_text("{not json")
        broken, _ = discovery_credits(config)
        rewritten, _ = discovery_credits(config)
        off, _ = discovery_credits({**config, "metadata_cache_hours": 0})
    assert one_stale == 6
    assert broken == 15
    assert rewritten == 5
    assert off == 15


def resume_daily(zoho: Any, config: dict[str, Any], runs: int) -> tuple[list[int], dict]:
    """Run, and while a credits stop ends a run, resume with its state a day later."""
    spent: list[int] = []
    state: dict[str, Any] | None = None
    ids: dict[str, set[str]] = {}
    for _ in range(runs):
        before = zoho.emulator.stats.crm_credits_used
        result = run_tap(config, state=state, retry=FAST)
        spent.append(zoho.emulator.stats.crm_credits_used - before)
        for stream, rows in result.records.items():
            ids.setdefault(stream, set()).update(str(row["id"]) for row in rows)
        state = result.state or state
        zoho.emulator.clock.advance(86_400)
        if not result.tap.quota_stops:
            break
    # and one more run with nothing changed: what every later day costs
    before = zoho.emulator.stats.crm_credits_used
    result = run_tap(config, state=state, retry=FAST)
    assert not result.tap.quota_stops
    spent.append(zoho.emulator.stats.crm_credits_used - before)
    return spent, ids


@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    ("cached", "budget", "days", "steady"),
    [(True, 30, 3, 22), (False, 40, 2, 32)],
    ids=["cache-30-credits", "no-cache-40-credits"],
)
def test_daily_resumes_complete_with_exact_data(cached, budget, days, steady, tmp_path: Path):
    # The fault matrix's "daily cap x crm": 30 credits per rolling day, scale 5. Without the
    # cache a run with nothing to read costs 15 (discovery) + 17 = 32 > 30: it never ends.
    with emulator(crm_daily_credits=budget) as zoho:
        extra = {"metadata_cache_dir": str(tmp_path)} if cached else {}
        config = emulator_config(zoho.base_url, products=["crm"], **extra)
        spent, ids = resume_daily(zoho, config, runs=6)
        crm = Crm.of(zoho.emulator)
        truth = {f"crm_{m.lower()}": set(crm.live_ids(m, converted="both")) for m in MODULES}
        for module, subform in SUBFORMS.items():
            # A credits stop between a record and its subform rows must not lose the rows.
            truth[f"crm_{module.lower()}_{subform.lower()}"] = {
                str(row["id"]) for record in crm.records(module) for row in record[subform] or []
            }
    assert len(spent) - 1 == days, spent
    assert spent[-1] == steady
    for stream, expected in truth.items():
        assert ids.get(stream) == expected, stream


def test_fields_read_before_a_credits_stop_in_discovery_are_kept(tmp_path):
    # 10 credits a run cannot pay a 15-credit discovery: without what the first run saved,
    # CRM would be discovered from scratch (and stopped) every run.
    with emulator() as zoho:
        config = emulator_config(zoho.base_url, products=["crm"], crm_daily_credits=10,
                                 metadata_cache_dir=str(tmp_path))  # fmt: skip
        first_run = TapZoho(config=config)
        first = {entry["tap_stream_id"] for entry in first_run.catalog_dict["streams"]}
        meter = zoho.emulator.stats.crm_credits_used
        second, catalog = discovery_credits(config)
        metered = zoho.emulator.stats.crm_credits_used - meter
    assert [product for product, _ in first_run.quota_stops] == ["crm"]
    assert not first
    assert "crm_invoices_invoiced_items" in {s["tap_stream_id"] for s in catalog["streams"]}
    # modules + org + the 5 field calls the first run did not reach
    assert second == metered == 7
