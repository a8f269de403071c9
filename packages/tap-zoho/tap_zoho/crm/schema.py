"""Zoho CRM field metadata → JSON schema, and back again from a saved catalog.

Zoho says what a field holds twice: `json_type` (the JSON shape: string, integer,
double, boolean, jsonobject, jsonarray) and `data_type` (what the UI shows: picklist,
lookup, currency...). The shape comes from `json_type`, because that is what the values
on the wire follow: `Tag` is data_type `text` but arrives as an array of
`{name, id, color_code}` objects, and Products `Tax` is a multi-select picklist whose
values are `{id, value}` objects. `data_type` only refines that shape (a string that is
a date or a datetime, a lookup object's keys, what an array holds). A `json_type` the
tap does not know gets an open schema (any JSON value): a new Zoho type never breaks
discovery nor drops a value (register entry `crm.field-json-type`). A catalog written
before `json_type` was kept falls back to the `data_type` table.

Picklists are plain strings (no `enum`: admins add values at any time), lookups are
`{id, name}` objects, multi-selects are arrays. Each property's `description` records
Zoho's `data_type`, `json_type` (and a formula's return type), so a sync that starts
from a saved catalog types values (and Bulk Read CSV cells) without asking Zoho again.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from tap_zoho.schemas import KEEP_ALL_PROPERTIES

NUMBER_TYPES = frozenset({"double", "currency", "percent", "decimal"})
LOOKUP_TYPES = frozenset({"lookup", "ownerlookup", "userlookup"})
ARRAY_OF_OBJECT_TYPES = frozenset({
    "multiselectlookup", "multiuserlookup", "subform", "fileupload", "imageupload",
    "multi_module_lookup", "linetax", "multireminder",
})  # fmt: skip
LIST_HIDDEN_TYPES = frozenset({"subform", "multiselectlookup", "multiuserlookup"})
"""Zoho returns these only on single-record GETs; list calls do not ask for them."""
FORMULA_RETURNS = {
    "double": "double", "currency": "currency", "integer": "integer", "decimal": "decimal",
    "percent": "percent", "boolean": "boolean", "date": "date", "datetime": "datetime",
}  # fmt: skip
OPEN_OBJECT: dict[str, Any] = {"type": ["object"], "properties": {}, "additionalProperties": True}
"""Rows of subforms, files and linked records: their keys vary, all are kept."""
JSON_TYPE_SHAPES: dict[str, dict[str, Any]] = {
    "string": {"type": ["string", "null"]},
    "integer": {"type": ["integer", "null"]},
    "double": {"type": ["number", "null"]},
    "boolean": {"type": ["boolean", "null"]},
    "jsonobject": {"type": ["object", "null"], "additionalProperties": True},
    "jsonarray": {"type": ["array", "null"], "items": {}},
}
_DESCRIPTION = re.compile(
    r"data_type (?P<data_type>[\w$]+)(?:, returns (?P<returns>\w+))?"
    r"(?:, json_type (?P<json_type>[\w$:.-]+))?"
)
_MODULE = re.compile(
    r"Zoho CRM (?:module (?P<module>\S+)|subform (?P<subform>\S+) of module (?P<parent>\S+))"
    r" \(organization (?P<org>\d+)(?P<convertable>, convertable)?\)"
)


@dataclass(frozen=True, slots=True)
class CrmField:
    """What the tap needs of one field's metadata."""

    api_name: str
    data_type: str
    json_type: str | None = None
    formula_return: str | None = None
    subform_module: str | None = None

    @property
    def effective_type(self) -> str:
        """The data type values arrive in (a formula's is its return type)."""
        if self.data_type == "formula" and self.formula_return:
            return FORMULA_RETURNS.get(self.formula_return, "text")
        return self.data_type

    @property
    def in_lists(self) -> bool:
        """Whether a list call can return this field."""
        return self.data_type not in LIST_HIDDEN_TYPES

    @property
    def description(self) -> str:
        """Kept in the catalog so a sync can rebuild this field without metadata calls."""
        text = f"Zoho CRM field, data_type {self.data_type}"
        if self.data_type == "formula" and self.formula_return:
            text += f", returns {self.formula_return}"
        if self.json_type:
            text += f", json_type {self.json_type}"
        return text

    @property
    def json_type_known(self) -> bool:
        """Whether the tap knows this `json_type` (None: an old catalog, typed by data_type)."""
        return self.json_type is None or self.json_type in JSON_TYPE_SHAPES

    @classmethod
    def from_metadata(cls, raw: dict[str, Any]) -> CrmField:
        """From one `settings/fields` entry (null type-specific keys are common)."""
        formula = raw.get("formula") or {}
        subform = raw.get("subform") or raw.get("associated_module") or {}
        subform_module = subform.get("module") or subform.get("api_name")
        return cls(
            api_name=str(raw["api_name"]),
            data_type=str(raw.get("data_type") or "text"),
            json_type=str(raw["json_type"]) if raw.get("json_type") else None,
            formula_return=formula.get("return_type") if isinstance(formula, dict) else None,
            subform_module=str(subform_module) if subform_module else None,
        )

    @classmethod
    def from_property(cls, name: str, prop: dict[str, Any]) -> CrmField | None:
        """Rebuild from a catalog property; None for properties the tap adds itself."""
        found = _DESCRIPTION.search(str(prop.get("description") or ""))
        if found is None:
            return None
        return cls(
            name, found["data_type"], json_type=found["json_type"], formula_return=found["returns"]
        )


