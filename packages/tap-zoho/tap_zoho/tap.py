"""`tap-zoho`: Zoho Books and Inventory (and CRM, from `tap_zoho.crm`) for Singer."""

from __future__ import annotations

import logging
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk import Tap
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.tap_base import CliTestOptionValue
from typing_extensions import override

from tap_zoho import metadata_cache
from tap_zoho.access_check import AccessCheck
from tap_zoho.api.errors import ZohoAuthError, ZohoQuotaExhaustedError
from tap_zoho.crm import crm_streams, with_crm_settings
from tap_zoho.crm.discovery import complete_catalog
from tap_zoho.finance import custom_fields
from tap_zoho.finance.registry import PRODUCT_STREAMS
from tap_zoho.repeats import quiet_child_streams
from tap_zoho.run import ZohoRun
from tap_zoho.settings import CONFIG_SCHEMA, PRODUCTS

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import tzinfo

    import click
    from singer_sdk import Stream

    from tap_zoho.api.client import UnifiedZohoClient
    from tap_zoho.assumptions import FallbackLedger
    from tap_zoho.discovery_cache import DiscoveryCache
    from tap_zoho.isolation import RunFailures

logger = logging.getLogger("tap_zoho")


class TapZoho(Tap):
    """Zoho Books v3 and Inventory v1 (and CRM v8) through one shared client.

    What one run shares lives in its `run` (`ZohoRun`), which every stream is handed;
    the properties below read it for the tap's own code and in-process callers.
    """

    name = "tap-zoho"
    message_writer_class = MsgSpecWriter
    """msgspec encodes a record several times faster than the default simplejson writer."""
    config_jsonschema: ClassVar[dict[str, Any]] = with_crm_settings(CONFIG_SCHEMA)
    dynamic_catalog = True  # CRM streams come from the account's metadata

    exit_on_failure: ClassVar[bool] = False
    """Set while the command line runs a sync: a failed stream then makes the exit code 1
    (after every other stream ran and the state was written). In-process callers read
    `failures` instead."""

    discovery_cache: ClassVar[DiscoveryCache | None] = None
    """Set by the command line (`tap_zoho.cli`) for a `--discover` it could not answer
    from disk: a complete discovery's catalog is kept there for the next runs."""

    @cached_property
    def run(self) -> ZohoRun:
        """This run's shared context, built on first use."""
        return ZohoRun(self.config, self.initialized_at)

    @property
    def settings(self) -> dict[str, Any]:
        """The config with `ZOHO_*` environment fallbacks (secrets stay in memory)."""
        return self.run.settings

    @property
    def client(self) -> UnifiedZohoClient:
        """The one client every stream of this tap shares."""
        return self.run.client

    @property
    def fallbacks(self) -> FallbackLedger:
        """Where Zoho answered other than assumed in this run (see docs/assumptions.md)."""
        return self.run.fallbacks

    @property
    def failures(self) -> RunFailures:
        """Streams and organizations that failed in this run (the others went on)."""
        return self.run.failures

    @property
    def quota_stops(self) -> dict[tuple[str, str], ZohoQuotaExhaustedError]:
        """Daily quotas that stopped this run, per (product, organization)."""
        return self.run.quota_stops

    def quota_stopped(self, stream: str, exhausted: ZohoQuotaExhaustedError) -> None:
        """A daily quota ran out: say so once per (product, organization)."""
        self.run.quota_stopped(stream, exhausted)

    @override
    def run_discovery(self) -> str:
        """The SDK's discovery; the catalog is kept when discovery read all it needed."""
        catalog = super().run_discovery()
        cache = type(self).discovery_cache
        if cache is None:
            return catalog
        gaps = self.run.discovery_gaps + [f"{p} quota" for p, _ in sorted(self.quota_stops)]
        if gaps:
            logger.warning(
                "Catalog not kept in the discovery cache (discovery incomplete: %s); the "
                "next run discovers again", "; ".join(gaps),
            )  # fmt: skip
        elif (path := cache.write(catalog, metadata_cache.USED)) is not None:
            logger.info(
                "Catalog kept in the discovery cache %s: the next discoveries answer from "
                "it until settings or Zoho metadata change, at most metadata_cache_hours",
                path,
            )  # fmt: skip
        return catalog

    def stream_failed(self, stream: str, organization_id: str | None, error: BaseException) -> None:
        """One stream (or one organization of it) failed; the run goes on without it."""
        self.run.stream_failed(stream, organization_id, error)

    def organization_zone(self, product: str, organization_id: str, stream: str) -> tzinfo:
        """The organization's time zone, for `last_modified_time` (see `ZohoRun`)."""
        return self.run.organization_zone(product, organization_id, stream)

    def products(self) -> list[str]:
        """Products this run syncs."""
        return self.run.products()

    def visible_organizations(self, product: str) -> list[dict[str, Any]]:
        """`GET /organizations` of a product, once per run."""
        return self.run.visible_organizations(product)

    def organization_ids(self, product: str) -> list[str]:
        """The configured organizations, or every one the token can see."""
        return self.run.organization_ids(product)

    @override
    def setup_mapper(self) -> None:
        """Complete a saved catalog's CRM schemas first, then set the SDK's mapper up.

        The SDK registers every stream's schema with its mapper here, from the input
        catalog, before any stream exists; the SCHEMA messages come from that
        registration. A catalog saved before CRM records carried `zoho_extra` and
        `zoho_unparsed` would announce schemas without them, so they are added to the
        catalog before the SDK reads it: the mapper, the streams' `apply_catalog` and the
        SCHEMA messages then agree, through the SDK's public API only.
        """
        if self.input_catalog is not None:
            complete_catalog(self.input_catalog)
        super().setup_mapper()

    @override
    def discover_streams(self) -> list[Stream]:
        """Streams of every product; a product whose discovery ran out of quota is left out.

        A quota or credit stop inside discovery stops that product only, with the same
        message (and exit 0, state untouched) as a stop inside a stream, so the products
        that can still run do. An access token Zoho will not mint even after the
        client's backoff stops the whole run with one line and exit 1: every product
        shares that refresh token, so nothing else could run either.
        """
        metadata_cache.USED.clear()  # what this discovery reads is what its catalog keeps
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
            built = [stream(self, self.run) for stream in PRODUCT_STREAMS.get(product, ())]
            if built:
                self.add_custom_fields(product, built)
            streams.extend(built)
        if "crm" in products:
            try:
                streams.extend(crm_streams(self, self.run))
            except ZohoQuotaExhaustedError as exhausted:
                self.quota_stopped("crm discovery", exhausted)
            except ZohoAuthError:
                # The token manager already logged the one line saying what Zoho refused
                # and what to do; a traceback would only bury it.
                raise SystemExit(1) from None
        quiet_child_streams(streams)
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
        `tap_zoho.finance.custom_fields`). With one: its `cf_*` properties, and no call, so a
        catalog run costs no request before its streams start.
        """
        catalog = self.input_catalog
        if catalog is not None:
            custom_fields.apply_catalog(streams, catalog)
            return
        try:
            found = custom_fields.discover(self.run, product)
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
        return AccessCheck(self.run).run()


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
