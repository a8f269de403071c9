"""`tap-zoho --discover` answered from the discovery cache (tap_zoho/discovery_cache.py).

Each discovery runs the command line's own entry point (`tap_zoho.cli.main`) as Meltano's
`--discover` process would: a config file, a new token manager, the catalog on stdout.
"""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from tap_zoho import cli, discovery_cache, metadata_cache
from tap_zoho.api.auth import TokenManager
from tap_zoho.discovery_cache import DiscoveryCache
from tap_zoho.testing import emulator_config
from tests.tap_zoho.conftest import ORG_US

if TYPE_CHECKING:
    from pathlib import Path

BOOKS = "books:/settings/preferences"


def discover(zoho: Any, config: dict[str, Any], folder: Path, monkeypatch: Any, capsys: Any
             ) -> tuple[dict[str, Any], dict[str, Any], str]:  # fmt: skip
    """One `tap-zoho --config <file> --discover`: catalog, emulator requests, stderr."""
    TokenManager.forget_all()
    zoho.emulator.stats.reset()
    path = folder / "config.json"
    path.write_text(json.dumps(config))
    monkeypatch.setattr("sys.argv", ["tap-zoho", "--config", str(path), "--discover"])
    with pytest.raises(SystemExit) if _misses(config) else _nothing():
        cli.main()
    out, err = capsys.readouterr()
    return json.loads(out), zoho.emulator.stats.snapshot(), err


def _misses(config: dict[str, Any]) -> bool:
    """The SDK's discovery ends with SystemExit(0); the cached answer just returns."""
    cache = DiscoveryCache.from_config(config)
    return cache is None or cache.read() is None


class _nothing:  # noqa: N801 - used like pytest.raises
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: object) -> None:
        return None


def _cf(catalog: dict[str, Any], stream: str) -> set[str]:
    entry = next(e for e in catalog["streams"] if e["tap_stream_id"] == stream)
    return {name for name in entry["schema"]["properties"] if name.startswith("cf_")}


@pytest.fixture
def config(fresh_zoho, tmp_path):
    return emulator_config(fresh_zoho.base_url, products=["books", "crm"],
                           metadata_cache_dir=str(tmp_path / "metadata"))  # fmt: skip


def test_a_second_discovery_is_answered_from_the_cache_with_no_call(
    fresh_zoho, config, tmp_path, monkeypatch, capsys
):
    cold, cold_stats, _ = discover(fresh_zoho, config, tmp_path, monkeypatch, capsys)
    warm, warm_stats, err = discover(fresh_zoho, config, tmp_path, monkeypatch, capsys)
    assert cold_stats["total_requests"] > 0
    assert warm == cold
    assert warm_stats["total_requests"] == 0
    assert warm_stats["tokens_minted"] == 0
    assert "catalog from the discovery cache" in err
    files = list((tmp_path / "metadata").glob("catalog-*.json"))
    assert len(files) == 1
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    text = files[0].read_text()
    for secret in (config["client_secret"], config["refresh_token"]):
        assert secret not in text


def test_a_changed_setting_discovers_again(fresh_zoho, config, tmp_path, monkeypatch, capsys):
    books_crm, _, _ = discover(fresh_zoho, config, tmp_path, monkeypatch, capsys)
    more = {**config, "products": ["books", "inventory", "crm"]}
    wider, wider_stats, _ = discover(fresh_zoho, more, tmp_path, monkeypatch, capsys)
    names = {entry["tap_stream_id"] for entry in wider["streams"]}
    assert "inventory_items" in names
    assert "inventory_items" not in {entry["tap_stream_id"] for entry in books_crm["streams"]}
    assert wider_stats["total_requests"] > 0
    again, again_stats, _ = discover(fresh_zoho, config, tmp_path, monkeypatch, capsys)
    assert again == books_crm  # each settings digest keeps its own catalog
    assert again_stats["total_requests"] == 0


def test_a_custom_field_added_in_zoho_shows_when_its_metadata_ages(
    fresh_zoho, config, tmp_path, monkeypatch, capsys
):
    discover(fresh_zoho, config, tmp_path, monkeypatch, capsys)
    fresh_zoho.emulator.finance.custom_fields.add(
        ORG_US, "invoices", "Pallet Count", "number", api_name="cf_pallet_count"
    )
    cached, cached_stats, _ = discover(fresh_zoho, config, tmp_path, monkeypatch, capsys)
    assert "cf_pallet_count" not in _cf(cached, "books_invoices")  # within metadata_cache_hours
    assert cached_stats["total_requests"] == 0

    later = datetime.now(UTC) + timedelta(hours=25)  # the tap machine's clock, a day on

    class Later(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # noqa: ARG003 - always UTC here
            return later

    monkeypatch.setattr(discovery_cache, "datetime", Later)
    monkeypatch.setattr(metadata_cache, "datetime", Later)
    aged, aged_stats, _ = discover(fresh_zoho, config, tmp_path, monkeypatch, capsys)
    assert "cf_pallet_count" in _cf(aged, "books_invoices")
    assert aged_stats["requests_by_route"][BOOKS] == 2  # the definitions were read again
    again, again_stats, _ = discover(fresh_zoho, config, tmp_path, monkeypatch, capsys)
    assert again == aged
    assert again_stats["total_requests"] == 0


def test_the_catalog_expires_with_the_oldest_metadata_it_used(
    fresh_zoho, config, tmp_path, monkeypatch, capsys
):
    catalog, _, _ = discover(fresh_zoho, config, tmp_path, monkeypatch, capsys)
    cache = DiscoveryCache.from_config(config)
    assert cache is not None
    kept = json.loads(cache.path.read_text())
    fetched = [
        datetime.fromisoformat(entry["fetched_at"])
        for name in kept["metadata"]
        for entry in json.loads((tmp_path / "metadata" / name).read_text())["entries"].values()
    ]
    assert len(kept["metadata"]) == 3  # books custom fields of 2 orgs, CRM fields of 1
    expires = datetime.fromisoformat(kept["expires_at"])
    assert expires == min(fetched) + timedelta(hours=24)
    text = cache.read(now=expires - timedelta(seconds=1))
    assert text is not None
    assert json.loads(text) == catalog
    assert cache.read(now=expires) is None
    # Metadata another discovery rewrote (changed) retires the catalog at once.
    name = next(iter(kept["metadata"]))
    path = tmp_path / "metadata" / name
    path.write_text(path.read_text().replace('"fetched_at"', '"fetched_at" ', 1))
    assert cache.read() is None


def test_an_incomplete_discovery_is_not_kept(fresh_zoho, config, tmp_path, monkeypatch, capsys):
    fresh_zoho.emulator.finance.custom_fields.deny(ORG_US, "books")
    _, _, _ = discover(fresh_zoho, config, tmp_path, monkeypatch, capsys)
    assert not list((tmp_path / "metadata").glob("catalog-*.json"))
    fresh_zoho.emulator.finance.custom_fields.deny(ORG_US, "books", denied=False)
    _, stats, _ = discover(fresh_zoho, config, tmp_path, monkeypatch, capsys)
    assert stats["requests_by_route"][BOOKS] == 1  # the refused organization, asked again
    assert list((tmp_path / "metadata").glob("catalog-*.json"))


def test_no_cache_without_the_metadata_folder_or_with_zero_hours(config):
    assert DiscoveryCache.from_config({**config, "metadata_cache_dir": ""}) is None
    assert DiscoveryCache.from_config({**config, "metadata_cache_hours": 0}) is None
    argv = ["--config", "ENV", "--discover"]
    assert DiscoveryCache.from_argv(argv) is None
