"""Bulk Read initial loads against the emulator: typed CSV rows, interrupted and resumed."""

from __future__ import annotations

import contextlib
import io
import json
from typing import Any

import pytest

from tap_zoho.crm.streams import CrmStream
from tap_zoho.tap import TapZoho
from tap_zoho.testing import emulator_config, select_only
from zoho_emulator.crm import Crm
from zoho_emulator.testing import run_emulator

SCALE = 1_200
JOB_PAGE = 500


class _Interrupted(Exception):  # noqa: N818 - a simulated crash, not an error of ours
    pass


class _CrashAfter(io.BytesIO):
    """stdout's bytes that die after `limit` RECORD messages, like a killed process."""

    def __init__(self, limit: int | None) -> None:
        super().__init__()
        self.limit = limit
        self.records = 0

    def write(self, data: Any, /) -> int:
        self.records += bytes(data).replace(b" ", b"").count(b'"type":"RECORD"')
        if self.limit is not None and self.records > self.limit:
            raise _Interrupted
        return super().write(data)


def _sync(
    config: dict[str, Any], catalog: dict[str, Any], state: dict[str, Any] | None, limit: int | None
) -> list[dict[str, Any]]:
    raw = _CrashAfter(limit)
    # write_through: text writers (simplejson) reach the bytes at once, like msgspec's.
    out = io.TextIOWrapper(raw, encoding="utf-8", write_through=True)
    tap = TapZoho(config=config, catalog=catalog, state=json.loads(json.dumps(state or {})))
    with contextlib.redirect_stdout(out), contextlib.suppress(_Interrupted):
        tap.sync_all()
    lines = raw.getvalue().decode("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _last_state(messages: list[dict[str, Any]]) -> dict[str, Any]:
    return [m["value"] for m in messages if m["type"] == "STATE"][-1]


def _records_until_last_state(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a target has committed when the tap dies: records up to the last STATE."""
    last = max(i for i, m in enumerate(messages) if m["type"] == "STATE")
    return [m["record"] for m in messages[:last] if m["type"] == "RECORD"]


def test_bulk_load_is_typed_interrupted_resumed_and_then_incremental(monkeypatch) -> None:
    monkeypatch.setattr(CrmStream, "STATE_MSG_FREQUENCY", 300)
    with run_emulator(scale=SCALE, requests_per_minute=0, daily_limit=0) as zoho:
        crm = Crm.of(zoho.emulator)
        crm.bulk.added_seconds = crm.bulk.progress_seconds = 0
        crm.bulk.page_size = JOB_PAGE
        config = emulator_config(zoho.base_url, products=["crm"], crm_bulk_threshold=100)
        catalog = select_only(TapZoho(config=config).catalog_dict, {"crm_contacts"})

        first = _sync(config, catalog, None, limit=700)
        state = _last_state(first)
        partition = state["bookmarks"]["crm_contacts"]["partitions"][0]
        checkpoint = partition["crm_bulk"]
        assert checkpoint["page"] == 2
        assert checkpoint["rows_done"] == 100
        assert len(crm.bulk.jobs) == 2
        committed = _records_until_last_state(first)

        second = _sync(config, catalog, state, limit=None)
        resumed = [m["record"] for m in second if m["type"] == "RECORD"]
        assert len(crm.bulk.jobs) == 3
        assert len(resumed) == SCALE - len(committed)  # nothing emitted twice
        ids = [row["id"] for row in committed + resumed]
        assert sorted(ids) == crm.live_ids("Contacts")
        final = _last_state(second)["bookmarks"]["crm_contacts"]["partitions"][0]
        assert "crm_bulk" not in final
        assert final["replication_key_value"] == checkpoint["cutoff"]

        truth = {record["id"]: record for record in crm.records("Contacts")}
        assert any(record["Tag"] for record in truth.values())
        for row in committed + resumed:
            expected = truth[row["id"]]
            assert row["Email_Opt_Out"] is expected["Email_Opt_Out"]
            assert row["Preferred_Channels"] == expected["Preferred_Channels"]
            # Tag: an array of objects in a text field; a CSV cell has only the names
            assert (row["Tag"] or []) == [{"name": tag["name"]} for tag in expected["Tag"]]
            account = expected["Account_Name"]
            assert row["Account_Name"] == (None if account is None else {"id": account["id"]})
            assert row["Modified_Time"].endswith("+00:00")

        changed = set(crm.update("Contacts", count=2, values={"Department": "Bulk+1"}))
        third = _sync(config, catalog, _last_state(second), limit=None)
        rows = [m["record"] for m in third if m["type"] == "RECORD"]
        assert {row["id"] for row in rows} == changed  # REST from the job's cut-off
        assert len(crm.bulk.jobs) == 3


@pytest.mark.parametrize("threshold", [0, SCALE + 1])
def test_small_modules_and_disabled_bulk_use_rest(threshold: int) -> None:
    with run_emulator(scale=300, requests_per_minute=0, daily_limit=0) as zoho:
        crm = Crm.of(zoho.emulator)
        config = emulator_config(zoho.base_url, products=["crm"], crm_bulk_threshold=threshold)
        catalog = select_only(TapZoho(config=config).catalog_dict, {"crm_deals"})
        rows = [m for m in _sync(config, catalog, None, limit=None) if m["type"] == "RECORD"]
        assert len(rows) == len(crm.live_ids("Deals"))
        assert crm.bulk.jobs == {}


def test_resume_recreates_a_job_zoho_forgot_from_its_page_token(monkeypatch) -> None:
    monkeypatch.setattr(CrmStream, "STATE_MSG_FREQUENCY", 300)
    with run_emulator(scale=SCALE, requests_per_minute=0, daily_limit=0) as zoho:
        crm = Crm.of(zoho.emulator)
        crm.bulk.added_seconds = crm.bulk.progress_seconds = 0
        crm.bulk.page_size = JOB_PAGE
        config = emulator_config(zoho.base_url, products=["crm"], crm_bulk_threshold=100)
        catalog = select_only(TapZoho(config=config).catalog_dict, {"crm_contacts"})
        first = _sync(config, catalog, None, limit=700)
        state = _last_state(first)
        checkpoint = state["bookmarks"]["crm_contacts"]["partitions"][0]["crm_bulk"]
        del crm.bulk.jobs[checkpoint["job_id"]]  # expired at Zoho: status answers 404
        second = _sync(config, catalog, state, limit=None)
        resumed = [m["record"] for m in second if m["type"] == "RECORD"]
        assert len(crm.bulk.jobs) == 3
        committed = _records_until_last_state(first)
        assert {row["id"] for row in committed + resumed} == set(crm.live_ids("Contacts"))
        assert len(resumed) == SCALE - JOB_PAGE  # page 2 in full (from its token) + page 3
