"""Zoho CRM v8 streams of tap-zoho: discovered from CRM metadata, deletes, bulk loads.

`crm_streams(tap, run)` is the one hook the tap calls: it discovers modules from Zoho (or
rebuilds them from the input catalog, with no metadata call) and returns the streams,
each handed the run context (`tap_zoho.run.ZohoRun`) like the Books/Inventory streams.
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
    from singer_sdk import Stream, Tap

    from tap_zoho.crm.schema import CrmModule
    from tap_zoho.run import ZohoRun

logger = logging.getLogger("tap_zoho.crm")
_APIS: weakref.WeakKeyDictionary[ZohoRun, CrmApi] = weakref.WeakKeyDictionary()

__all__ = ["CrmApi", "CrmStream", "crm_api", "crm_streams", "with_crm_settings"]


def crm_api(run: ZohoRun) -> CrmApi:
    """The run's CRM API (one credit ledger per run), over the run's shared client."""
    api = _APIS.get(run)
    if api is None:
        edition = str(run.config.get("crm_edition") or "standard")
        api = CrmApi(
            run.client,
            concurrency=EDITION_CONCURRENCY.get(edition, 10),
            credit_budget=int(run.config.get("crm_daily_credits") or 0),
            credit_reserve=int(run.config.get("crm_credit_reserve") or 0),
        )
        _APIS[run] = api
    return api


def crm_streams(tap: Tap, run: ZohoRun) -> list[Stream]:
    """CRM streams from the input catalog if it has any, else from Zoho's metadata.

    `tap` is what the SDK builds a stream with (and holds the input catalog); everything
    the streams read of this run comes from `run`.
    """
    api = crm_api(run)
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
            modules = discover_modules(api, run.config.get("crm_modules"), dict(run.config))
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
    _report_unknown_json_types(run, modules)
    streams: list[Stream] = []
    classes: dict[str, type[CrmModuleStream]] = {}
    for module in modules:
        if module.parent is None:
            cls = module_stream_class(module)
            classes[module.api_name] = cls
            streams.append(cls(tap, run, api, module))
    streams.extend(
        subform_stream_class(classes[module.parent])(tap, run, api, module)
        for module in modules
        if module.parent is not None and module.parent in classes
    )
    streams.append(CrmDeletedRecordsStream(tap, run, api, modules))
    return streams


def _report_unknown_json_types(run: ZohoRun, modules: list[CrmModule]) -> None:
    """Each field typed as any JSON value because its `json_type` is new to the tap.

    Nothing is dropped (the schema is open), but the operator must know that a column's
    type is no longer checked (register entry `crm.field-json-type`).
    """
    for module in modules:
        for spec in module.fields:
            if not spec.json_type_known:
                run.fallbacks.fell_back(
                    "crm.field-json-type", stream=module.stream_name,
                    organization_id=module.organization_id,
                    detail=f"field {spec.api_name} (data_type {spec.data_type}) has json_type "
                    f"{spec.json_type!r}, so its schema accepts any JSON value",
                )  # fmt: skip
