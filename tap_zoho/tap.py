"""`tap-zoho`: Zoho Books and Inventory (and CRM, from `tap_zoho.crm`) for Singer."""

from __future__ import annotations

import logging
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk import Tap
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.tap_base import CliTestOptionValue
from typing_extensions import override

from tap_zoho import books, custom_fields, inventory
from tap_zoho.access_check import AccessCheck
from tap_zoho.api.client import UnifiedZohoClient
from tap_zoho.api.errors import ZohoAuthError, ZohoQuotaExhaustedError
from tap_zoho.assumptions import REGISTER, FallbackLedger
from tap_zoho.crm import crm_streams, with_crm_settings
from tap_zoho.settings import CONFIG_SCHEMA, resolve

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
        return FallbackLedger(REGISTER)

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


if __name__ == "__main__":
    TapZoho.cli()
