"""CRM limits against the emulator: credits and concurrency, not Books' minute and day."""

from __future__ import annotations

import pytest

from tap_zoho.crm import crm_api
from tap_zoho.tap import TapZoho
from tap_zoho.testing import emulator_config, run_tap, select_only
from zoho_emulator.crm import Crm
from zoho_emulator.testing import run_emulator

MODULES = ["Contacts", "Accounts", "Deals"]
STREAMS = {"crm_contacts", "crm_accounts", "crm_deals"}


def crm_config(base_url: str, **overrides: object) -> dict[str, object]:
    """CRM only, three modules, REST reads (Bulk Read has tests of its own)."""
    return emulator_config(
        base_url, products=["crm"], crm_modules=MODULES, crm_bulk_threshold=0, **overrides
    )


def ids(result_records: dict[str, list[dict[str, object]]], stream: str) -> set[str]:
    return {str(row["id"]) for row in result_records.get(stream, [])}


@pytest.mark.timeout(150)
def test_crm_is_not_paced_by_requests_per_minute_and_real_limits_give_no_429():
    # The emulator at Zoho's real limits; the tap paces Books at 2/min: CRM must not wait.
    with run_emulator(scale=40, token_mint_limit=100) as zoho:
        crm = Crm.of(zoho.emulator)
        result = run_tap(crm_config(zoho.base_url, requests_per_minute=2), streams=STREAMS)
        stats = zoho.emulator.stats.snapshot()
        truth = {f"crm_{m.lower()}": set(crm.live_ids(m)) for m in MODULES}
    assert result.tap.client.governor.waited_seconds == 0
    assert "429" not in stats["responses_by_status"]
    for stream, expected in truth.items():
        assert ids(result.records, stream) == expected, stream


def test_the_books_daily_request_quota_is_not_a_crm_quota():
    # Books/Inventory's daily request quota is 5 here; CRM has none (it limits credits): a
    # CRM sync of more than 5 calls gets every record and no quota stop.
    with run_emulator(scale=40, requests_per_minute=0, daily_limit=5, token_mint_limit=100) as zoho:
        crm = Crm.of(zoho.emulator)
        result = run_tap(crm_config(zoho.base_url), streams=STREAMS)
        truth = {f"crm_{m.lower()}": set(crm.live_ids(m)) for m in MODULES}
        calls = sum(
            count for route, count in zoho.emulator.stats.snapshot()["requests_by_route"].items()
            if route.startswith("crm")
        )  # fmt: skip
    assert calls > 5
    assert "quota" not in result.logs
    assert "credits for organization" not in result.logs
    for stream, expected in truth.items():
        assert ids(result.records, stream) == expected, stream


def test_crm_credit_budget_reserve_stops_cleanly_and_the_next_run_resumes():
    with run_emulator(scale=40, requests_per_minute=0, daily_limit=0, token_mint_limit=100) as zoho:
        crm = Crm.of(zoho.emulator)
        truth = {f"crm_{m.lower()}": set(crm.live_ids(m)) for m in MODULES}
        catalog = select_only(TapZoho(config=crm_config(zoho.base_url)).catalog_dict, STREAMS)
        budget = crm_config(zoho.base_url, crm_daily_credits=5, crm_credit_reserve=3)
        first = run_tap(budget, catalog=catalog)
        assert crm_api(first.tap.run).credits.total() <= 2
        assert "Zoho CRM API credits for organization" in first.logs
        assert "crm_credit_reserve=3" in first.logs
        assert "free up by" in first.logs
        assert "Traceback" not in first.logs
        second = run_tap(crm_config(zoho.base_url), state=first.state, catalog=catalog)
    assert "credits for organization" not in second.logs
    assert sum(len(first.records.get(s, [])) for s in STREAMS) > 0
    for stream, expected in truth.items():
        assert ids(first.records, stream) | ids(second.records, stream) == expected, stream
    # a stream the first run finished is read incrementally: only the lookback overlap
    finished = [s for s in STREAMS if ids(first.records, s) == truth[s]]
    assert finished
    for stream in finished:
        assert len(second.records.get(stream, [])) < len(truth[stream])


def test_zoho_refusing_for_spent_credits_stops_cleanly():
    # Another integration spent the org's credits: every CRM call gets TOO_MANY_REQUESTS.
    with run_emulator(
        scale=40, requests_per_minute=0, daily_limit=0, token_mint_limit=100, crm_daily_credits=6
    ) as zoho:
        config = crm_config(zoho.base_url)
        result = run_tap(config, streams=STREAMS)
        refused = zoho.emulator.stats.snapshot()["responses_by_status"].get("429", 0)
    assert "Zoho CRM API credits for organization" in result.logs
    assert "TOO_MANY_REQUESTS" in result.logs
    assert "free up by" in result.logs
    assert refused == 5  # backed off four times, then stopped: no hammering for hours
