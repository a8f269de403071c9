"""The shared token store, against the emulator's mint counter and a real PostgreSQL.

Every guarantee is checked for both stores (a folder, and a `postgresql://` URL):
processes that start together mint one token; a token Zoho rejects is replaced once;
what is stored is the access token and nothing that could mint another one.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import logging
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

from tap_zoho.api.auth import TokenManager, ZohoCredentials
from tap_zoho.api.client import UnifiedZohoClient
from tap_zoho.api.tokens import (
    FileTokenStore,
    StoredToken,
    TokenStore,
    open_token_store,
    token_store_spec,
)
from target_tsh_erp.database import connect, embedded
from zoho_emulator.settings import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN
from zoho_emulator.testing import run_emulator

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from zoho_emulator.testing import RunningEmulator

pytestmark = pytest.mark.timeout(300)

RACERS = 4
_SCHEMAS = itertools.count()

WORKER = """
import hashlib, json, sys
from tap_zoho.api.auth import TokenManager, ZohoCredentials
from tap_zoho.api.tokens import open_token_store

args = json.loads(sys.argv[1])
credentials = ZohoCredentials(
    client_id=args["client_id"], client_secret=args["client_secret"],
    refresh_token=args["refresh_token"], accounts_url=args["accounts_url"],
)
manager = TokenManager(credentials, store=open_token_store(args["store"]))
print("ready", flush=True)
sys.stdin.readline()  # the test releases every racer at once
token = manager.access_token()
print(json.dumps({"token_sha256": hashlib.sha256(token.encode()).hexdigest(),
                  "minted": manager.minted}), flush=True)
"""


def credentials_for(zoho: RunningEmulator) -> ZohoCredentials:
    return ZohoCredentials(
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
        refresh_token=DEMO_REFRESH_TOKEN,
        accounts_url=zoho.base_url,
    )


def minted(zoho: RunningEmulator) -> int:
    count: int = zoho.emulator.stats.snapshot()["tokens_minted"]
    return count


@pytest.fixture(scope="module")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An embedded PostgreSQL; a start that fails (seen once while other test runs on the
    machine started servers too) is tried again in a fresh folder, twice at most."""
    failure: Exception | None = None
    for _ in range(3):
        with contextlib.ExitStack() as stack:
            try:
                database = stack.enter_context(
                    embedded(tmp_path_factory.mktemp("token-db") / "pgdata")
                )
            except Exception as error:  # noqa: BLE001 - the library raises several kinds
                failure = error
                continue
            yield database.url
            return
    msg = "embedded PostgreSQL did not start in three tries"
    raise RuntimeError(msg) from failure


@pytest.fixture(params=["file", "postgresql"])
def store_spec(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store of each kind: a folder, or a schema of its own in PostgreSQL."""
    if request.param == "file":
        return str(tmp_path / "tokens")
    return fresh_postgres_store(request.getfixturevalue("postgres_url"))


def fresh_postgres_store(url: str) -> str:
    """A store URL whose search_path is a new, empty schema (the documented option)."""
    schema = f"tokens_{next(_SCHEMAS)}"
    with connect(url, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture
def zoho() -> Iterator[RunningEmulator]:
    """An emulator per test: the mint counter and Zoho's 10-per-10-minutes start at zero."""
    with run_emulator(scale=2, requests_per_minute=0, daily_limit=0) as running:
        yield running


def stored_rows(spec: str) -> list[dict[str, Any]]:
    """What the store holds, read without the store's own code."""
    if spec.startswith("postgresql://"):
        with connect(spec, autocommit=True) as connection:
            cursor = connection.execute("SELECT * FROM tap_zoho_access_tokens")
            names = [column.name for column in cursor.description or []]
            return [dict(zip(names, row, strict=True)) for row in cursor]
    folder = Path(spec)
    return [
        {"file": path.name, **json.loads(path.read_text(encoding="utf-8"))}
        for path in sorted(folder.glob("*.json"))
    ]


def test_processes_starting_together_mint_one_token(zoho: RunningEmulator, store_spec: str) -> None:
    """Four real processes ask for a token in the same millisecond: one mint, one token."""
    args = json.dumps(
        {
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
            "refresh_token": DEMO_REFRESH_TOKEN,
            "accounts_url": zoho.base_url,
            "store": store_spec,
        }
    )
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(RACERS)
    ]
    try:
        for racer in racers:
            assert racer.stdout is not None
            assert racer.stdout.readline().strip() == "ready", racer.stderr
        for racer in racers:
            assert racer.stdin is not None
            racer.stdin.write("go\n")
            racer.stdin.flush()
        outcomes = []
        for racer in racers:
            out, err = racer.communicate(timeout=120)
            assert racer.returncode == 0, err
            outcomes.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for racer in racers:
            if racer.poll() is None:
                racer.kill()
                racer.wait()
    assert minted(zoho) == 1
    assert len({outcome["token_sha256"] for outcome in outcomes}) == 1
    assert sorted(outcome["minted"] for outcome in outcomes) == [0] * (RACERS - 1) + [1]


