"""CRM v8 record reads: each strict rule of Zoho has a test that a lenient emulator fails."""

from __future__ import annotations

import pytest
import requests

from zoho_emulator.crm import Crm, record_id
from zoho_emulator.crm.tokens import PageCursor
from zoho_emulator.settings import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN
from zoho_emulator.testing import run_emulator

SCALE = 2_500


def crm_session(base_url: str) -> requests.Session:
    token = requests.post(
        f"{base_url}/oauth/v2/token",
        params={"grant_type": "refresh_token", "client_id": DEMO_CLIENT_ID,
                "client_secret": DEMO_CLIENT_SECRET, "refresh_token": DEMO_REFRESH_TOKEN},
        timeout=5,
    ).json()["access_token"]  # fmt: skip
    session = requests.Session()
    session.headers["Authorization"] = f"Zoho-oauthtoken {token}"
    return session


@pytest.fixture(scope="module")
def zoho():
    with run_emulator(
        seed=11, scale=SCALE, requests_per_minute=0, daily_limit=0, concurrency_limit=0,
        crm_daily_credits=0, token_mint_limit=1000, token_lifetime=10**7,
    ) as running:  # fmt: skip
        yield running, crm_session(running.base_url)


def get(zoho, path, **kwargs):
    running, session = zoho
    return session.get(f"{running.base_url}/crm/v8/{path}", timeout=10, **kwargs)


def test_fields_parameter_is_mandatory(zoho) -> None:
    response = get(zoho, "Leads")
    assert response.status_code == 400
    assert response.json() == {
        "code": "REQUIRED_PARAM_MISSING",
        "details": {"param_name": "fields"},
        "message": "One of the expected parameter is missing",
        "status": "error",
    }


def test_more_than_50_fields_is_limit_exceeded(zoho) -> None:
    running, session = zoho
    fields = session.get(
        f"{running.base_url}/crm/v8/settings/fields", params={"module": "Accounts"}, timeout=5
    ).json()["fields"]
    names = [field["api_name"] for field in fields if field["data_type"] != "subform"]
    assert len(names) > 50
    too_many = get(zoho, "Accounts", params={"fields": ",".join(names[:51])})
    assert too_many.status_code == 400
    assert too_many.json()["code"] == "LIMIT_EXCEEDED"
    ok = get(zoho, "Accounts", params={"fields": ",".join(names[:50]), "per_page": 5})
    assert ok.status_code == 200
    fields_sent = {key for key in ok.json()["data"][0] if not key.startswith("$")}
    assert fields_sent == {*names[:50], "id"}  # beside Zoho's `$` system keys


def test_per_page_above_200_is_refused(zoho) -> None:
    response = get(zoho, "Leads", params={"fields": "Last_Name", "per_page": 201})
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_DATA"


def test_page_paging_stops_at_2000_records(zoho) -> None:
    last_allowed = get(zoho, "Contacts", params={"fields": "Last_Name", "page": 10})
    assert last_allowed.status_code == 200
    assert last_allowed.json()["info"]["more_records"] is True
    beyond = get(zoho, "Contacts", params={"fields": "Last_Name", "page": 11})
    assert beyond.status_code == 400
    assert beyond.json()["code"] == "DISCRETE_PAGINATION_LIMIT_EXCEEDED"
    assert beyond.json()["details"] == {"limit": 2000}


def test_page_token_reaches_every_record_once(zoho) -> None:
    running, _ = zoho
    seen: list[str] = []
    params = {"fields": "Last_Name,Modified_Time", "sort_by": "Modified_Time", "sort_order": "asc"}
    token = None
    while True:
        response = get(zoho, "Contacts", params=params | ({"page_token": token} if token else {}))
        body = response.json()
        seen += [row["id"] for row in body["data"]]
        times = [row["Modified_Time"] for row in body["data"]]
        assert times == sorted(times)
        if not body["info"]["more_records"]:
            assert body["info"]["next_page_token"] is None
            break
        token = body["info"]["next_page_token"]
    assert len(seen) == len(set(seen)) == SCALE
    assert set(seen) == set(Crm.of(running.emulator).live_ids("Contacts"))


def test_page_and_page_token_together_are_ambiguous(zoho) -> None:
    first = get(zoho, "Deals", params={"fields": "Deal_Name"}).json()
    both = get(
        zoho, "Deals",
        params={"fields": "Deal_Name", "page": 2, "page_token": first["info"]["next_page_token"]},
    )  # fmt: skip
    assert both.status_code == 400
    assert both.json()["code"] == "AMBIGUITY_DURING_PROCESSING"


