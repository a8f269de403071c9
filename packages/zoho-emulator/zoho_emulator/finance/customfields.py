"""Custom fields per organization: what `GET /settings/preferences` lists, and adding one.

Zoho keeps custom fields per organization: an admin adds one to invoices in one
organization and every invoice there starts carrying it (`custom_fields[]` plus the
flattened `cf_<name>` keys), while another organization has its own set. The OAS files
describe no endpoint that lists them; the one integrators read is
`GET /settings/preferences`, whose `customfields` object holds each module's
definitions (reference 3.2, `rohithchoppala/tap-zoho-inventory`, for Inventory). The
emulator serves the same shape for Books (UNCONFIRMED for Books: the Books docs show only
`POST /settings/fields`, which creates one field).

The definitions are read from the same generation contexts that build records, so the
endpoint lists exactly the fields the records carry.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Any

import orjson
from starlette.routing import Route

from zoho_emulator.finance.catalog import BY_NAME
from zoho_emulator.finance.generators.common import CustomField, custom_fields_for
from zoho_emulator.responses import json_response

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from zoho_emulator.emulator import Emulator
    from zoho_emulator.finance.store import FinanceData


class UnknownEntityError(KeyError):
    """An organization or entity the emulator does not serve."""


CONTROL_PREFIX = "/__emulator/finance/{organization_id}"

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
"""Entity -> the module key its fields are listed under. Where the OAS has a
`/<module>/{id}/customfields` path its spelling is used (`invoice`, `salesorder`,
`customerpayment`, ...); `composite_item` is the Inventory tap's key; the rest follow the
detail keys (UNCONFIRMED)."""

DATA_TYPES = frozenset(
    {
        "string", "multiline", "email", "url", "phone", "dropdown", "multiselect",
        "number", "decimal", "amount", "percent", "date", "date_time", "check_box",
        "autonumber", "lookup",
    }
)  # fmt: skip
"""Zoho's documented custom-field data types the emulator can generate values for."""

CHOICE_TYPES = frozenset({"dropdown", "multiselect"})
API_NAME = re.compile(r"^cf_[a-z0-9_]{1,60}$")

ORGANIZATION_FIELDS: dict[str, dict[str, tuple[tuple[str, str, str, tuple[str, ...] | int], ...]]]
ORGANIZATION_FIELDS = {
    "10234695": {
        "contacts": (("GSTIN Verified", "cf_gstin_verified", "check_box", 2),),
        "invoices": (("Dispatch Priority", "cf_dispatch_priority", "number", 5),),
        "items": (("HSN Chapter", "cf_hsn_chapter", "dropdown", ("3924", "6911", "9403")),),
    },
    "20987654": {
        "contacts": (("Tax Exempt Until", "cf_tax_exempt_until", "date", 0),),
        "invoices": (("Freight Estimate", "cf_freight_estimate", "amount", 50_000),),
        "salesorders": (("Promised Ship Time", "cf_promised_ship_time", "date_time", 0),),
    },
}
"""Fields only one organization has, on top of the catalog's shared ones: each demo
organization has its own, with different data types, so per-organization discovery is
observable (and a client that reads one organization's fields for all is caught)."""


def organization_fields(organization_id: str, entity: str) -> tuple[CustomField, ...]:
    """The fields an entity's records carry in one organization at start-up."""
    spec = BY_NAME[entity]
    extra = ORGANIZATION_FIELDS.get(organization_id, {}).get(entity, ())
    return spec.custom_fields + custom_fields_for(entity, *extra, scope=organization_id)


def definition(field: CustomField, module: str, index: int) -> dict[str, Any]:
    """One field as `/settings/preferences` lists it.

    `api_name` and `placeholder` are both the `cf_<name>` key records carry: clients read
    either, depending on the Zoho API version they were written for.
    """
    body: dict[str, Any] = {
        "customfield_id": field.customfield_id,
        "label": field.label,
        "api_name": field.api_name,
        "placeholder": field.api_name,
        "data_type": field.data_type,
        "entity": module,
        "index": index,
        "is_active": True,
        "is_mandatory": False,
        "show_on_pdf": False,
        "show_in_all_pdf": False,
        "default_value": "",
    }
    if field.data_type in CHOICE_TYPES:
        body["values"] = [
            {"name": choice, "order": order, "is_active": True}
            for order, choice in enumerate(field.choices, start=1)
        ]
    return body


