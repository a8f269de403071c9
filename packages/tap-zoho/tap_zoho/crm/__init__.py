"""Zoho CRM v8 streams of tap-zoho: discovered from CRM metadata, deletes, bulk loads.

`crm_streams(tap)` is the one hook the tap calls: it discovers modules from Zoho (or
rebuilds them from the input catalog, with no metadata call) and returns the streams.
See docs/tap-crm.md.
"""

from __future__ import annotations

import logging
import weakref
from typing import TYPE_CHECKING

from tap_zoho.api.errors import ZohoAPIError
from tap_zoho.crm.api import CrmApi
from tap_zoho.crm.discovery import CrmDiscoveryFailedError, discover_modules, modules_from_catalog
from tap_zoho.crm.settings import EDITION_CONCURRENCY, with_crm_settings
from tap_zoho.crm.streams import (
    CrmDeletedRecordsStream,
    CrmModuleStream,
    CrmStream,
    module_stream_class,
    subform_stream_class,
)

if TYPE_CHECKING:
    from singer_sdk import Stream

    from tap_zoho.crm.schema import CrmModule
    from tap_zoho.run import ZohoTap as TapZoho

logger = logging.getLogger("tap_zoho.crm")
_APIS: weakref.WeakKeyDictionary[TapZoho, CrmApi] = weakref.WeakKeyDictionary()

__all__ = ["CrmApi", "CrmStream", "crm_api", "crm_streams", "with_crm_settings"]


def crm_api(tap: TapZoho) -> CrmApi:
    """The tap's CRM API (one credit ledger per tap), over the tap's shared client."""
    api = _APIS.get(tap)
    if api is None:
        edition = str(tap.config.get("crm_edition") or "standard")
        api = CrmApi(
            tap.client,
            concurrency=EDITION_CONCURRENCY.get(edition, 10),
            credit_budget=int(tap.config.get("crm_daily_credits") or 0),
            credit_reserve=int(tap.config.get("crm_credit_reserve") or 0),
        )
        _APIS[tap] = api
    return api


def crm_streams(tap: TapZoho) -> list[Stream]:
    """CRM streams from the input catalog if it has any, else from Zoho's metadata."""
    api = crm_api(tap)
    catalog = tap.input_catalog
    if catalog is not None:
        modules = modules_from_catalog(catalog)
        has_deleted = "crm_deleted_records" in catalog
        if not modules and not has_deleted:
            return []
        for module in modules:
            api.remember_organization(module.organization_id)
    else:
        try:
            modules = discover_modules(api, tap.config.get("crm_modules"), dict(tap.config))
        except CrmDiscoveryFailedError as failed:
            # One line, exit 1: a traceback would bury which call failed, and a catalog
            # without CRM would look like a CRM without modules.
            logger.error("%s", failed)  # noqa: TRY400 - the message is the whole story
            raise SystemExit(1) from None
        except ZohoAPIError as error:
            logger.warning(
                "CRM skipped: its metadata is refused (HTTP %s, Zoho code %s: %s)",
                error.status, error.code, error.zoho_message,
            )  # fmt: skip
            return []
    _report_unknown_json_types(tap, modules)
    streams: list[Stream] = []
    classes: dict[str, type[CrmModuleStream]] = {}
    for module in modules:
        if module.parent is None:
            cls = module_stream_class(module)
            classes[module.api_name] = cls
            streams.append(cls(tap, api, module))
    streams.extend(
        subform_stream_class(classes[module.parent])(tap, api, module)
        for module in modules
        if module.parent is not None and module.parent in classes
    )
    streams.append(CrmDeletedRecordsStream(tap, api, modules))
    return streams


def _report_unknown_json_types(tap: TapZoho, modules: list[CrmModule]) -> None:
    """Each field typed as any JSON value because its `json_type` is new to the tap.

    Nothing is dropped (the schema is open), but the operator must know that a column's
    type is no longer checked (register entry `crm.field-json-type`).
    """
    for module in modules:
        for spec in module.fields:
            if not spec.json_type_known:
                tap.fallbacks.fell_back(
                    "crm.field-json-type", stream=module.stream_name,
                    organization_id=module.organization_id,
                    detail=f"field {spec.api_name} (data_type {spec.data_type}) has json_type "
                    f"{spec.json_type!r}, so its schema accepts any JSON value",
                )  # fmt: skip