def test_page_token_is_bound_to_its_parameters(zoho) -> None:
    first = get(zoho, "Deals", params={"fields": "Deal_Name"}).json()
    token = first["info"]["next_page_token"]
    changed = get(zoho, "Deals", params={"fields": "Deal_Name,Amount", "page_token": token})
    assert changed.status_code == 400
    assert changed.json()["code"] == "TOKEN_BOUND_DATA_MISMATCH"
    forged = get(zoho, "Deals", params={"fields": "Deal_Name", "page_token": token[:-3] + "abc"})
    assert forged.status_code == 400
    assert forged.json()["code"] == "INVALID_DATA"


def test_page_token_expires_after_a_day(zoho) -> None:
    running, _ = zoho
    token = get(zoho, "Products", params={"fields": "Product_Name"}).json()["info"][
        "next_page_token"
    ]
    running.emulator.clock.advance(86_401)
    expired = get(zoho, "Products", params={"fields": "Product_Name", "page_token": token})
    assert expired.status_code == 400
    assert expired.json()["code"] == "EXPIRED_VALUE"
    assert expired.json()["details"] == {"param_name": "page_token"}
    running.emulator.answers.set(["crm-page-token-invalid-data"])
    try:
        other = get(zoho, "Products", params={"fields": "Product_Name", "page_token": token})
    finally:
        running.emulator.answers.set([])
    assert other.status_code == 400
    assert other.json()["code"] == "INVALID_DATA"
    assert other.json()["details"] == {"param_name": "page_token", "reason": "EXPIRED_VALUE"}


def test_default_order_is_id_descending_and_sort_by_is_checked(zoho) -> None:
    rows = get(zoho, "Accounts", params={"fields": "Account_Name", "per_page": 50}).json()["data"]
    ids = [int(row["id"]) for row in rows]
    assert ids == sorted(ids, reverse=True)
    assert ids[0] == int(record_id("Accounts", SCALE - 1)) or ids[0] > int(
        record_id("Accounts", SCALE - 1)
    )
    bad = get(zoho, "Accounts", params={"fields": "Account_Name", "sort_by": "Account_Name"})
    assert bad.status_code == 400
    assert bad.json()["code"] == "INVALID_DATA"


def test_unknown_module_and_scope_mismatch(zoho) -> None:
    unknown = get(zoho, "Spaceships", params={"fields": "Name"})
    assert unknown.status_code == 400
    assert unknown.json()["code"] == "INVALID_MODULE"
    scoped = get(zoho, "Cases", params={"fields": "Subject"})
    assert scoped.status_code == 401
    assert scoped.json()["code"] == "OAUTH_SCOPE_MISMATCH"
    unsupported = get(zoho, "Visits", params={"fields": "Name"})
    assert unsupported.json()["code"] == "INVALID_MODULE"


def test_missing_or_bad_token_gets_crm_401(zoho) -> None:
    running, _ = zoho
    missing = requests.get(f"{running.base_url}/crm/v8/Leads?fields=Last_Name", timeout=5)
    assert missing.status_code == 401
    assert missing.json()["code"] == "AUTHENTICATION_FAILURE"
    wrong = requests.get(
        f"{running.base_url}/crm/v8/Leads?fields=Last_Name",
        headers={"Authorization": "Zoho-oauthtoken 1000.nope.nope"},
        timeout=5,
    )
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "INVALID_TOKEN"


def test_converted_leads_are_hidden_unless_asked_for(zoho) -> None:
    running, _ = zoho
    crm = Crm.of(running.emulator)
    everyone = set(crm.live_ids("Leads", "both"))
    converted = set(crm.live_ids("Leads", "true"))
    assert 0 < len(converted) < len(everyone)
    default_ids: set[str] = set()
    both_ids: set[str] = set()
    for mode, bucket in ((None, default_ids), ("both", both_ids)):
        token = None
        while True:
            params = {"fields": "Last_Name,Converted__s"}
            if mode:
                params["converted"] = mode
            if token:
                params["page_token"] = token
            body = get(zoho, "Leads", params=params).json()
            bucket.update(row["id"] for row in body["data"])
            if mode is None:
                assert not any(row["Converted__s"] for row in body["data"])
            token = body["info"]["next_page_token"]
            if not body["info"]["more_records"]:
                break
    assert default_ids == everyone - converted
    assert both_ids == everyone


def test_list_rows_omit_subforms_that_single_record_get_returns(zoho) -> None:
    row = get(zoho, "Sales_Orders", params={"fields": "Subject,Ordered_Items", "per_page": 1})
    listed = row.json()["data"][0]
    assert "Ordered_Items" not in listed
    detail = get(zoho, f"Sales_Orders/{listed['id']}").json()["data"][0]
    assert detail["Ordered_Items"]
    assert all(item["Product_Name"]["id"] for item in detail["Ordered_Items"])


def test_ids_parameter_is_capped_at_100(zoho) -> None:
    ids = [record_id("Products", index) for index in range(101)]
    too_many = get(zoho, "Products", params={"fields": "Product_Name", "ids": ",".join(ids)})
    assert too_many.status_code == 400
    assert too_many.json()["code"] == "LIMIT_EXCEEDED"
    some = get(zoho, "Products", params={"fields": "Product_Name", "ids": ",".join(ids[:3])})
    assert [row["id"] for row in some.json()["data"]] == ids[:3]