class CustomFieldSettings:
    """The custom-field settings of every organization (Python control API).

    `add` changes what records carry from then on (every record of the entity gets a
    value, as if the field had been filled in everywhere) and bumps the entity's data
    version so that no cached page serves the old shape.
    """

    def __init__(self, data: FinanceData) -> None:
        """Bind to the data set whose generation contexts hold the fields."""
        self._data = data
        self._lock = threading.Lock()
        self._denied: set[tuple[str, str]] = set()

    def definitions(self, organization_id: str, product: str) -> dict[str, list[dict[str, Any]]]:
        """`customfields` of `/settings/preferences`: module -> definitions.

        Every module the product serves is listed, with an empty list where it has no
        field, so a client can tell "no fields" from "module unknown to this product".
        """
        listed: dict[str, list[dict[str, Any]]] = {}
        for entity, module in MODULES.items():
            if BY_NAME[entity].endpoint(product) is None:
                continue
            fields = self._data.context(organization_id, entity).custom_fields
            listed[module] = [
                definition(field, module, index) for index, field in enumerate(fields, start=1)
            ]
        return listed

    def add(  # noqa: PLR0913 - a custom field's independent attributes
        self,
        organization_id: str,
        entity: str,
        label: str,
        data_type: str,
        *,
        api_name: str | None = None,
        choices: tuple[str, ...] | list[str] = (),
        number_range: int = 1000,
    ) -> dict[str, Any]:
        """Add a field to an entity of one organization; returns its definition.

        Raises:
            ValueError: an unknown data type, a bad or taken `api_name`, a choice type
                without choices, or an entity that has no custom fields.
        """
        if entity not in MODULES:
            msg = f"{entity!r} has no custom fields (known: {', '.join(sorted(MODULES))})"
            raise ValueError(msg)
        if data_type not in DATA_TYPES:
            msg = f"unknown data_type {data_type!r} (known: {', '.join(sorted(DATA_TYPES))})"
            raise ValueError(msg)
        if data_type in CHOICE_TYPES and not choices:
            msg = f"a {data_type} field needs choices"
            raise ValueError(msg)
        name = api_name or "cf_" + re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
        if not API_NAME.match(name):
            msg = f"api_name must look like cf_<lowercase_name>, not {name!r}"
            raise ValueError(msg)
        spec: tuple[str, ...] | int = tuple(str(c) for c in choices) or max(int(number_range), 1)
        with self._lock:
            state = self._data.state(organization_id, entity)
            context = state.context
            if any(field.api_name == name for field in context.custom_fields):
                msg = f"{entity} of organization {organization_id} already has {name}"
                raise ValueError(msg)
            (added,) = custom_fields_for(
                entity, (label, name, data_type, spec), scope=organization_id
            )
            context.set_custom_fields((*context.custom_fields, added))
            self._data.touch(state)
        return definition(added, MODULES[entity], len(context.custom_fields))

    def deny(self, organization_id: str, product: str, *, denied: bool = True) -> None:
        """Refuse (or allow again) the settings call of one product and organization.

        Zoho answers a token without the settings scope with HTTP 401, code 57; tests use
        this to prove a client falls back instead of failing the whole run.
        """
        with self._lock:
            if denied:
                self._denied.add((product, organization_id))
            else:
                self._denied.discard((product, organization_id))

    def is_denied(self, organization_id: str, product: str) -> bool:
        """Whether the settings call of this product and organization is refused."""
        return (product, organization_id) in self._denied


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    parsed = orjson.loads(raw) if raw else {}
    if not isinstance(parsed, dict):
        msg = "the body must be a JSON object"
        raise TypeError(msg)
    return parsed


def control_routes(emulator: Emulator) -> list[Route]:
    """Control routes: add a custom field, refuse a product's settings call.

    `POST /__emulator/finance/{org}/{entity}/customfields` adds a field;
    `POST /__emulator/finance/{org}/customfields/deny` refuses (or allows) the settings
    call of a product (`{"product": "books", "denied": true}`). Served before the kernel's
    control routes, whose `{entity}/{operation}` pattern would
    otherwise take these paths for record mutations.
    """
    settings = emulator.finance.custom_fields

    async def add(request: Request) -> Response:
        organization_id = request.path_params["organization_id"]
        try:
            spec = await _body(request)
            label, data_type = str(spec["label"]), str(spec["data_type"])
            added = settings.add(
                organization_id,
                request.path_params["entity"],
                label,
                data_type,
                api_name=spec.get("api_name"),
                choices=list(spec.get("choices") or ()),
                number_range=int(spec.get("number_range", 1000)),
            )
        except UnknownEntityError as error:
            return json_response({"error": str(error)}, 404)
        except (KeyError, ValueError, TypeError) as error:
            return json_response({"error": f"invalid custom field: {error}"}, 400)
        return json_response({"customfield": added})

    async def deny(request: Request) -> Response:
        organization_id = request.path_params["organization_id"]
        try:
            spec = await _body(request)
            product = str(spec["product"])
        except (KeyError, ValueError, TypeError) as error:
            return json_response({"error": f"invalid deny request: {error}"}, 400)
        if product not in {"books", "inventory"}:
            message = f"product must be books or inventory, not {product!r}"
            return json_response({"error": message}, 400)
        denied = bool(spec.get("denied", True))
        settings.deny(organization_id, product, denied=denied)
        return json_response({"product": product, "organization_id": organization_id,
                              "denied": denied})  # fmt: skip

    return [
        Route(f"{CONTROL_PREFIX}/customfields/deny", deny, methods=["POST"]),
        Route(f"{CONTROL_PREFIX}/{{entity}}/customfields", add, methods=["POST"]),
    ]
