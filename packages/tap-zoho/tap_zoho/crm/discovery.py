"""Which CRM modules exist and what their fields are: from Zoho, or from a saved catalog.

From Zoho: `settings/modules` (keep `api_supported`), `/org` once, then
`settings/fields?module=` per module and per subform: 2 + modules + subforms requests.
A module whose metadata Zoho refuses (scope, `NO_PERMISSION`, `FEATURE_NOT_ENABLED`,
204 No Content, anything 4xx) is skipped with a warning naming it and Zoho's code; the
others are discovered as usual. Auth failures, quota stops and retries that ran out are
not a module's fault and still fail discovery.

From a catalog: each `crm_*` schema says which module and org it reads and each
property says its Zoho `data_type` (see `schema.py`), so a sync with a catalog makes no
metadata call at all.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from singer_sdk.singerlib.schema import Schema

from tap_zoho.api.errors import ZohoAPIError, ZohoRetryExhaustedError
from tap_zoho.crm.metadata_cache import FieldCache, open_field_cache
from tap_zoho.crm.schema import CrmField, CrmModule, keep_all_properties, module_from_schema

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from singer_sdk.singerlib.catalog import Catalog

    from tap_zoho.crm.api import CrmApi

logger = logging.getLogger("tap_zoho.crm.discovery")
DISCOVERY = "discovery"
HTTP_CLIENT_ERROR = 400
HTTP_UNAUTHORIZED = 401
HTTP_SERVER_ERROR = 500


class CrmDiscoveryFailedError(ZohoRetryExhaustedError):
    """A CRM metadata call kept failing (5xx, resets, bad JSON) after every retry.

    Not a module's fault, so no module can be skipped for it: discovery cannot finish.
    The message names the call and Zoho's last answer, and never a secret (paths and
    module names only), so the tap can print it as the run's one line.
    """


@contextmanager
def _naming(call: str) -> Iterator[None]:
    """Say which metadata call outlasted the client's retries, not just the path."""
    try:
        yield
    except CrmDiscoveryFailedError:
        raise
    except ZohoRetryExhaustedError as error:
        msg = (
            f"Zoho CRM discovery failed: {call} kept failing after every retry ({error}). "
            "Zoho's CRM servers or the network are failing, not the credentials; nothing of "
            "CRM was synced. Run again later; state is unchanged."
        )
        raise CrmDiscoveryFailedError(msg) from None


def discover_modules(
    api: CrmApi, wanted: Iterable[str] | None = None, cache_config: dict[str, Any] | None = None
) -> list[CrmModule]:
    """Modules and subforms the token can read, with their fields.

    With `metadata_cache_dir` in `cache_config`, fields come from the org's metadata
    cache where it is still valid (see `metadata_cache.py`), and what was read from Zoho
    is saved even when spent credits stop discovery half-way, so the next run goes on.
    """
    with _naming("GET /crm/v8/settings/modules (the module list)"):
        listing = api.get("/settings/modules", stream=DISCOVERY, call="metadata")
    supported = [module for module in listing.get("modules") or [] if module.get("api_supported")]
    if wanted:
        wanted_lower = {name.lower() for name in wanted}
        known = {str(module.get("api_name", "")).lower() for module in supported}
        for name in sorted(wanted_lower - known):
            logger.warning("crm_modules names %r, which is not an api_supported module", name)
        supported = [m for m in supported if str(m.get("api_name", "")).lower() in wanted_lower]
    with _naming("GET /crm/v8/org (the CRM organization)"):
        organization_id = api.organization_id()
    cache = (
        open_field_cache(cache_config, api_base=api.client.base_url("crm"),
                   organization_id=organization_id)
        if cache_config else None
    )  # fmt: skip
    modules: list[CrmModule] = []
    try:
        for entry in supported:
            api_name = str(entry["api_name"])
            version = entry.get("modified_time")
            fields = _cached_fields(api, cache, api_name, version)
            if fields is None:
                continue
            subforms = tuple(spec.subform_module for spec in fields if spec.subform_module)
            modules.append(
                CrmModule(
                    api_name, organization_id, fields,
                    convertable=bool(entry.get("convertable")), subforms=subforms,
                )
            )  # fmt: skip
            for subform in subforms:
                sub_fields = _cached_fields(api, cache, subform, version, parent=api_name)
                if sub_fields is not None:
                    modules.append(CrmModule(subform, organization_id, sub_fields, parent=api_name))
    finally:
        if cache is not None:
            cache.save()
    logger.info(
        "CRM discovery: %d modules and subforms in %d credits%s",
        len(modules), api.credits.of(DISCOVERY).credits,
        f" ({cache.hits} from the metadata cache {cache.path})" if cache else "",
    )  # fmt: skip
    return modules


