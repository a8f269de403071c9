"""CRM limits and robustness: credits, concurrency, faults, and never a 500 of our own."""

from __future__ import annotations

import threading

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_crm_records import crm_session

from zoho_emulator.faults import FaultKind, FaultRule
from zoho_emulator.testing import run_emulator


def test_daily_credits_run_out_with_too_many_requests() -> None:
    with run_emulator(scale=50, crm_daily_credits=5, concurrency_limit=0) as running:
        session = crm_session(running.base_url)
        url = f"{running.base_url}/crm/v8/Leads?fields=Last_Name"
        statuses = [session.get(url, timeout=5).status_code for _ in range(5)]
        assert statuses == [200] * 5
        refused = session.get(url, timeout=5)
        assert refused.status_code == 429
        assert refused.json()["code"] == "TOO_MANY_REQUESTS"
        # A bulk job costs 50 credits: refused at once when the budget cannot cover it.
        running.emulator.clock.advance(86_401)
        session = crm_session(running.base_url)
        bulk = session.post(
            f"{running.base_url}/crm/bulk/v8/read",
            json={"query": {"module": {"api_name": "Leads"}}}, timeout=5,
        )  # fmt: skip
        assert bulk.status_code == 429
        assert session.get(url, timeout=5).status_code == 200


def test_concurrency_limit_answers_too_many_requests() -> None:
    with run_emulator(
        scale=50, crm_daily_credits=0, concurrency_limit=2, latency_ms=300
    ) as running:
        session = crm_session(running.base_url)
        url = f"{running.base_url}/crm/v8/Leads?fields=Last_Name"
        statuses: list[int] = []

        def call() -> None:
            statuses.append(crm_session(running.base_url).get(url, timeout=10).status_code)

        threads = [threading.Thread(target=call) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses.count(429) >= 1
        assert statuses.count(200) >= 2
        assert session.get(url, timeout=10).status_code == 200


def test_faults_apply_to_crm_routes() -> None:
    with run_emulator(scale=50, crm_daily_credits=0, concurrency_limit=0) as running:
        session = crm_session(running.base_url)
        running.emulator.faults.add(
            FaultRule(FaultKind.SERVER_ERROR, route_glob="crm:/{module}", remaining=1, status=503)
        )
        url = f"{running.base_url}/crm/v8/Leads?fields=Last_Name"
        failed = session.get(url, timeout=5)
        assert failed.status_code == 503
        assert failed.json()["code"] == "INTERNAL_ERROR"
        assert session.get(url, timeout=5).status_code == 200


def test_paths_that_are_not_modules_and_wrong_methods() -> None:
    with run_emulator(scale=20, crm_daily_credits=0, concurrency_limit=0) as running:
        session = crm_session(running.base_url)
        layouts = session.get(f"{running.base_url}/crm/v8/settings/layouts", timeout=5)
        assert layouts.status_code == 404
        assert layouts.json()["code"] == "INVALID_URL_PATTERN"
        old = session.get(f"{running.base_url}/crm/v2/Leads", timeout=5)
        assert old.json()["code"] == "INVALID_URL_PATTERN"
        hidden = session.get(
            f"{running.base_url}/crm/v8/settings/modules", params={"status": "nope"}, timeout=5
        )
        assert hidden.json()["code"] == "INVALID_DATA"


QUERY_KEYS = st.sampled_from(
    ["fields", "page", "per_page", "page_token", "sort_by", "sort_order", "converted", "ids",
     "cvid", "type"]
)  # fmt: skip
QUERY_VALUES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["Last_Name", "Modified_Time", "0", "-1", "201", "2001", "both", "asc", "id"]),
)
PATHS = st.sampled_from(
    ["/crm/v8/Leads", "/crm/v8/Accounts", "/crm/v8/Leads/deleted", "/crm/v8/Leads/123",
     "/crm/v8/settings/fields", "/crm/v8/users", "/crm/v8/actions/watch", "/crm/v8/Nope"]
)  # fmt: skip


def test_garbage_never_gets_a_500() -> None:
    with run_emulator(scale=30, crm_daily_credits=0, concurrency_limit=0) as running:
        session = crm_session(running.base_url)

        @settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
        @given(
            path=PATHS,
            query=st.dictionaries(QUERY_KEYS, QUERY_VALUES, max_size=4),
            # Header values are printable ASCII: anything else is refused by the HTTP layer.
            since=st.one_of(
                st.none(),
                st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=30),
                st.just("2025-01-01T00:00:00 05:30"),
            ),
        )
        def probe(path, query, since) -> None:
            headers = {} if since is None else {"If-Modified-Since": since}
            response = session.get(
                f"{running.base_url}{path}", params=query, headers=headers, timeout=10
            )
            assert response.status_code in {200, 204, 304, 400, 401, 403, 404}, response.text
            if response.status_code >= 400:
                assert response.json()["status"] == "error"

        probe()

        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
        @given(query=st.one_of(st.text(max_size=80), st.integers(), st.none()))
        def coql(query) -> None:
            response = session.post(
                f"{running.base_url}/crm/v8/coql", json={"select_query": query}, timeout=10
            )
            assert response.status_code in {200, 204, 400, 401}, response.text

        coql()


def test_crm_answers_carry_no_books_quota_headers() -> None:
    # The daily request quota (and its X-Rate-Limit-* headers) is Books/Inventory's; CRM
    # limits credits and documents no quota header, so its answers must not carry them.
    with run_emulator(scale=5, daily_limit=50, crm_daily_credits=5, concurrency_limit=0) as running:
        session = crm_session(running.base_url)
        crm = session.get(f"{running.base_url}/crm/v8/Leads?fields=Last_Name", timeout=5)
        books = session.get(f"{running.base_url}/books/v3/organizations", timeout=5)
        for _ in range(5):
            session.get(f"{running.base_url}/crm/v8/org", timeout=5)
        refused = session.get(f"{running.base_url}/crm/v8/org", timeout=5)
    assert crm.status_code == 200
    assert "X-Rate-Limit-Remaining" in books.headers  # the kernel does stamp them
    assert refused.status_code == 429
    for response in (crm, refused):
        assert not [name for name in response.headers if name.lower().startswith("x-rate-limit")]
