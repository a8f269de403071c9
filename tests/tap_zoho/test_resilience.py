"""Tokens, throttles, rate limits, server faults and daily caps: nothing is lost."""

from __future__ import annotations

import pytest

from tap_zoho.api import UnifiedZohoClient, auth
from tap_zoho.api.errors import ZohoTokenThrottledError
from tap_zoho.api.retry import RetryPolicy
from tap_zoho.tap import TapZoho
from tap_zoho.testing import emulator_config, run_tap, select_only
from zoho_emulator.faults import FaultKind, FaultRule
from zoho_emulator.testing import run_emulator

FAST = RetryPolicy(base_seconds=0.02, max_seconds=0.1, rate_limit_wait_seconds=0.05)
BOOKS_SUBSET = {
    "books_invoices", "books_invoice_line_items", "books_bills", "books_contacts",
    "books_contact_persons", "books_estimates", "books_sales_orders", "books_items",
}  # fmt: skip


def keyed(result):
    out = {}
    for name, records in result.records.items():
        out[name] = sorted(
            tuple(str(r[k]) for k in result.tap.streams[name].primary_keys) for r in records
        )
    return out


def emulator(**settings):
    return run_emulator(**{"scale": 6, "requests_per_minute": 0, "daily_limit": 0, **settings})


def discovered(config, streams):
    """The catalog a separate discovery run gives (as Meltano runs it before a sync): it
    costs one custom-field call per organization and one access token, which the tests
    below keep out of what they count."""
    return select_only(TapZoho(config=config).catalog_dict, streams)


def test_token_refreshed_ahead_of_expiry_mid_run():
    # 37 calls at 150 ms outlast a 5 s token; its 0.5 s refresh margin is wide enough that
    # a loaded machine does not send a token that expires in flight (that 401 would be
    # handled, but would hide whether the refresh really came ahead of expiry).
    with emulator(token_lifetime=5, latency_ms=150) as zoho:
        config = emulator_config(zoho.base_url, products=["books"])
        result = run_tap(config, streams=BOOKS_SUBSET)
        stats = zoho.emulator.stats.snapshot()
    assert stats["tokens_minted"] >= 2
    assert "401" not in stats["responses_by_status"]
    assert len(result.records["books_invoices"]) == 12


def test_revoked_token_is_refreshed_once_and_the_call_retried():
    with emulator() as zoho:
        config = emulator_config(zoho.base_url, products=["books"])
        catalog = discovered(config, BOOKS_SUBSET)
        clean = keyed(run_tap(config, catalog=catalog))
        zoho.emulator.stats.reset()
        zoho.emulator.faults.add(
            FaultRule(FaultKind.REVOKE_TOKENS, route_glob="books:auth", after=15, remaining=1)
        )
        result = run_tap(config, catalog=catalog)
        stats = zoho.emulator.stats.snapshot()
    assert stats["responses_by_status"].get("401") == 1
    assert stats["tokens_minted"] == 2
    assert keyed(result) == clean


def test_refresh_throttle_backs_off_then_recovers():
    with emulator(token_mint_limit=1, token_mint_window=3) as zoho:
        config = emulator_config(zoho.base_url, products=["books"])
        catalog = discovered(config, {"books_invoices", "books_invoice_line_items"})
        zoho.emulator.clock.advance(3)  # the discovery's token leaves the mint window
        zoho.emulator.stats.reset()
        zoho.emulator.faults.add(
            FaultRule(FaultKind.REVOKE_TOKENS, route_glob="books:auth", after=3, remaining=1)
        )
        result = run_tap(config, catalog=catalog)
        stats = zoho.emulator.stats.snapshot()
    assert stats["tokens_minted"] == 2
    assert stats["token_requests"] >= 3
    assert "throttled access-token creation" in result.logs
    assert len(result.records["books_invoices"]) == 12


def test_refresh_throttle_that_never_lifts_fails_clearly(monkeypatch, caplog):
    monkeypatch.setattr(auth, "THROTTLE_FIRST_WAIT", 0.01)
    with emulator() as healthy:
        catalog = discovered(
            emulator_config(healthy.base_url, products=["books"]), {"books_invoices"}
        )
    with emulator(token_mint_limit=0) as zoho:
        config = emulator_config(zoho.base_url, products=["books"])
        with pytest.raises(ZohoTokenThrottledError, match="10 tokens per 10"):
            run_tap(config, catalog=catalog)
        # Without a catalog the custom-field discovery meets it first: exit 1, one line.
        caplog.clear()
        with pytest.raises(SystemExit) as stopped:
            TapZoho(config=config)
    assert stopped.value.code == 1
    assert caplog.text.count("keeps throttling access-token creation") == 1