@dataclass(frozen=True, slots=True)
class CrmModule:
    """A module (or a subform) the tap reads, as discovery or a catalog describes it."""

    api_name: str
    organization_id: str
    fields: tuple[CrmField, ...]
    convertable: bool = False
    parent: str | None = None
    """The parent module's API name when this is a subform."""
    subforms: tuple[str, ...] = field(default=())

    @property
    def stream_name(self) -> str:
        """`crm_<module>` or `crm_<module>_<subform>` in snake case."""
        if self.parent:
            return f"crm_{snake_case(self.parent)}_{snake_case(self.api_name)}"
        return f"crm_{snake_case(self.api_name)}"

    @property
    def by_name(self) -> dict[str, CrmField]:
        """Fields by API name."""
        return {spec.api_name: spec for spec in self.fields}

    @property
    def description(self) -> str:
        """The schema's description: says which module and org the stream reads."""
        if self.parent:
            return (
                f"Zoho CRM subform {self.api_name} of module {self.parent} "
                f"(organization {self.organization_id})"
            )
        note = ", convertable" if self.convertable else ""
        return f"Zoho CRM module {self.api_name} (organization {self.organization_id}{note})"


def snake_case(name: str) -> str:
    """`Sales_Orders` → `sales_orders`, `PurchaseOrders` → `purchase_orders`."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return re.sub(r"[^0-9a-zA-Z]+", "_", spaced).strip("_").lower()


LOOKUP_SHAPE: dict[str, Any] = {
    "type": ["object", "null"],
    "properties": {
        "id": {"type": ["string", "null"]},
        "name": {"type": ["string", "null"]},
        "email": {"type": ["string", "null"]},
    },
    "additionalProperties": True,
}
OPEN_VALUE: dict[str, Any] = {}
"""Any JSON value: the schema of a field whose `json_type` the tap does not know."""
PICKLIST_ITEMS: dict[str, Any] = {"type": ["string", "object"]}
"""Multi-select values are strings, except where Zoho sends objects (Products `Tax`:
`{id, value}`, as Zoho's official SDK models it)."""


def property_schema(spec: CrmField) -> dict[str, Any]:
    """The JSON schema of one field's values: `json_type` decides, `data_type` refines."""
    if spec.json_type is None:
        shape = _by_data_type(spec.effective_type)
    elif spec.json_type in JSON_TYPE_SHAPES:
        shape = _by_json_type(spec.json_type, spec.effective_type)
    else:
        shape = dict(OPEN_VALUE)
    return {**shape, "description": spec.description}


def _by_json_type(json_type: str, kind: str) -> dict[str, Any]:  # noqa: PLR0911 - per shape
    """The shape `json_type` gives, refined by the (effective) data type."""
    if json_type == "string":
        if kind in {"datetime", "date"}:
            return _by_data_type(kind)
        return {"type": ["string", "null"]}
    if json_type == "jsonobject":
        return dict(LOOKUP_SHAPE) if kind in LOOKUP_TYPES else dict(JSON_TYPE_SHAPES[json_type])
    if json_type == "jsonarray":
        if kind == "multiselectpicklist":
            return {"type": ["array", "null"], "items": PICKLIST_ITEMS}
        if kind in ARRAY_OF_OBJECT_TYPES:
            return {"type": ["array", "null"], "items": OPEN_OBJECT}
        return {"type": ["array", "null"], "items": {}}
    return dict(JSON_TYPE_SHAPES[json_type])


def _by_data_type(kind: str) -> dict[str, Any]:  # noqa: PLR0911 - one branch per family
    """The shape of a field from a catalog that did not keep `json_type` (older taps)."""
    if kind == "datetime":
        return {"type": ["string", "null"], "format": "date-time"}
    if kind == "date":
        return {"type": ["string", "null"], "format": "date"}
    if kind in NUMBER_TYPES:
        return {"type": ["number", "null"]}
    if kind == "integer":
        return {"type": ["integer", "null"]}
    if kind == "boolean":
        return {"type": ["boolean", "null"]}
    if kind == "multiselectpicklist":
        return {"type": ["array", "null"], "items": PICKLIST_ITEMS}
    if kind in LOOKUP_TYPES:
        return dict(LOOKUP_SHAPE)
    if kind in ARRAY_OF_OBJECT_TYPES:
        return {"type": ["array", "null"], "items": OPEN_OBJECT}
    return {"type": ["string", "null"]}


def module_schema(module: CrmModule) -> dict[str, Any]:
    """The stream schema: `organization_id` (and the parent id of subform rows) first."""
    properties: dict[str, Any] = {
        "organization_id": {"type": ["string"], "description": "The CRM organization id."},
    }
    if module.parent:
        properties["parent_id"] = {
            "type": ["string"],
            "description": f"id of the {module.parent} record this row belongs to",
        }
        properties["parent_modified_time"] = {
            "type": ["string", "null"], "format": "date-time",
            "description": "Modified_Time of the parent record (UTC)",
        }  # fmt: skip
    properties["id"] = {"type": ["string"], "description": "Zoho record id"}
    for spec in module.fields:
        if spec.api_name == "id" or spec.data_type == "subform":
            continue
        properties[spec.api_name] = property_schema(spec)
    properties.update(keep_all_properties())
    return {"type": "object", "description": module.description, "properties": properties}


def keep_all_properties() -> dict[str, Any]:
    """`zoho_extra` and `zoho_unparsed`, as every Books/Inventory schema declares them.

    Zoho sends keys the field metadata does not declare (`$` system keys, a subform
    row's `Created_Time`...): they go into `zoho_extra` (`tap_zoho.crm.extra`), and a
    datetime no UTC value can hold keeps its text in `zoho_unparsed`, so the raw layer
    holds every key Zoho returned. Both are open objects: any Singer target can land
    them (a JSON column, or flattened keys).
    """
    return copy.deepcopy(KEEP_ALL_PROPERTIES)


def module_from_schema(schema: dict[str, Any]) -> CrmModule | None:
    """Rebuild a module from a catalog schema written by `module_schema`; None if foreign."""
    found = _MODULE.search(str(schema.get("description") or ""))
    if found is None:
        return None
    fields = tuple(
        spec
        for name, prop in (schema.get("properties") or {}).items()
        if (spec := CrmField.from_property(name, prop)) is not None
    )
    if found["subform"]:
        return CrmModule(found["subform"], found["org"], fields, parent=found["parent"])
    return CrmModule(found["module"], found["org"], fields, convertable=bool(found["convertable"]))