def _cached_fields(
    api: CrmApi, cache: FieldCache | None, module: str, version: object, parent: str | None = None
) -> tuple[CrmField, ...] | None:
    """A module's fields from the cache while the module is unchanged, else from Zoho."""
    key = f"{parent}/{module}" if parent else module
    stamp = None if version is None else str(version)
    if cache is not None and (fields := cache.fields(key, stamp)) is not None:
        return fields
    fields = _fields(api, module, parent)
    if cache is not None and fields is not None:
        cache.remember(key, stamp, fields)
    return fields


def _fields(api: CrmApi, module: str, parent: str | None = None) -> tuple[CrmField, ...] | None:
    what = f"subform {module} of {parent}" if parent else f"module {module}"
    try:
        with _naming(f"GET /crm/v8/settings/fields?module={module} (fields of {what})"):
            body = api.get(
                "/settings/fields", stream=DISCOVERY, params={"module": module}, call="metadata"
            )
    except ZohoAPIError as error:
        if not module_refused(error):
            raise
        logger.warning(
            "CRM %s skipped: its field metadata is refused (HTTP %s, Zoho code %s: %s)",
            what, error.status, error.code, error.zoho_message,
        )  # fmt: skip
        return None
    raw_fields: list[dict[str, Any]] = list(body.get("fields") or [])
    if not raw_fields:
        logger.warning("CRM %s skipped: Zoho has no field metadata for it (204)", what)
        return None
    fields = []
    for raw in raw_fields:
        if not raw.get("api_name"):
            continue
        fields.append(CrmField.from_metadata(raw))
    return tuple(fields)


def module_refused(error: ZohoAPIError) -> bool:
    """A refusal about this module only (scope, permission, feature, bad module)."""
    if error.status == HTTP_UNAUTHORIZED:
        return error.code == "OAUTH_SCOPE_MISMATCH"
    return HTTP_CLIENT_ERROR <= error.status < HTTP_SERVER_ERROR


def complete_catalog(catalog: Catalog) -> None:
    """Declare `zoho_extra`/`zoho_unparsed` in the `crm_*` entries of a catalog saved before them.

    Records always carry the keys the schema does not declare in `zoho_extra`: a SCHEMA
    message without it would let a target drop them (or refuse the records). The tap
    calls this on its input catalog before the SDK reads it (`TapZoho.setup_mapper`).
    """
    for entry in catalog.values():
        if not entry.tap_stream_id.startswith("crm_") or entry.schema is None:
            continue
        properties = entry.schema.properties
        if properties is None:
            continue
        for name, prop in keep_all_properties().items():
            if name not in properties:
                properties[name] = Schema.from_dict(prop)


def modules_from_catalog(catalog: Catalog) -> list[CrmModule]:
    """Modules described by a catalog's `crm_*` streams (no Zoho call)."""
    modules = []
    for entry in catalog.values():
        if not entry.tap_stream_id.startswith("crm_") or entry.schema is None:
            continue
        module = module_from_schema(entry.schema.to_dict())
        if module is not None:
            modules.append(module)
    return modules
