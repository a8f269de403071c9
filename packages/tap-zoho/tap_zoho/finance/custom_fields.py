"""Custom fields discovered per organization, exposed as typed `cf_*` columns.

A Zoho admin adds custom fields to an organization at any time; records then carry them
in their `custom_fields` array and as flattened `cf_<name>` / `cf_<name>_unformatted`
keys. The committed schemas only know the fields seen when they were built, so at
discovery the tap reads each selected organization's definitions (one
`GET /settings/preferences` per product and organization, through the shared client, so
the limiter, token manager and retries apply) and adds a typed, nullable property per
field to the stream of that module. The raw `custom_fields` array stays in every record.

A run given a catalog makes no call: the catalog's `cf_*` properties are taken as they
are, so the records keep the columns discovery announced.

With `metadata_cache_dir`, an organization's definitions read within the last
`metadata_cache_hours` come from the shared on-disk cache (`tap_zoho.metadata_cache`)
with no call: `meltano run` discovers before every sync, and a 15-minute schedule would
otherwise spend 96 requests per product and organization a day of the organization's
quota (Books Free: 1,000) on unchanged definitions. Only an answer that carried the
`customfields` object is cached; a refused or failed call is asked again next time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tap_zoho import metadata_cache
from tap_zoho.api.errors import (
    ZohoAPIError,
    ZohoAuthError,
    ZohoQuotaExhaustedError,
    ZohoRetryExhaustedError,
)
from tap_zoho.finance.base import ZohoStream
from tap_zoho.finance.details import DetailChildStream
from tap_zoho.normalize import RecordNormalizer

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from singer_sdk import Stream
    from singer_sdk.singer import Catalog

    from tap_zoho.run import ZohoRun

logger = logging.getLogger("tap_zoho.custom_fields")

PREFERENCES_PATH = "/settings/preferences"
"""The settings call whose `customfields` object lists each module's definitions."""
CF_PREFIX = "cf_"
HTTP_UNAUTHORIZED = 401
UNFORMATTED = "_unformatted"
CACHE_KEY = "customfields"
"""The one entry of an organization's cache file: its (module, name, type) triples."""

MODULES: dict[str, str] = {
    "contacts": "contact",
    "items": "item",
    "itemgroups": "itemgroup",
    "compositeitems": "composite_item",
    "invoices": "invoice",
    "estimates": "estimate",
    "salesorders": "salesorder",
    "purchaseorders": "purchaseorder",
    "bills": "bill",
    "creditnotes": "creditnote",
    "customerpayments": "customerpayment",
    "vendorpayments": "vendorpayment",
    "expenses": "expense",
    "journals": "journal",
    "packages": "package",
    "transferorders": "transfer_order",
    "inventoryadjustments": "inventory_adjustment",
}
"""Stream entity -> the key its definitions are listed under in `customfields`."""

_STRING: dict[str, Any] = {"type": ["string", "null"]}
_TYPES: dict[str, dict[str, Any]] = {
    "number": {"type": ["number", "null"]},
    "decimal": {"type": ["number", "null"]},
    "amount": {"type": ["number", "null"]},
    "percent": {"type": ["number", "null"]},
    "check_box": {"type": ["boolean", "null"]},
    "date": {"type": ["string", "null"], "format": "date"},
    "date_time": {"type": ["string", "null"], "format": "date-time"},
    "multiselect": {"type": ["array", "null"], "items": {"type": "string"}},
}
"""Zoho data types that are not plain text. Text, email, url, phone, dropdown, lookup,
autonumber and any type Zoho adds later are strings: a value is never refused for it."""


def property_for(data_type: str) -> dict[str, Any]:
    """The JSON-schema property of a custom field of this Zoho data type (nullable)."""
    return dict(_TYPES.get(data_type.lower(), _STRING))


@dataclass(slots=True)
class DiscoveredFields:
    """The union of one product's custom fields over its organizations.

    `properties[module][cf_name]` is the property; `origin[(module, cf_name)]` the first
    organization and type seen, so a conflict can name both organizations.
    """

    product: str
    properties: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    origin: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    widened: set[tuple[str, str]] = field(default_factory=set)

    def add(self, organization_id: str, module: str, name: str, data_type: str) -> None:
        """Merge one definition; a type that differs between organizations becomes string.

        Widening (rather than picking one organization's type) keeps every value: a
        string column holds a number, a date or a flag as sent, with one warning.
        """
        module_properties = self.properties.setdefault(module, {})
        key = (module, name)
        prop = property_for(data_type)
        if key not in self.origin:
            self.origin[key] = (organization_id, data_type)
            module_properties[name] = prop
            return
        if key in self.widened or module_properties[name] == prop:
            return
        first_org, first_type = self.origin[key]
        self.widened.add(key)
        module_properties[name] = dict(_STRING)
        logger.warning(
            "Zoho %s custom field %s of module %s is %s in organization %s but %s in "
            "organization %s: its column is typed string and values are kept as sent",
            self.product, name, module, first_type, first_org, data_type, organization_id,
        )  # fmt: skip


