"""The CRM product of one emulator: its store, tokens, jobs, channels and control API.

`Crm.of(emulator)` finds (or makes) the instance kept in `emulator.extensions["crm"]`;
tests, the demo and the webhook service use its methods to mutate records, read the
ground truth and deliver notifications.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from zoho_emulator.crm.catalog import MODULES, ModuleSpec, find_module
from zoho_emulator.crm.store import Converted, CrmStore
from zoho_emulator.crm.tokens import PageTokens

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from zoho_emulator.emulator import Emulator

EXTENSION_KEY = "crm"


class Crm:
    """Zoho CRM v8 as the emulator serves it."""

    def __init__(self, emulator: Emulator) -> None:
        """Data for the emulator's seed and scale; nothing is generated up front."""
        from zoho_emulator.crm.bulk import BulkReads  # noqa: PLC0415 - avoid an import cycle
        from zoho_emulator.crm.watch import Channels  # noqa: PLC0415

        settings = emulator.settings
        self.emulator = emulator
        self.store = CrmStore(settings.seed, settings.scale, emulator.clock.time)
        key = hashlib.sha256(f"crm-page-tokens:{settings.seed}".encode()).digest()
        self.page_tokens = PageTokens(key)
        self.bulk = BulkReads(self)
        self.channels = Channels(self)
        self.store.listeners.append(self.channels.on_change)
        self.enabled_optional: set[str] = set()

    def enable_modules(self, *names: str) -> None:
        """Serve optional modules (`ModuleSpec.optional`, e.g. `Price_Tiers`) from now on."""
        for name in names:
            spec = find_module(name)
            if spec is None or not spec.optional:
                msg = f"{name!r} is not an optional CRM module of the emulator"
                raise ValueError(msg)
            self.enabled_optional.add(spec.api_name)

    def modules(self) -> list[ModuleSpec]:
        """Modules this emulator serves: every default one, plus enabled optional ones."""
        return [s for s in MODULES if not s.optional or s.api_name in self.enabled_optional]

    def module(self, name: str) -> ModuleSpec | None:
        """A module by API name (case-insensitive), None if not served."""
        spec = find_module(name)
        if spec is None or (spec.optional and spec.api_name not in self.enabled_optional):
            return None
        return spec

    @classmethod
    def of(cls, emulator: Emulator) -> Crm:
        """The emulator's CRM, made on first use."""
        crm = emulator.extensions.get(EXTENSION_KEY)
        if crm is None:
            crm = cls(emulator)
            emulator.extensions[EXTENSION_KEY] = crm
        if not isinstance(crm, Crm):
            msg = f"emulator.extensions[{EXTENSION_KEY!r}] is not a Crm"
            raise TypeError(msg)
        return crm

    def set_counts(self, counts: dict[str, int]) -> None:
        """Per-module generated record counts (default: the emulator's scale).

        Set before any mutation; e.g. `{"Leads": 2500, "Accounts": 100}` keeps a test fast.
        """
        self.store.set_counts(counts)

    # ---- mutations ---------------------------------------------------------------
    def create(
        self, module: str, count: int = 1, values: dict[str, Any] | None = None
    ) -> list[str]:
        """Create `count` records (realistic values; `values` override); returns ids."""
        return self.store.create(module, count, values)

    def update(
        self,
        module: str,
        ids: Iterable[str] | None = None,
        values: dict[str, Any] | None = None,
        count: int = 1,
    ) -> list[str]:
        """Update records by id (or `count` chosen ones); bumps `Modified_Time`."""
        return self.store.update(module, ids, values, count)

    def delete(
        self,
        module: str,
        ids: Iterable[str] | None = None,
        count: int = 1,
        *,
        permanent: bool = False,
    ) -> list[str]:
        """Delete records by id (or `count` chosen ones) to the recycle bin or for good."""
        return self.store.delete(module, ids, count, permanent=permanent)

    def convert_lead(self, lead_id: str) -> dict[str, str]:
        """Convert a Lead; returns the ids of the Contact and Account it became."""
        return self.store.convert_lead(lead_id)

    # ---- ground truth ------------------------------------------------------------
    def live_ids(self, module: str, converted: str = "both") -> list[str]:
        """Ids of the module's live records, ascending."""
        return self.store.live_ids(module, Converted(converted))

    def records(self, module: str, converted: str = "both") -> Iterator[dict[str, Any]]:
        """Every live record with every field, ascending by id."""
        return self.store.current_records(module, Converted(converted))

    def deleted(self, module: str) -> list[dict[str, Any]]:
        """The module's deleted records (as `/deleted` shows them), oldest first."""
        return self.store.deleted_records(module)

    # ---- notifications -----------------------------------------------------------
    def watch(
        self,
        channel_id: int,
        events: list[str],
        notify_url: str,
        token: str | None = None,
        expiry_seconds: int = 3_600,
    ) -> None:
        """Enable a channel as `POST /actions/watch` would (same validation, no HTTP).

        Raises:
            ValueError: Zoho would refuse the channel (the message names the code).
        """
        expiry = self.store.dataset.dt(self.store.now() + expiry_seconds)
        item: dict[str, Any] = {
            "channel_id": channel_id, "events": events, "notify_url": notify_url,
            "token": token, "channel_expiry": expiry,
        }  # fmt: skip
        response = self.channels.enable({"watch": [item]}, replace=False)
        if response.status_code != 201:  # noqa: PLR2004 - HTTP Created
            raise ValueError(bytes(response.body).decode())

    def flush_notifications(self, timeout: float = 5.0) -> int:
        """Deliver every pending notification now; returns how many were POSTed."""
        return self.channels.flush(timeout)
