"""Keys beside the declared fields, and `If-Modified-Since` at a record's own second.

By default records carry Zoho's `$` system keys (and subform rows their `Parent_Id` and
times); `crm-undeclared-fields` adds a key no metadata lists; `crm-modified-since-exclusive`
reads the header as strictly after. Each is checked on every route that carries it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
import requests

from zoho_emulator.crm import Crm
from zoho_emulator.crm.system_keys import SYSTEM_KEYS, UNDECLARED_FIELD
from zoho_emulator.settings import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN
from zoho_emulator.testing import run_emulator

if TYPE_CHECKING:
    from collections.abc import Iterator

    from zoho_emulator.testing import RunningEmulator

DELETED_KEYS = {"deleted_by", "id", "display_name", "type", "created_by", "deleted_time"}
"""Zoho's `Deleted_Record` in the v8 OAS."""


class Zoho:
    def __init__(self, running: RunningEmulator) -> None:
        self.running = running
        token = requests.post(
            f"{running.base_url}/oauth/v2/token",
            params={"grant_type": "refresh_token", "client_id": DEMO_CLIENT_ID,
                    "client_secret": DEMO_CLIENT_SECRET, "refresh_token": DEMO_REFRESH_TOKEN},
            timeout=5,
        ).json()["access_token"]  # fmt: skip
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Zoho-oauthtoken {token}"

    def answers(self, *names: str) -> None:
        url = f"{self.running.base_url}/__emulator/answers"
        assert requests.post(url, json={"answers": list(names)}, timeout=5).ok

    def get(self, path: str, since: str | None = None, **params: Any) -> requests.Response:
        headers = {"If-Modified-Since": since} if since else {}
        return self.session.get(
            f"{self.running.base_url}/crm/v8/{path}", params=params, headers=headers, timeout=10
        )


@pytest.fixture(scope="module")
def zoho() -> Iterator[Zoho]:
    with run_emulator(scale=30, requests_per_minute=0, daily_limit=0) as running:
        Crm.of(running.emulator).delete("Leads", count=1)
        yield Zoho(running)


def _record_bodies(zoho: Zoho) -> list[dict[str, Any]]:
    """One record from each record route: list, by ids, single GET, search."""
    listed = zoho.get("Sales_Orders", fields="Subject,Modified_Time", per_page=1).json()["data"]
    record_id = listed[0]["id"]
    by_ids = zoho.get("Sales_Orders", fields="Subject", ids=record_id).json()["data"]
    single = zoho.get(f"Sales_Orders/{record_id}").json()["data"]
    found = zoho.get("Sales_Orders/search", criteria="(Subject:starts_with:O)").json()["data"]
    return [listed[0], by_ids[0], single[0], found[0]]


def test_records_carry_zohos_system_keys_and_nothing_else_by_default(zoho: Zoho) -> None:
    zoho.answers()
    for body in _record_bodies(zoho):
        assert {key: body[key] for key in SYSTEM_KEYS} == SYSTEM_KEYS
        assert UNDECLARED_FIELD not in body
    single = _record_bodies(zoho)[2]
    rows = single["Ordered_Items"]
    assert rows
    assert all({"Parent_Id", "Created_Time", "Modified_Time"} <= row.keys() for row in rows)
    assert not any(UNDECLARED_FIELD in row for row in rows)
    deleted = zoho.get("Leads/deleted").json()["data"]
    assert [set(entry) for entry in deleted] == [DELETED_KEYS]


def test_the_other_answer_adds_an_undeclared_key_everywhere(zoho: Zoho) -> None:
    zoho.answers("crm-undeclared-fields")
    try:
        bodies = _record_bodies(zoho)
        deleted = zoho.get("Leads/deleted").json()["data"]
    finally:
        zoho.answers()
    assert all(body[UNDECLARED_FIELD] == "Available" for body in bodies)
    assert all(row[UNDECLARED_FIELD] == "Available" for row in bodies[2]["Ordered_Items"])
    assert [entry[UNDECLARED_FIELD] for entry in deleted] == ["Trash"]
    metadata = zoho.get("settings/fields", module="Sales_Orders").json()["fields"]
    assert UNDECLARED_FIELD not in {field["api_name"] for field in metadata}


@pytest.mark.parametrize("exclusive", [False, True], ids=["at-or-after", "strictly-after"])
def test_if_modified_since_at_a_records_own_second(zoho: Zoho, exclusive: bool) -> None:  # noqa: FBT001
    zoho.answers(*(["crm-modified-since-exclusive"] if exclusive else []))
    try:
        newest = zoho.get(
            "Leads", fields="Modified_Time", per_page=1, sort_by="Modified_Time",
            sort_order="desc", converted="both",
        ).json()["data"][0]  # fmt: skip
        moment = newest["Modified_Time"]
        listed = zoho.get(
            "Leads", since=moment, fields="Modified_Time", sort_by="Modified_Time",
            sort_order="asc", converted="both",
        )  # fmt: skip
        single = zoho.get(f"Leads/{newest['id']}", since=moment)
        gone = zoho.get("Leads/deleted").json()["data"][0]
        deleted = zoho.get("Leads/deleted", since=gone["deleted_time"])
    finally:
        zoho.answers()
    if exclusive:  # nothing changed strictly after these times
        assert (listed.status_code, single.status_code, deleted.status_code) == (304, 304, 304)
    else:
        assert listed.status_code == 200
        assert newest["id"] in {row["id"] for row in listed.json()["data"]}
        assert single.status_code == 200
        assert single.json()["data"][0]["id"] == newest["id"]
        assert [entry["id"] for entry in deleted.json()["data"]] == [gone["id"]]
