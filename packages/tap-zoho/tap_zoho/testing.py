"""Run the tap in-process and collect what it wrote: for tests, the demo and benchmarks."""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tap_zoho.api.auth import TokenManager
from tap_zoho.tap import TapZoho

if TYPE_CHECKING:
    from tap_zoho.api.retry import RetryPolicy

DEMO_CLIENT_ID = "1000.DEMOCLIENTID"
DEMO_CLIENT_SECRET = "demo-client-secret"  # noqa: S105 - the emulator's documented default
DEMO_REFRESH_TOKEN = "1000.demo.refresh-token"  # noqa: S105 - the emulator's documented default
"""The emulator's demo credentials (docs/DESIGN.md): documented defaults, not secrets.
Spelled here because product code never imports the emulator."""


def emulator_config(base_url: str, **overrides: Any) -> dict[str, Any]:  # noqa: ANN401
    """Tap settings pointing at an emulator with its demo credentials."""
    config: dict[str, Any] = {
        "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET,
        "refresh_token": DEMO_REFRESH_TOKEN,
        "accounts_url": base_url,
        "products": ["books", "inventory"],
        "requests_per_minute": 0,
    }
    config.update(overrides)
    return config


@dataclass
class SyncResult:
    """Messages and logs of one run."""

    messages: list[dict[str, Any]]
    logs: str
    tap: TapZoho
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Group RECORD messages by stream."""
        grouped: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
        for message in self.messages:
            if message["type"] == "RECORD":
                grouped[message["stream"]].append(message["record"])
        self.records = dict(grouped)

    @property
    def counts(self) -> Counter[str]:
        """Records per stream."""
        return Counter({name: len(rows) for name, rows in self.records.items()})

    @property
    def state(self) -> dict[str, Any]:
        """The last STATE message's value."""
        states = [message["value"] for message in self.messages if message["type"] == "STATE"]
        return states[-1] if states else {}


def select_only(catalog: dict[str, Any], names: set[str]) -> dict[str, Any]:
    """A copy of a catalog with exactly `names` selected."""
    catalog = json.loads(json.dumps(catalog))
    for entry in catalog["streams"]:
        for metadata in entry.get("metadata", []):
            if metadata.get("breadcrumb") == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] in names
    return catalog


def run_tap(  # noqa: PLR0913 - a test run's independent knobs
    config: dict[str, Any],
    *,
    state: dict[str, Any] | None = None,
    streams: set[str] | None = None,
    fresh_tokens: bool = True,
    retry: RetryPolicy | None = None,
    catalog: dict[str, Any] | None = None,
) -> SyncResult:
    """Sync in-process; `streams` limits the selection (or `catalog`); logs captured."""
    if fresh_tokens:
        TokenManager.forget_all()
    if streams is not None and catalog is None:
        catalog = select_only(TapZoho(config=config).catalog_dict, streams)
        if fresh_tokens:
            TokenManager.forget_all()
    state = json.loads(json.dumps(state)) if state is not None else None  # the SDK mutates it
    tap = TapZoho(config=config, state=state, catalog=catalog)
    if retry is not None:
        tap.client.retry = retry  # tests shorten waits; the decisions stay the same
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")  # the msgspec writer needs .buffer
    logs = io.StringIO()
    handler = logging.StreamHandler(logs)
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with contextlib.redirect_stdout(out):
            tap.sync_all()
    finally:
        root.removeHandler(handler)
    out.flush()
    raw = out.buffer.getvalue().decode("utf-8")
    messages = [json.loads(line) for line in raw.splitlines() if line.strip()]
    return SyncResult(messages, logs.getvalue(), tap)