def test_a_rejected_stored_token_is_replaced_once(zoho: RunningEmulator, store_spec: str) -> None:
    """Zoho revokes the shared token: the first process to see the 401 mints, the rest reuse.

    Three managers, each with its own store object, stand for three processes; each
    client calls Zoho with the token it holds, so all three meet the 401.
    """
    credentials = credentials_for(zoho)
    clients = [
        UnifiedZohoClient(
            credentials,
            tokens=TokenManager(credentials, store=open_token_store(store_spec)),
            requests_per_minute=0,
        )
        for _ in range(3)
    ]
    for client in clients:
        assert client.organizations("books")
    assert minted(zoho) == 1
    (first,) = stored_rows(store_spec)

    requests.post(f"{zoho.base_url}/__emulator/tokens/revoke", timeout=10).raise_for_status()
    for client in clients:
        assert client.organizations("books")

    assert minted(zoho) == 2  # one replacement for the three processes
    (replacement,) = stored_rows(store_spec)
    assert replacement["access_token"] != first["access_token"]
    assert zoho.emulator.tokens.is_valid(replacement["access_token"])
    assert zoho.emulator.stats.snapshot()["responses_by_status"].get("401") == 3


def test_store_holds_the_access_token_and_nothing_that_mints_one(
    zoho: RunningEmulator, store_spec: str, caplog: pytest.LogCaptureFixture
) -> None:
    credentials = credentials_for(zoho)
    manager = TokenManager(credentials, store=open_token_store(store_spec))
    with caplog.at_level(logging.DEBUG):
        token = manager.access_token()
        again = TokenManager(credentials, store=open_token_store(store_spec)).access_token()

    assert again == token
    assert minted(zoho) == 1
    (row,) = stored_rows(store_spec)
    assert row["access_token"] == token
    assert row["api_domain"] == zoho.base_url
    key = row.get("fingerprint") or row["file"].removesuffix(".json")
    assert key == credentials.fingerprint
    stored = json.dumps(row, default=str)
    for secret in (DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN):
        assert secret not in stored
        assert hashlib.sha256(secret.encode()).hexdigest() not in stored
    assert token not in caplog.text
    assert "shared" in caplog.text  # the second manager said where its token came from

    if not store_spec.startswith("postgresql://"):
        folder = Path(store_spec)
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        for path in folder.iterdir():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_an_unusable_store_costs_tokens_not_the_run(
    zoho: RunningEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The store's folder cannot be created: the process warns and mints its own token."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    credentials = credentials_for(zoho)
    manager = TokenManager(credentials, store=open_token_store(str(blocker / "tokens")))
    client = UnifiedZohoClient(credentials, tokens=manager, requests_per_minute=0)
    with caplog.at_level(logging.WARNING):
        assert client.organizations("books")
    assert minted(zoho) == 1
    assert "The shared token store is unusable" in caplog.text
    assert f"token folder {blocker / 'tokens'}: Not a directory" in caplog.text


def test_a_token_the_store_cannot_keep_is_still_used(
    zoho: RunningEmulator, postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The store breaks between the mint and the write: no second mint for this process.

    PostgreSQL can be made to refuse the write (a CHECK constraint); a folder cannot,
    when tests run as root.
    """
    store_spec = fresh_postgres_store(postgres_url)
    credentials = credentials_for(zoho)
    manager = TokenManager(credentials, store=open_token_store(store_spec))
    # The store creates its table on first use: have it do so, then refuse every new row.
    bystander = open_token_store(store_spec)
    assert bystander is not None
    bystander.fetch_or_mint("0" * 64, lambda _: True, lambda: StoredToken("x", 0.0, 1.0))
    with connect(store_spec, autocommit=True) as connection:
        connection.execute("DELETE FROM tap_zoho_access_tokens")
        connection.execute(
            "ALTER TABLE tap_zoho_access_tokens ADD CONSTRAINT refuse CHECK (false) NOT VALID"
        )
    client = UnifiedZohoClient(credentials, tokens=manager, requests_per_minute=0)
    with caplog.at_level(logging.WARNING):
        assert client.organizations("books")
        assert client.organizations("inventory")
    assert minted(zoho) == 1
    assert "CheckViolation (23514)" in caplog.text
    assert stored_rows(store_spec) == []


def test_postgres_store_errors_name_no_password(
    zoho: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    password = "pg-s3cret-never-shown"
    spec = f"postgresql://tap:{password}@127.0.0.1:1/tokens"
    credentials = credentials_for(zoho)
    manager = TokenManager.for_settings(credentials, {"token_store": spec})
    with caplog.at_level(logging.WARNING):
        assert manager.access_token()
    assert "database tokens on 127.0.0.1 port 1" in caplog.text
    assert password not in caplog.text
    assert "tap:" not in caplog.text


def test_settings_choose_the_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MELTANO_PROJECT_ROOT", raising=False)
    assert token_store_spec({}) == "memory"
    monkeypatch.setenv("MELTANO_PROJECT_ROOT", str(tmp_path))
    default = tmp_path / ".meltano" / "run" / "tap-zoho" / "tokens"
    assert token_store_spec({}) == str(default)
    assert token_store_spec({"token_store": "memory"}) == "memory"
    assert token_store_spec({"token_store": ""}) == "memory"
    store = open_token_store(token_store_spec({}))
    assert isinstance(store, FileTokenStore)
    assert store.folder == default
    credentials = ZohoCredentials("id", "secret", "refresh", "http://127.0.0.1:1")
    assert TokenManager.for_settings(credentials, {}).store is not None
    assert TokenManager.for_settings(credentials, {"token_store": "memory"}).store is None


def test_psycopg_is_imported_only_for_a_postgresql_store(tmp_path: Path) -> None:
    """tap-zoho does not depend on psycopg: without it a file store works, and a
    postgresql:// store says what to install."""
    script = f"""
import sys
sys.modules["psycopg"] = None  # as if psycopg were not installed
from tap_zoho.api.auth import TokenManager, ZohoCredentials
from tap_zoho.api.errors import ZohoAuthError
credentials = ZohoCredentials("id", "secret", "refresh", "http://127.0.0.1:1")
assert TokenManager.for_settings(credentials, {{"token_store": {str(tmp_path)!r}}}).store
try:
    TokenManager.for_settings(credentials, {{"token_store": "postgresql://u:pw@h/db"}})
except ZohoAuthError as error:
    print(error)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "needs psycopg 3" in done.stdout
    assert "pip install" in done.stdout
    assert "pw" not in done.stdout


SLOTS_PER_HOUR = 4
HOURS = 2
ORGANIZATIONS = 12
PROCESSES_PER_RUN = 2  # Meltano's discovery process, then the sync process


def test_twelve_organizations_every_15_minutes_mint_one_token_per_hour(
    zoho: RunningEmulator, store_spec: str
) -> None:
    """Two simulated hours of twelve jobs every 15 minutes, starts spread over the slot.

    Each job is two short-lived processes (fresh managers and store objects, no shared
    memory) that call Zoho with their token; the emulator's clock is moved between jobs,
    and the managers read that clock, so expiry is real on both sides.
    """
    credentials = credentials_for(zoho)
    clock: Callable[[], float] = zoho.emulator.clock.time
    slot_seconds = 3600 / SLOTS_PER_HOUR
    stagger = slot_seconds / ORGANIZATIONS
    started = clock()
    runs = 0
    for slot in range(SLOTS_PER_HOUR * HOURS):
        for org in range(ORGANIZATIONS):
            due = started + slot * slot_seconds + org * stagger
            advance = max(due - clock(), 0)
            requests.post(
                f"{zoho.base_url}/__emulator/clock/advance", json={"seconds": advance}, timeout=10
            ).raise_for_status()
            for _ in range(PROCESSES_PER_RUN):
                store: TokenStore | None = open_token_store(store_spec)
                manager = TokenManager(credentials, store=store, clock=clock)
                client = UnifiedZohoClient(credentials, tokens=manager, requests_per_minute=0)
                assert client.organizations("books")
            runs += 1

    statuses = zoho.emulator.stats.snapshot()["responses_by_status"]
    assert runs == ORGANIZATIONS * SLOTS_PER_HOUR * HOURS
    assert "401" not in statuses, "a process was handed an expired or revoked token"
    assert minted(zoho) <= HOURS, f"{minted(zoho)} mints in {HOURS} simulated hours"


@pytest.fixture(autouse=True)
def _no_meltano_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default store depends on MELTANO_PROJECT_ROOT; a developer's shell may set it."""
    monkeypatch.delenv("MELTANO_PROJECT_ROOT", raising=False)
    assert "MELTANO_PROJECT_ROOT" not in os.environ