def definitions_of(body: Mapping[str, Any]) -> Iterable[tuple[str, str, str]]:
    """(module, cf name, data type) of every definition in a `/settings/preferences` body.

    A definition names its column in `api_name` (or `placeholder` in older answers); one
    with neither, or not a `cf_` name, is skipped: it could not match a record key.
    """
    listed = body.get("customfields")
    if not isinstance(listed, dict):
        return
    for module, definitions in listed.items():
        if not isinstance(definitions, list):
            continue
        for definition in definitions:
            if not isinstance(definition, dict):
                continue
            name = str(definition.get("api_name") or definition.get("placeholder") or "")
            if name.startswith(CF_PREFIX) and not name.endswith(UNFORMATTED):
                yield str(module), name, str(definition.get("data_type") or "string")


def discover(run: ZohoRun, product: str) -> DiscoveredFields:
    """Read the custom fields of every organization of a product (one call each).

    An organization cached within `metadata_cache_hours` costs no call; one read from
    Zoho is cached (and its file written at once, so a quota stop half-way keeps what
    was read).

    A refused or failing call costs that organization its discovery only: one warning
    naming the product, organization, Zoho code and message, and its streams keep the
    committed schema. A spent daily quota is the tap's usual clean stop. An access token
    Zoho will not mint stops the run in the caller (nothing else could run).
    """
    found = DiscoveredFields(product)
    try:
        organization_ids = run.organization_ids(product)
    except (ZohoAPIError, ZohoRetryExhaustedError) as error:
        # The streams list organizations again and fail there, naming the stream, as
        # they did before discovery called Zoho; discovery only steps aside.
        _fall_back(run, product, "(any: they could not be listed)", str(error))
        return found
    account = _account(run, product)
    cached = 0
    for organization_id in organization_ids:
        cache = metadata_cache.open_cache(
            run.config, kind=f"{product}-custom-fields", account=account,
            organization_id=organization_id,
        )  # fmt: skip
        definitions = None if cache is None else cache.get(CACHE_KEY, None, _decode)
        if definitions is not None:
            cached += 1
        else:
            try:
                definitions = _read(run, product, organization_id)
            except _SettingsScopeMissingError:
                break
            if definitions is None:
                continue
            if cache is not None:
                cache.put(CACHE_KEY, None, [list(triple) for triple in definitions])
                cache.save()
        for module, name, data_type in definitions:
            found.add(organization_id, module, name, data_type)
    if cached:
        logger.info(
            "Zoho %s custom fields of %d organization(s) taken from the metadata cache in "
            "%s (no call; read again after metadata_cache_hours)",
            product, cached, run.config.get(metadata_cache.DIR_SETTING),
        )  # fmt: skip
    return found


class _SettingsScopeMissingError(Exception):
    """The token lacks the settings scope: no organization of the product is asked."""


def _read(run: ZohoRun, product: str, organization_id: str) -> list[tuple[str, str, str]] | None:
    """One organization's definitions from Zoho, or None (logged) when it cannot tell us.

    Raises:
        _SettingsScopeMissingError: the token lacks the settings scope (already logged).
        ZohoAuthError: no access token could be minted (the caller stops the run).
    """
    try:
        body = run.client.get_json(
            product, PREFERENCES_PATH, organization_id=organization_id,
            label=f"{product}_custom_fields",
        )  # fmt: skip
    except ZohoAuthError:
        raise
    except ZohoQuotaExhaustedError as exhausted:
        run.quota_stopped(f"{product} custom fields discovery", exhausted)
        return None
    except ZohoAPIError as error:
        reason = f"HTTP {error.status}, Zoho code {error.code}: {error.zoho_message}"
        if error.status == HTTP_UNAUTHORIZED:
            # A 401 that survived a fresh token: the token lacks the settings scope,
            # which no organization will grant. Asking the others would mint one
            # more token each (Zoho allows 10 per 10 minutes) for the same answer.
            _fall_back(run, product, organization_id, reason + "; the token lacks the "
                       "settings scope, so the product's other organizations are not "
                       "asked either")  # fmt: skip
            raise _SettingsScopeMissingError from None
        _fall_back(run, product, organization_id, reason)
        return None
    except ZohoRetryExhaustedError as error:
        _fall_back(run, product, organization_id, str(error))
        return None
    if not isinstance(body.get("customfields"), dict):
        # Zoho answered without the object we read (UNCONFIRMED shape for Books):
        # say so rather than silently typing nothing.
        _fall_back(run, product, organization_id, "the answer has no customfields object")
        return None
    return list(definitions_of(body))