def test_429_storm_and_5xx_burst_lose_nothing():
    with emulator() as zoho:
        config = emulator_config(zoho.base_url, products=["books"])
        clean = keyed(run_tap(config, streams=BOOKS_SUBSET))
        faults = zoho.emulator.faults
        faults.add(FaultRule(FaultKind.RATE_LIMIT_STORM, "books:/invoices*", remaining=6))
        faults.add(FaultRule(FaultKind.SERVER_ERROR, "books:/bills*", remaining=3, status=503))
        faults.add(FaultRule(FaultKind.TRUNCATED_JSON, "books:/contacts*", remaining=2))
        faults.add(FaultRule(FaultKind.MALFORMED_JSON, "books:/estimates*", remaining=2))
        faults.add(FaultRule(FaultKind.CONNECTION_RESET, "books:/salesorders*", remaining=2))
        zoho.emulator.stats.reset()
        result = run_tap(config, streams=BOOKS_SUBSET, retry=FAST)
        injected = dict(faults.injected)
    assert injected == {
        "rate_limit_storm": 6, "server_error": 3, "truncated_json": 2,
        "malformed_json": 2, "connection_reset": 2,
    }  # fmt: skip
    assert keyed(result) == clean
    assert "tds.zoho.api.failed stream=books_invoices" in result.logs


def test_daily_cap_stops_cleanly_and_the_next_run_resumes():
    with emulator(daily_limit=15) as zoho:
        config = emulator_config(zoho.base_url, products=["books"])
        first = run_tap(config, streams=BOOKS_SUBSET)
        assert "daily API quota" in first.logs
        assert "resets in" in first.logs
        stats = zoho.emulator.stats.snapshot()
        assert "429" not in stats["responses_by_status"]  # stopped before Zoho said 45
        zoho.emulator.clock.advance(86_400)
        second = run_tap(config, state=first.state, streams=BOOKS_SUBSET)
        assert "daily API quota" not in second.logs
        truth = {
            org: {r["invoice_id"] for r in zoho.emulator.finance.records(org, "invoices")}
            for org in ("10234695", "20987654")
        }
        lines = {
            (org, inv["invoice_id"], line["line_item_id"])
            for org in truth
            for inv in zoho.emulator.finance.records(org, "invoices", detail=True)
            for line in inv["line_items"]
        }
    got = {
        (r["organization_id"], r["invoice_id"])
        for run in (first, second) for r in run.records.get("books_invoices", [])
    }  # fmt: skip
    assert got == {(org, i) for org, ids in truth.items() for i in ids}
    got_lines = {
        (r["organization_id"], r["invoice_id"], r["line_item_id"])
        for run in (first, second) for r in run.records.get("books_invoice_line_items", [])
    }  # fmt: skip
    assert got_lines == lines


def test_daily_budget_reserve_is_left_unused():
    with emulator(daily_limit=1000) as zoho:
        config = emulator_config(zoho.base_url, products=["books"], daily_budget_reserve=990)
        result = run_tap(config, streams=BOOKS_SUBSET)
        used = zoho.emulator.stats.snapshot()["requests_by_org"]
    assert "at or below daily_budget_reserve" in result.logs
    assert all(count <= 11 for org, count in used.items() if org != "-")


def test_zoho_daily_limit_code_45_stops_cleanly_with_reset_time():
    with emulator(daily_limit=2) as zoho:
        config = emulator_config(zoho.base_url, products=["books"], organization_ids=["10234695"])
        catalog = discovered(config, {"books_invoices", "books_bills"})  # 1 of the day's 2
        other = UnifiedZohoClient.from_config(config)  # another process spent the rest
        other.get_json("books", "/users", organization_id="10234695")
        zoho.emulator.stats.reset()
        result = run_tap(config, catalog=catalog)
        stats = zoho.emulator.stats.snapshot()
    assert stats["responses_by_status"].get("429") == 1  # one 45, then no further calls
    assert "daily API quota for organization 10234695" in result.logs
    assert "resets in" in result.logs
    assert "books_invoices" not in result.records
    assert (
        result.state["bookmarks"]
        .get("books_bills", {})
        .get("partitions", [{}])[0]
        .get("replication_key_value")
        is None
    )
