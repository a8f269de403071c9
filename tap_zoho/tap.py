"""`tap-zoho`: Zoho Books and Inventory (and CRM, from `tap_zoho.crm`) for Singer."""

from __future__ import annotations

import logging
from datetime import UTC, tzinfo
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from singer_sdk import Tap
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.tap_base import CliTestOptionValue
from typing_extensions import override

from tap_zoho import books, custom_fields, inventory
from tap_zoho.access_check import AccessCheck
from tap_zoho.api.client import UnifiedZohoClient
from tap_zoho.api.errors import (
    ZohoAPIError,
    ZohoAuthError,
    ZohoQuotaExhaustedError,
    ZohoRetryExhaustedError,
)
from tap_zoho.assumptions import REGISTER, FallbackLedger
from tap_zoho.assumptions.findings import findings_for_run
from tap_zoho.crm import crm_streams, with_crm_settings
from tap_zoho.isolation import RunFailures
from tap_zoho.settings import CONFIG_SCHEMA, PRODUCTS, resolve

if TYPE_CHECKING:
    from collections.abc import Sequence

    import click
    from singer_sdk import Stream

logger = logging.getLogger("tap_zoho")
PRODUCT_STREAMS = {"books": books.STREAMS, "inventory": inventory.STREAMS}


class TapZoho(Tap):
    """Zoho Books v3 and Inventory v1 through one shared client."""

    name = "tap-zoho"
    message_writer_class = MsgSpecWriter
    """msgspec encodes a record several times faster than the default simplejson writer."""
    config_jsonschema: ClassVar[dict[str, Any]] = with_crm_settings(CONFIG_SCHEMA)
    dynamic_catalog = True  # CRM streams come from the account's metadata

    @cached_property
    def settings(self) -> dict[str, Any]:
        """The config with `ZOHO_*` environment fallbacks (secrets stay in memory)."""
        return resolve(self.config)

    @cached_property
    def client(self) -> UnifiedZohoClient:
        """The one client every stream of this tap shares."""
        return UnifiedZohoClient.from_config(self.settings)

    @cached_property
    def fallbacks(self) -> FallbackLedger:
        """Where Zoho answered other than assumed in this run (see docs/assumptions.md)."""
        return FallbackLedger(REGISTER, findings_for_run(self.settings.get("doctor_findings")))

    @cached_property
    def failures(self) -> RunFailures:
        """Streams and organizations that failed in this run (the others went on)."""
        return RunFailures()

    exit_on_failure: ClassVar[bool] = False
    """Set while the command line runs a sync: a failed stream then makes the exit code 1
    (after every other stream ran and the state was written). In-process callers read
    `failures` instead."""

    def stream_failed(self, stream: str, organization_id: str | None, error: BaseException) -> None:
        """One stream (or one organization of it) failed; the run goes on without it."""
        self.failures.add(stream, organization_id, error)

    def organization_zone(self, product: str, organization_id: str, stream: str) -> tzinfo:
        """The organization's time zone (from `/organizations`), for `last_modified_time`.

        Zoho may read a filter's wall time in the organization's zone; a time written in
        that zone with its offset is the same instant under either reading. An
        organization or zone the tap cannot resolve falls back to UTC with a warning
        (`list.modified-filter-zone`); a row the filter then lets slip past is still
        caught by the `list.modified-filter` check.
        """
        zones: dict[tuple[str, str], tzinfo] = self.__dict__.setdefault("_zones", {})
        key = (product, organization_id)
        if key in zones:
            return zones[key]
        name: str | None = None
        try:
            for organization in self.visible_organizations(product):
                if str(organization.get("organization_id")) == organization_id:
                    name = str(organization.get("time_zone") or "") or None
        except ZohoAPIError as error:
            why = f"GET /organizations failed ({error.code}: {error.zoho_message})"
        except ZohoRetryExhaustedError as error:
            why = f"GET /organizations failed ({error})"
        else:
            why = f"/organizations gives no time zone for organization {organization_id}"
        zone: tzinfo = UTC
        if name is not None:
            try:
                zone = ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                why = f"unknown time zone {name!r}"
            else:
                zones[key] = zone
                return zone
        self.fallbacks.fell_back(
            "list.modified-filter-zone", stream=stream, organization_id=organization_id,
            detail=f"{why}; the last_modified_time filter is sent in UTC",
        )  # fmt: skip
        zones[key] = zone
        return zone

    @cached_property
    def quota_stops(self) -> dict[tuple[str, str], ZohoQuotaExhaustedError]:
        """Daily quotas that stopped this run, per (product, organization)."""
        return {}

    def products(self) -> list[str]:
        """Products this run syncs."""
        return list(self.settings.get("products") or [])

    def visible_organizations(self, product: str) -> list[dict[str, Any]]:
        """`GET /organizations` of a product, once per run."""
        cache: dict[str, list[dict[str, Any]]] = self.__dict__.setdefault("_orgs", {})
        if product not in cache:
            cache[product] = self.client.organizations(product, label=f"{product}_organizations")
        return cache[product]

    def organization_ids(self, product: str) -> list[str]:
        """The configured organizations, or every one the token can see."""
        configured = self.settings.get("organization_ids")
        if configured:
            return [str(org) for org in configured]
        try:
            return [str(org["organization_id"]) for org in self.visible_organizations(product)]
        except ZohoQuotaExhaustedError as exhausted:
            self.quota_stopped(f"{product}_organizations", exhausted)
            return []

    def quota_stopped(self, stream: str, exhausted: ZohoQuotaExhaustedError) -> None:
        """A daily quota ran out: say so once per (product, organization)."""
        key = (exhausted.product, exhausted.organization_id)
        if key not in self.quota_stops:
            self.quota_stops[key] = exhausted
            logger.warning("%s (stream %s)", exhausted, stream)

    @override
    def discover_streams(self) -> list[Stream]:
        """Streams of every product; a product whose discovery ran out of quota is left out.

        A quota or credit stop inside discovery stops that product only, with the same
        message (and exit 0, state untouched) as a stop inside a stream, so the products
        that can still run do. An access token Zoho will not mint even after the
        client's backoff stops the whole run with one line and exit 1: every product
        shares that refresh token, so nothing else could run either.
        """
        products = self.config.get("products") or list(PRODUCT_STREAMS)
        unknown = sorted(set(products) - set(PRODUCTS))
        if unknown:
            logger.error(
                "Config: products %s unknown; valid products: %s",
                ", ".join(map(repr, unknown)), ", ".join(PRODUCTS),
            )  # fmt: skip
            raise SystemExit(1)
        streams: list[Stream] = []
        for product in products:
            built = [stream(self) for stream in PRODUCT_STREAMS.get(product, ())]
            if built:
                self.add_custom_fields(product, built)
            streams.extend(built)
        if "crm" in products:
            try:
                streams.extend(crm_streams(self))
            except ZohoQuotaExhaustedError as exhausted:
                self.quota_stopped("crm discovery", exhausted)
            except ZohoAuthError:
                # The token manager already logged the one line saying what Zoho refused
                # and what to do; a traceback would only bury it.
                raise SystemExit(1) from None
        return streams

    @override  # type: ignore[misc] # the SDK marks sync_all final; see the docstring
    def sync_all(self) -> None:
        """Sync every stream; a stream that fails does not stop the others.

        The SDK's loop, with each top-level stream isolated: an error confined to one
        stream (any stream: Books, Inventory or CRM) is reported with stream,
        organization, path and Zoho code, the stream's unfinished progress is dropped
        so its bookmarks stay where they were, and the next stream runs. Errors that
        every stream shares (no access token; the output closed) still stop the run.
        Books/Inventory streams isolate each organization themselves (`ZohoStream`).
        The run ends with one summary event (`tds.zoho.tap.summary`).

        The SDK declares `sync_all` final and offers no per-stream hook; this keeps its
        steps (progress-marker reset, replication methods, first STATE, cost logs) in
        its order and adds only the isolation around `stream.sync()`.
        """
        self._reset_state_progress_markers()
        self._set_compatible_replication_methods()
        if self.state:
            self._state_writer.write_state(self.state)
        for stream in self.streams.values():
            if not stream.selected and not stream.has_selected_descendents:
                self.logger.info("Skipping deselected stream '%s'.", stream.name)
                continue
            if stream.parent_stream_type:
                continue  # synced by its parent
            try:
                stream.sync()
            except (ZohoAuthError, BrokenPipeError, KeyboardInterrupt):
                raise
            except Exception as error:  # noqa: BLE001 - confined to this stream; reported
                self.stream_failed(stream.name, _only_organization(stream), error)
                self.failures.keep_bookmarks(stream)
                stream._write_state_message()  # noqa: SLF001 - the SDK's own state flush
            else:
                stream.finalize_state_progress_markers()
        for stream in self.streams.values():
            stream.log_sync_costs()
        self.failures.summarize(self.fallbacks.summary(), sorted(self.quota_stops))
        if self.failures and self.exit_on_failure:
            raise SystemExit(1)

    @override
    @classmethod
    def invoke(  # type: ignore[override]
        cls,
        *,
        about: bool = False,
        about_format: str | None = None,
        config: Any = None,
        state: Any = None,
        catalog: Any = None,
    ) -> None:
        """The SDK's command line, exiting 1 when a stream or organization failed."""
        cls.exit_on_failure = True
        try:
            super().invoke(
                about=about, about_format=about_format, config=config, state=state,
                catalog=catalog,
            )  # fmt: skip
        finally:
            cls.exit_on_failure = False

    def add_custom_fields(self, product: str, streams: Sequence[Stream]) -> None:
        """Type each organization's custom fields as `cf_*` columns of their streams.

        Without a catalog: one settings call per organization of the product (see
        `tap_zoho.custom_fields`). With one: its `cf_*` properties, and no call, so a
        catalog run costs no request before its streams start.
        """
        catalog = self.input_catalog
        if catalog is not None:
            custom_fields.apply_catalog(streams, catalog)
            return
        try:
            found = custom_fields.discover(self, product)
        except ZohoAuthError:
            # The token manager already logged the one line saying what Zoho refused and
            # what to do; a traceback would only bury it.
            raise SystemExit(1) from None
        custom_fields.apply_discovered(streams, found)

    @override
    @classmethod
    def cb_test(cls, ctx: click.Context, param: click.Option, value: str) -> None:
        """`--test`: check credentials and access per product and organization.

        The SDK's default syncs one record of every stream, which costs dozens of
        requests and says little about *what* is wrong; `--test=schema` is kept.
        """
        if value in {CliTestOptionValue.Disabled.value, CliTestOptionValue.Schema.value}:
            super().cb_test(ctx, param, value)
            return
        config = ctx.params.get("config")
        tap = cls(
            config=getattr(config, "config", None),
            catalog={"streams": []},  # no discovery: its failures are what we explain
            parse_env_config=bool(getattr(config, "parse_env", False)),
            validate_config=True,
        )
        ctx.exit(0 if tap.check_access() else 1)

    def check_access(self) -> bool:
        """Check credentials, then each product, organization and CRM module."""
        try:
            self.settings  # noqa: B018 - resolves the env fallbacks; names what is missing
        except ValueError as error:
            logger.error("Config: FAILED: %s", error)  # noqa: TRY400 - message is enough
            return False
        return AccessCheck(self).run()


def _only_organization(stream: Stream) -> str | None:
    """The organization of a stream that has exactly one (a CRM stream), for messages."""
    try:
        partitions = stream.partitions or []
    except Exception:  # noqa: BLE001 - only a label for a message; never a second failure
        return None
    organizations = {str(partition.get("organization_id")) for partition in partitions}
    return organizations.pop() if len(organizations) == 1 else None


if __name__ == "__main__":
    TapZoho.cli()