def test_datetimes_have_colon_offsets(zoho) -> None:
    row = get(zoho, "Deals", params={"fields": "Created_Time,Modified_Time,Closing_Date"}).json()
    first = row["data"][0]
    assert first["Modified_Time"].endswith("+05:30")
    assert len(first["Closing_Date"]) == 10


def test_same_seed_same_data_other_seed_other_data() -> None:
    def first_page(seed):
        with run_emulator(seed=seed, scale=50, requests_per_minute=0) as running:
            session = crm_session(running.base_url)
            return session.get(
                f"{running.base_url}/crm/v8/Leads",
                params={"fields": "Last_Name,Email,Phone,Annual_Revenue,Modified_Time"},
                timeout=5,
            ).json()["data"]

    assert first_page(5) == first_page(5)
    assert first_page(5) != first_page(6)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"fields": "Last_Name,Nope"}, "INVALID_DATA"),
        ({"fields": "Last_Name", "converted": "maybe"}, "INVALID_DATA"),
        ({"fields": "Last_Name", "sort_order": "up"}, "INVALID_DATA"),
        ({"fields": "Last_Name", "page": 0}, "INVALID_DATA"),
        ({"fields": "Last_Name", "cvid": "1", "sort_by": "id"}, "AMBIGUITY_DURING_PROCESSING"),
        ({"fields": " , "}, "REQUIRED_PARAM_MISSING"),
    ],
)
def test_bad_list_parameters(zoho, params, code) -> None:
    response = get(zoho, "Leads", params=params)
    assert response.status_code == 400
    assert response.json()["code"] == code


def test_a_token_chain_stops_at_100000_records(zoho) -> None:
    running, _ = zoho
    crm = Crm.of(running.emulator)
    bound = {"fields": "Last_Name", "sort_by": "id", "sort_order": "desc", "converted": "false",
             "per_page": "200", "since": "None"}  # fmt: skip
    binding = crm.page_tokens.binding("Leads", bound)
    token = crm.page_tokens.issue(PageCursor(binding, 10, 10, 100_000, crm.store.now() + 3_600))
    response = get(zoho, "Leads", params={"fields": "Last_Name", "page_token": token})
    assert response.status_code == 400
    assert response.json()["code"] == "PAGINATION_LIMIT_EXCEEDED"


def test_scope_mismatch_reaches_coql_bulk_and_watch(zoho) -> None:
    running, session = zoho
    base = f"{running.base_url}/crm"
    coql = session.post(f"{base}/v8/coql", json={"select_query": "select Subject from Cases"})
    assert coql.status_code == 401
    assert coql.json()["code"] == "OAUTH_SCOPE_MISMATCH"
    bulk = session.post(f"{base}/bulk/v8/read", json={"query": {"module": {"api_name": "Cases"}}})
    assert bulk.json()["code"] == "OAUTH_SCOPE_MISMATCH"
    watch = session.post(
        f"{base}/v8/actions/watch",
        json={"watch": [{"channel_id": 1, "events": ["Cases.all"],
                         "notify_url": "http://127.0.0.1:9/x"}]},
    )  # fmt: skip
    assert watch.json()["watch"][0]["code"] == "OAUTH_SCOPE_MISMATCH"


def test_tag_is_an_array_of_objects_and_products_tax_holds_id_value_objects(zoho) -> None:
    running, session = zoho
    fields = session.get(
        f"{running.base_url}/crm/v8/settings/fields", params={"module": "Products"}, timeout=5
    ).json()["fields"]
    by_name = {field["api_name"]: field for field in fields}
    assert (by_name["Tag"]["data_type"], by_name["Tag"]["json_type"]) == ("text", "jsonarray")
    assert (by_name["Tax"]["data_type"], by_name["Tax"]["json_type"]) == (
        "multiselectpicklist", "jsonarray",
    )  # fmt: skip
    rows = get(zoho, "Products", params={"fields": "Tag,Tax", "per_page": 200}).json()["data"]
    tags = [tag for row in rows for tag in row["Tag"]]
    assert any(row["Tag"] == [] for row in rows)
    assert tags
    assert all(set(tag) == {"name", "id", "color_code"} for tag in tags)
    taxes = [tax for row in rows for tax in row["Tax"]]
    assert taxes
    assert all(set(tax) == {"id", "value"} and tax["id"].isdigit() for tax in taxes)
    running.emulator.answers.set(["crm-unknown-json-type"])
    try:
        other = session.get(
            f"{running.base_url}/crm/v8/settings/fields", params={"module": "Leads"}, timeout=5
        ).json()["fields"]
    finally:
        running.emulator.answers.set([])
    assert {f["api_name"]: f["json_type"] for f in other}["Tag"] == "taglist"
