"""`/settings/modules` and `/settings/fields` bodies, built from the catalog.

Every key the OAS marks required is present, with the value Zoho sends for a field or
module of that kind (often null), so a client that reads metadata the way it reads a
real org's meets the same shapes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from zoho_emulator.crm.catalog import (
    ID_PREFIX,
    MODULES,
    SUBFORM_FIELDS,
    FieldSpec,
    ModuleSpec,
)
from zoho_emulator.crm.people import API_USER

if TYPE_CHECKING:
    from collections.abc import Iterable

METADATA_TIME = "2024-03-18T11:20:45+05:30"
PROFILES = [
    {"name": "Administrator", "id": str(ID_PREFIX + 26_011)},
    {"name": "Standard", "id": str(ID_PREFIX + 26_014)},
]
UI_TYPES = {
    "text": 1, "textarea": 3, "email": 25, "phone": 33, "website": 21, "picklist": 2,
    "multiselectpicklist": 100, "integer": 32, "bigint": 36, "double": 38, "currency": 36,
    "percent": 39, "decimal": 38, "boolean": 301, "date": 24, "datetime": 333,
    "lookup": 133, "ownerlookup": 8, "multiselectlookup": 800, "subform": 1000,
    "autonumber": 1, "formula": 1, "fileupload": 555,
}  # fmt: skip


def module_body(spec: ModuleSpec) -> dict[str, Any]:
    """One `settings/modules` entry (the list shape: no fields, layouts or views)."""
    custom = spec.generated_type == "custom"
    return {
        "has_more_profiles": False,
        "access_type": "org_based",
        "global_search_supported": spec.api_supported,
        "common.search_supported": spec.api_supported,
        "deletable": spec.api_supported,
        "description": None,
        "creatable": spec.api_supported,
        "recycle_bin_on_delete": True,
        "inventory_template_supported": spec.api_name in {"Sales_Orders", "Invoices", "Quotes"},
        "modified_time": METADATA_TIME if custom else None,
        "plural_label": spec.plural,
        "presence_sub_menu": False,
        "triggers_supported": spec.api_supported,
        "id": spec.module_id,
        "chart_view": False,
        "isBlueprintSupported": spec.api_supported,
        "visibility": 1,
        "visible": True,
        "status": "visible",
        "convertable": spec.convertable,
        "editable": spec.api_supported,
        "emailTemplate_support": spec.api_name in {"Leads", "Contacts", "Accounts", "Deals"},
        "email_parser_supported": False,
        "filter_supported": spec.api_supported,
        "show_as_tab": True,
        "web_link": None,
        "sequence_number": spec.number,
        "singular_label": spec.singular,
        "viewable": True,
        "api_supported": spec.api_supported,
        "api_name": spec.api_name,
        "quick_create": spec.api_supported,
        "generated_type": spec.generated_type,
        "feeds_required": False,
        "scoring_supported": spec.api_name in {"Leads", "Contacts", "Accounts", "Deals"},
        "webform_supported": spec.api_name in {"Leads", "Contacts", "Cases"},
        "arguments": [],
        "module_name": spec.plural,
        "chart_view_supported": False,
        "profile_count": len(PROFILES),
        "business_card_field_limit": 5,
        "track_current_data": False,
        "modified_by": {"name": API_USER.full_name, "id": API_USER.id} if custom else None,
        "profiles": PROFILES,
        "parent_module": {},
        "activity_badge": "Disabled",
        "$field_states": [],
        "business_card_fields": [],
        "per_page": 200,
        "$properties": [],
        "$on_demand_properties": [],
        "search_layout_fields": [],
        "kanban_view_supported": False,
        "lookup_field_properties": {"fields": []},
        "kanban_view": False,
        "filter_status": spec.api_supported,
        "display_field": {"api_name": spec.display_field, "id": _field_id(spec, 0)},
        "layout_associations": [],
    }


def modules_body(modules: Iterable[ModuleSpec] = MODULES) -> dict[str, Any]:
    """The whole `settings/modules` response (of the modules an emulator serves)."""
    return {"modules": [module_body(spec) for spec in modules]}


def _field_id(spec: ModuleSpec | str, position: int) -> str:
    number = spec.number if isinstance(spec, ModuleSpec) else 40 + len(spec)
    return str(ID_PREFIX + 3_000_000 + number * 1_000 + position)


def _picklist(values: tuple[str, ...], field_id: str) -> list[dict[str, Any]]:
    entries = [
        {
            "display_value": "-None-",
            "sequence_number": 0,
            "reference_value": "-None-",
            "colour_code": None,
            "actual_value": "-None-",
            "id": f"{field_id}00",
            "type": "used",
        }
    ]
    for position, value in enumerate(values, start=1):
        entries.append(
            {
                "display_value": value,
                "sequence_number": position,
                "reference_value": value,
                "colour_code": None,
                "actual_value": value,
                "id": f"{field_id}{position:02d}",
                "type": "used",
            }
        )
    return entries


def _type_specific(spec: FieldSpec, field_id: str) -> dict[str, Any]:
    extra: dict[str, Any] = {
        "lookup": {},
        "subform": None,
        "formula": {},
        "auto_number": {},
        "autonumber": None,
        "currency": {},
        "multiselectlookup": {},
        "multiuserlookup": None,
        "pick_list_values": [],
        "associated_module": None,
        "sub_module": None,
    }
    if spec.data_type in {"picklist", "multiselectpicklist"}:
        extra["pick_list_values"] = _picklist(spec.picklist, field_id)
    if spec.data_type == "lookup" and spec.lookup_module:
        target = next(module for module in MODULES if module.api_name == spec.lookup_module)
        extra["lookup"] = {
            "display_label": spec.label,
            "api_name": spec.api_name,
            "module": {"api_name": target.api_name, "id": target.module_id},
            "id": field_id,
            "query_details": {},
            "revalidate_filter_during_edit": False,
            "show_fields": [],
        }
    if spec.data_type == "multiselectlookup" and spec.lookup_module:
        target = next(module for module in MODULES if module.api_name == spec.lookup_module)
        linking = f"{spec.api_name}_Links"
        extra["multiselectlookup"] = {
            "display_label": spec.label,
            "linking_module": {"api_name": linking, "id": _field_id(linking, 0)},
            "connected_module": {"api_name": target.api_name, "id": target.module_id},
            "lookup_apiname": target.api_name[:-1],
            "api_name": spec.api_name,
            "connectedfield_apiname": spec.api_name,
            "connectedlookup_apiname": target.api_name[:-1],
            "id": field_id,
            "record_access": True,
        }
    if spec.data_type == "subform" and spec.subform_module:
        extra["subform"] = {"module": spec.subform_module, "id": _field_id(spec.subform_module, 0)}
        extra["associated_module"] = {
            "api_name": spec.subform_module,
            "id": _field_id(spec.subform_module, 0),
        }
    if spec.data_type == "formula":
        extra["formula"] = {"return_type": spec.formula_return, "expression": _expression(spec)}
    if spec.data_type == "autonumber":
        prefix = str(spec.args[0]) if spec.args else ""
        numbering = {
            "starting_number_length": 6,
            "prefix": prefix,
            "suffix": None,
            "start_number": 1,
        }
        extra["auto_number"] = numbering
        extra["autonumber"] = numbering
    if spec.data_type == "currency" or spec.formula_return == "currency":
        extra["currency"] = {"rounding_option": "normal", "precision": spec.decimals or 2}
    return extra


def _expression(spec: FieldSpec) -> str:
    return {
        "Expected_Revenue": "${Deals.Amount}*${Deals.Probability}/100",
        "Grand_Total": "${Sub_Total}+${Tax}",
        "Days_Since_Onboarding": "Datecomp(Now(),${Accounts.Onboarding_Date})/1440",
    }.get(spec.api_name, "")


UNKNOWN_JSON_TYPE = "taglist"
"""The `json_type` `Tag` reports under the `crm-unknown-json-type` answer: one a client
cannot know, standing for whatever shape Zoho adds next."""


def field_body(
    spec: FieldSpec, field_id: str, position: int, *, unknown_json_type: bool = False
) -> dict[str, Any]:
    """One `settings/fields` entry with every key the OAS requires."""
    read_only = spec.read_only or spec.data_type in {"formula", "autonumber"}
    decimal_place = spec.decimals if spec.json_type == "double" else None
    body: dict[str, Any] = {
        "associated_module": None,
        "data_type": spec.data_type,
        "operation_type": {
            "web_update": not read_only,
            "api_create": not read_only,
            "web_create": not read_only,
            "api_update": not read_only,
        },
        "system_mandatory": spec.mandatory,
        "webhook": True,
        "sequence_number": position,
        "default_value": None,
        "blueprint_supported": not read_only,
        "virtual_field": False,
        "field_read_only": read_only,
        "customizable_properties": [],
        "read_only": read_only,
        "custom_field": spec.custom,
        "businesscard_supported": True,
        "filterable": spec.data_type not in {"subform", "multiselectlookup", "fileupload"},
        "visible": True,
        "available_in_user_layout": True,
        "display_field": False,
        "pick_list_values_sorted_lexically": False,
        "sortable": spec.data_type not in {"subform", "multiselectlookup", "fileupload"},
        "layout_associations": [],
        "separator": False,
        "searchable": spec.data_type in {"text", "email", "phone", "picklist"},
        "enable_colour_code": False,
        "mass_update": not read_only,
        "json_type": (
            UNKNOWN_JSON_TYPE if unknown_json_type and spec.api_name == "Tag" else spec.json_type
        ),
        "created_source": "default" if not spec.custom else "crm",
        "type": "used",
        "display_label": spec.label,
        "field_label": spec.label,
        "column_name": spec.api_name.upper(),
        "api_name": spec.api_name,
        "display_type": -1,
        "ui_type": UI_TYPES[spec.data_type],
        "colour_code_enabled_by_system": False,
        "length": spec.length,
        "decimal_place": decimal_place,
        "quick_sequence_number": str(position),
        "email_parser": {"fields_update_supported": False, "record_operations_supported": False},
        "rollup_summary": {},
        "refer_from_field": None,
        "created_time": METADATA_TIME if spec.custom else None,
        "modified_time": METADATA_TIME if spec.custom else None,
        "show_type": 7,
        "category": 0,
        "id": field_id,
        "multi_module_lookup": {},
        "sharing_properties": None,
        "file_upolad_optionlist": [],
        "profiles": [
            {"name": profile["name"], "id": profile["id"], "permission_type": "read_write"}
            for profile in PROFILES
        ],
        "view_type": {"view": True, "edit": not read_only, "quick_create": False, "create": True},
        "unique": {},
        "external": None,
        "private": None,
        "convert_mapping": None,
        "crypt": None,
        "tooltip": None,
        "history_tracking": None,
        "association_details": None,
        "allowed_modules": [],
        "additional_column": None,
        "common.picklist": None,
        "hipaa_compliance_enabled": False,
        "hipaa_compliance": None,
        "_update_existing_records": False,
        "number_separator": spec.json_type in {"integer", "double"},
        "textarea": {"type": "large"} if spec.data_type == "textarea" else None,
        "static_field": False,
    }
    body.update(_type_specific(spec, field_id))
    return body


def fields_body(spec: ModuleSpec, *, unknown_json_type: bool = False) -> dict[str, Any]:
    """The `settings/fields?module=` response of a module.

    `unknown_json_type` (the `crm-unknown-json-type` answer) gives `Tag` a json_type no
    client knows.
    """
    return {
        "fields": [
            field_body(
                field, _field_id(spec, position), position, unknown_json_type=unknown_json_type
            )
            for position, field in enumerate(spec.fields, start=1)
        ]
    }


def subform_fields_body(name: str) -> dict[str, Any]:
    """`settings/fields?module=<subform>`: the subform's own fields."""
    return {
        "fields": [
            field_body(field, _field_id(name, position), position)
            for position, field in enumerate(SUBFORM_FIELDS[name], start=1)
        ]
    }
