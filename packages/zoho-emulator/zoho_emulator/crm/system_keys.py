"""Keys Zoho puts on a record beside the fields its metadata declares.

Zoho's record answers carry `$`-prefixed system keys (`$approval_state`,
`$currency_symbol`, `$editable`, ... : Zoho's record samples and the v8 OAS show them)
that `settings/fields` never lists, and subform rows carry `Parent_Id`,
`Created_Time` and `Modified_Time` that the subform's own metadata does not list.
A client that keeps only declared fields loses them; the tap keeps them in
`zoho_extra` (register entry `crm.declared-fields`).

The `crm-undeclared-fields` answer adds one more key that is neither a declared field
nor a `$` key (`Record_Status__s`, a system field Zoho added to every module in 2023 and
that an org's metadata may not list) to module records, subform rows, deleted-record
entries and Bulk Read CSVs: the tap must keep it too, and say so.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zoho_emulator.crm.service import Crm

SYSTEM_KEYS: dict[str, Any] = {
    "$approval_state": "approved",
    "$approved": True,
    "$editable": True,
    "$currency_symbol": "\u20b9",
    "$process_flow": False,
    "$approval": {"delegate": False, "approve": False, "reject": False, "resubmit": False},
}
"""The `$` keys of every record answer (the org's currency is the Indian rupee)."""
UNDECLARED_FIELD = "Record_Status__s"
"""The key the `crm-undeclared-fields` answer adds (no metadata lists it)."""
UNDECLARED_ANSWER = "crm-undeclared-fields"


def undeclared(crm: Crm) -> bool:
    """Whether answers carry a key that is neither a declared field nor a `$` key."""
    return crm.emulator.answers(UNDECLARED_ANSWER)


def add_to_record(crm: Crm, body: dict[str, Any]) -> dict[str, Any]:
    """A record of a list, search or single-record answer, as Zoho sends it."""
    body.update(copy.deepcopy(SYSTEM_KEYS))
    if undeclared(crm):
        body[UNDECLARED_FIELD] = "Available"
        for value in body.values():
            if isinstance(value, list):  # subform rows of a single-record GET
                for row in value:
                    if isinstance(row, dict) and "Parent_Id" in row:
                        row[UNDECLARED_FIELD] = "Available"
    return body


def add_to_deleted(crm: Crm, entry: dict[str, Any]) -> dict[str, Any]:
    """An entry of `/{module}/deleted` (its keys are Zoho's documented six otherwise)."""
    if undeclared(crm):
        entry[UNDECLARED_FIELD] = "Trash"
    return entry
