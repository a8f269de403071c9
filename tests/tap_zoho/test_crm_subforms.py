"""Subform rows cost one record call per changed parent, and none for the overlap.

The lookback overlap re-emits the newest records of every module each run; reading their
subform rows again would cost a credit per record and per run for rows that cannot have
changed (a subform edit changes the record's Modified_Time).
"""

from __future__ import annotations

from tap_zoho.tap import TapZoho
from tap_zoho.testing import emulator_config, run_tap
from zoho_emulator.crm import Crm
from zoho_emulator.crm.catalog import ORG_ID
from zoho_emulator.testing import run_emulator

STREAMS = {"crm_sales_orders", "crm_sales_orders_ordered_items"}
RECORD_ROUTE = "crm:/{module}/{id}"


def test_only_changed_parents_cost_a_record_call(tmp_path):
    with run_emulator(scale=8, requests_per_minute=0, daily_limit=0, token_mint_limit=100) as zoho:
        crm = Crm.of(zoho.emulator)
        config = emulator_config(zoho.base_url, products=["crm"], crm_modules=["Sales_Orders"],
                                 metadata_cache_dir=str(tmp_path))  # fmt: skip
        stats = zoho.emulator.stats.requests_by_route
        first = run_tap(config, streams=STREAMS)
        after_first = stats[RECORD_ROUTE]
        second = run_tap(config, streams=STREAMS, state=first.state)
        after_second = stats[RECORD_ROUTE]
        [changed] = crm.update("Sales_Orders", count=1, values={"Subject": "Changed"})
        third = run_tap(config, streams=STREAMS, state=second.state)
        after_third = stats[RECORD_ROUTE]
        record = next(r for r in crm.records("Sales_Orders") if r["id"] == changed)
        rows = {str(row["id"]) for row in record["Ordered_Items"]}
    assert after_first == 8
    # only the records inside the lookback window stay remembered (here: the newest)
    [partition] = first.state["bookmarks"]["crm_sales_orders"]["partitions"]
    newest = first.records["crm_sales_orders"][-1]
    assert partition["crm_subforms_read"] == {newest["id"]: newest["Modified_Time"]}
    assert second.records.get("crm_sales_orders")  # the overlap is re-emitted ...
    assert after_second == after_first  # ... without reading its subform rows again
    assert "crm_sales_orders_ordered_items" not in second.records
    assert after_third - after_second == 1
    emitted = {r["id"] for r in third.records["crm_sales_orders_ordered_items"]}
    assert emitted == rows
    assert {r["parent_id"] for r in third.records["crm_sales_orders_ordered_items"]} == {changed}


def test_a_parent_deleted_after_it_was_listed_costs_its_rows_not_the_run(caplog):
    with run_emulator(scale=8, requests_per_minute=0, daily_limit=0, token_mint_limit=100) as zoho:
        crm = Crm.of(zoho.emulator)
        config = emulator_config(zoho.base_url, products=["crm"], crm_modules=["Sales_Orders"])
        tap = TapZoho(config=config)
        stream = tap.streams["crm_sales_orders_ordered_items"]
        [gone] = crm.delete("Sales_Orders", count=1)
        live = crm.live_ids("Sales_Orders")[0]
        context = {"organization_id": ORG_ID, "parent_id": gone}
        with caplog.at_level("WARNING"):
            rows = list(stream.crm_records(context))
        kept = list(stream.crm_records({"organization_id": ORG_ID, "parent_id": live}))
        truth = next(r for r in crm.records("Sales_Orders") if r["id"] == live)["Ordered_Items"]
    assert rows == []
    assert any(gone in message and "INVALID_DATA" in message for message in caplog.messages)
    assert [row["id"] for row in kept] == [row["id"] for row in truth]