def _decode(payload: Any) -> list[tuple[str, str, str]]:  # noqa: ANN401 - stored JSON
    """Cached triples back as tuples; anything else is a miss (asked again)."""
    triples = [(str(module), str(name), str(kind)) for module, name, kind in payload]
    if any(not name.startswith(CF_PREFIX) for _, name, _ in triples):
        msg = "not a custom field"
        raise ValueError(msg)
    return triples


def _account(run: ZohoRun, product: str) -> str:
    """Which account and API the answers come from, known without a call.

    The accounts server fixes the data center (one organization id is one account's),
    and an `api_domain` override points at another API. Known from the config alone, a
    run whose organizations are all cached mints no access token for discovery either.
    """
    return "|".join(
        (run.client.credentials.accounts_url, str(run.settings.get("api_domain") or ""), product)
    )


def _fall_back(run: ZohoRun, product: str, organization_id: str, reason: str) -> None:
    run.discovery_gaps.append(f"{product} custom fields of organization {organization_id}")
    logger.warning(
        "Zoho %s custom fields of organization %s could not be read (%s); its streams keep "
        "the tap's built-in cf_* columns, and fields missing there stay only in the raw "
        "custom_fields array",
        product, organization_id, reason,
    )  # fmt: skip


def custom_field_module(stream: Stream) -> str | None:
    """The custom-field module of a stream whose records carry custom fields.

    Only records listed from the module itself carry its fields: line items, persons,
    shipments and stock rows are children with other shapes.
    """
    if not isinstance(stream, ZohoStream) or isinstance(stream, DetailChildStream):
        return None
    return MODULES.get(stream.entity)


def extend(
    stream: ZohoStream,
    properties: Mapping[str, Mapping[str, Any]],
    *,
    with_unformatted: bool = True,
) -> None:
    """Add or retype `cf_*` properties of a stream and rebuild its normalizer.

    `cf_<name>` takes the discovered type (an admin may change a field's type: the
    organization's definition is the truth). `cf_<name>_unformatted` (the raw value Zoho
    flattens beside the formatted one) is added with the same type only where the
    committed schema has no observed type for it.
    """
    schema_properties: dict[str, Any] = stream.schema.setdefault("properties", {})
    changed = False
    for name, prop in properties.items():
        if schema_properties.get(name) != prop:
            schema_properties[name] = dict(prop)
            changed = True
        raw = f"{name}{UNFORMATTED}"
        if with_unformatted and raw not in schema_properties:
            schema_properties[raw] = dict(prop)
            changed = True
    if changed:
        previous = getattr(stream, "normalizer", None)
        stream.normalizer = RecordNormalizer(
            stream.name, stream.schema, on_fallback=getattr(previous, "on_fallback", None)
        )


def apply_discovered(streams: Iterable[Stream], found: DiscoveredFields) -> None:
    """Extend each stream of the product with its module's discovered fields."""
    for stream in streams:
        module = custom_field_module(stream)
        if module is not None and isinstance(stream, ZohoStream):
            extend(stream, found.properties.get(module, {}))


def apply_catalog(streams: Iterable[Stream], catalog: Catalog) -> None:
    """Take the `cf_*` properties of a given catalog, with no call to Zoho.

    Records are normalised against the stream's schema, which would otherwise drop the
    columns an earlier discovery announced.
    """
    for stream in streams:
        if not isinstance(stream, ZohoStream):
            continue
        entry = catalog.get_stream(stream.name)
        if entry is None or entry.schema is None:
            continue
        given = entry.schema.to_dict().get("properties") or {}
        extend(
            stream,
            {name: prop for name, prop in given.items() if str(name).startswith(CF_PREFIX)},
            with_unformatted=False,
        )
