# ruff: noqa: ARG005 - every generator takes the same four arguments; most use a few
"""Generated CRM records: every value is a pure function of (seed, module, index, field).

Nothing generated is stored. Times grow with the index, so the generated part of a module
is already sorted by `id`, `Created_Time` and `Modified_Time`; listing, page tokens and
`If-Modified-Since` can binary-search it instead of sorting a million records.
"""

from __future__ import annotations

import time
from collections.abc import Callable  # noqa: TC003 - NamedTuple fields resolve at runtime
from dataclasses import dataclass
from typing import Any, NamedTuple

from zoho_emulator.crm import words
from zoho_emulator.crm.catalog import (
    BY_NAME,
    ID_PREFIX,
    MODULE_ID_SPAN,
    SUBFORM_NUMBERS,
    TAG_ID_BASE,
    TAGS,
    TAX_ID_BASE,
    FieldSpec,
    ModuleSpec,
    record_id,
)
from zoho_emulator.crm.people import ORG_TIME_ZONE, USERS
from zoho_emulator.crm.rand import MASK, bits_of, key_of, mix, pick
from zoho_emulator.crm.timefmt import format_date, format_datetime

ANCHOR_END = 1_767_139_200
"""2025-12-31T00:00:00Z: generated history ends here, before any emulated mutation."""
SPAN = 3 * 365 * 86_400
"""Generated records were created over three years."""
MIN_LAG = 36 * 3_600
DAY = 86_400
CONVERTED_ONE_IN = 8
"""About one generated Lead in eight is converted (hidden unless `converted=both|true`)."""


class PlannedField(NamedTuple):
    """A field ready to generate: its name, key, null threshold and generator."""

    name: str
    key: int
    null_below: int
    generate: Callable[[Dataset, FieldSpec, int, RecordContext], Any]
    spec: FieldSpec


@dataclass(slots=True)
class RecordContext:
    """What a value generator may look at: the record's index, times and other fields."""

    module: ModuleSpec
    index: int
    created: int
    modified: int
    overrides: dict[str, Any]
    dataset: Dataset

    def get(self, name: str) -> Any:  # noqa: ANN401 - any field value
        """A field's current value (a mutation wins over the generated value)."""
        if name in self.overrides:
            return self.overrides[name]
        return self.dataset.value(self, self.module.by_name[name])


class Dataset:
    """The generated side of the CRM org for one seed and scale."""

    def __init__(self, seed: int, count: int, time_zone: str = ORG_TIME_ZONE) -> None:
        """`count` records per module that has records."""
        self.seed = seed
        self.time_zone = time_zone
        self.count = count
        """Generated records of every module without an entry in `counts`."""
        self.counts: dict[str, int] = {}
        """Per-module generated record counts (tests keep most modules small)."""
        self._timelines: dict[str, tuple[int, int, int, int]] = {}
        self._keys: dict[tuple[str, str], int] = {}
        self._plans: dict[tuple[str, tuple[FieldSpec, ...]], tuple[PlannedField, ...]] = {}
        self.display_name: Callable[[str, int], str | None] = self.generated_display_name
        """Resolves lookup names; the store replaces it to honour renamed records."""
        self.now: Callable[[], int] = lambda: int(time.time())
        """The emulator's clock (formula fields move with it); the store wires it."""

    # ---- times -------------------------------------------------------------------
    def count_of(self, module: str) -> int:
        """Generated records of a module."""
        return self.counts.get(module, self.count)

    def _timeline(self, module: str) -> tuple[int, int, int, int]:
        """(count, step, lag, start): a module's history spreads its records over SPAN."""
        timeline = self._timelines.get(module)
        if timeline is None:
            count = max(self.count_of(module), 1)
            lag = max(MIN_LAG, SPAN // count + 1)
            timeline = (count, max(SPAN // count, 1), lag, ANCHOR_END - SPAN - lag)
            self._timelines[module] = timeline
        return timeline

    def created_time(self, module: str, index: int) -> int:
        """Epoch seconds the generated record was created (grows with the index)."""
        count, step, _, start = self._timeline(module)
        jitter = bits_of(self._key(module, "created"), index) % step
        return start + (index * SPAN) // count + jitter

    def modified_time(self, module: str, index: int) -> int:
        """Epoch seconds the generated record was last modified (grows with the index)."""
        count, step, lag, start = self._timeline(module)
        jitter = bits_of(self._key(module, "modified"), index) % step
        return start + (index * SPAN) // count + lag + jitter

    def first_index_modified_since(self, module: str, since: int) -> int:
        """The lowest generated index whose `Modified_Time` is at or after `since`."""
        low, high = 0, self.count_of(module)
        while low < high:
            middle = (low + high) // 2
            if self.modified_time(module, middle) < since:
                low = middle + 1
            else:
                high = middle
        return low

    def is_converted(self, index: int) -> bool:
        """Whether generated Lead `index` was converted (created Leads start unconverted)."""
        return (
            index < self.count_of("Leads")
            and bits_of(self._key("Leads", "converted"), index) % CONVERTED_ONE_IN == 0
        )

    # ---- values --------------------------------------------------------------------
    def _key(self, module: str, name: str) -> int:
        key = self._keys.get((module, name))
        if key is None:
            key = key_of(self.seed, module, name)
            self._keys[(module, name)] = key
        return key

    def context(
        self, module: ModuleSpec, index: int, overrides: dict[str, Any] | None = None
    ) -> RecordContext:
        """A context for generating the record at `index` (generated times)."""
        return RecordContext(
            module,
            index,
            self.created_time(module.api_name, index),
            self.modified_time(module.api_name, index),
            overrides or {},
            self,
        )

    def value(self, record: RecordContext, spec: FieldSpec) -> Any:  # noqa: ANN401
        """The generated value of one field of one record."""
        bits = bits_of(self._key(record.module.api_name, spec.api_name), record.index)
        if spec.null_rate and (bits & 0xFFFF) < spec.null_rate * 0x10000:
            return None
        return GENERATORS[spec.gen](self, spec, bits >> 16, record)

    def plan(self, module: ModuleSpec, fields: tuple[FieldSpec, ...]) -> tuple[PlannedField, ...]:
        """Per-field keys and generators resolved once, for the hot path of list pages."""
        cache_key = (module.api_name, fields)
        planned = self._plans.get(cache_key)
        if planned is None:
            planned = tuple(
                PlannedField(
                    spec.api_name,
                    self._key(module.api_name, spec.api_name),
                    int(spec.null_rate * 0x10000),
                    GENERATORS[spec.gen],
                    spec,
                )
                for spec in fields
            )
            if len(self._plans) > 256:  # noqa: PLR2004 - bounded: field sets come from clients
                self._plans.clear()
            self._plans[cache_key] = planned
        return planned

    def values(self, record: RecordContext, planned: tuple[PlannedField, ...]) -> dict[str, Any]:
        """The values of the planned fields of one record (mutations win)."""
        overrides = record.overrides
        index = record.index
        body: dict[str, Any] = {}
        for name, key, null_below, generate, spec in planned:
            if name in overrides:
                body[name] = overrides[name]
                continue
            bits = hash((key, index)) & MASK  # `bits_of`, inlined on the hot path
            body[name] = (
                None if (bits & 0xFFFF) < null_below else generate(self, spec, bits >> 16, record)
            )
        return body

    def generated_display_name(self, module: str, index: int) -> str | None:
        """The display name of a generated record (lookups show it as `name`)."""
        spec = BY_NAME[module]
        name = self.context(spec, index).get(spec.display_field)
        return None if name is None else str(name)

    def lookup(self, module: str, bits: int) -> dict[str, str] | None:
        """A `{name, id}` lookup to a record of `module` chosen by `bits`."""
        count = self.count_of(module)
        if count == 0:
            return None
        index = bits % count
        name = self.display_name(module, index)
        if name is None:
            return None
        return {"name": name, "id": record_id(module, index)}

    def dt(self, epoch: int) -> str:
        """A CRM datetime string in the org's time zone."""
        return format_datetime(epoch, self.time_zone)

    def date(self, epoch: int) -> str:
        """A CRM date string (local date in the org's time zone)."""
        return format_date(epoch, self.time_zone)

    def subform_rows(self, record: RecordContext, spec: FieldSpec) -> list[dict[str, Any]]:
        """Line items of a subform: 1 to 4 rows with their own ids."""
        sub_module = spec.subform_module or spec.api_name
        base = mix(self._key(record.module.api_name, spec.api_name) ^ record.index)
        rows = []
        for row in range(1 + base % 4):
            bits = mix(base ^ (row + 1))
            product = self.lookup("Products", bits)
            quantity = float(1 + (bits >> 8) % 20)
            price = round(5 + ((bits >> 16) % 2_500_000) / 100, 2)
            discount = round(((bits >> 40) % 1_000) / 100, 2)
            rows.append(
                {
                    "id": str(
                        ID_PREFIX
                        + SUBFORM_NUMBERS[sub_module] * MODULE_ID_SPAN
                        + record.index * 8
                        + row
                    ),
                    "Product_Name": product,
                    "Quantity": quantity,
                    "List_Price": price,
                    "Discount": discount,
                    "Total": round(quantity * price - discount, 2),
                    "Description": None,
                    "Parent_Id": {
                        "name": record.get(record.module.display_field),
                        "id": record_id(record.module.api_name, record.index),
                    },
                    "Created_Time": self.dt(record.created),
                    "Modified_Time": self.dt(record.modified),
                }
            )
        return rows


def _place(bits: int) -> tuple[str, str, str, str]:
    return pick(words.PLACES, bits)


def _money(lo: int, hi: int, bits: int) -> float:
    return round(lo + (bits % ((hi - lo) * 100 + 1)) / 100, 2)


def _company(bits: int) -> str:
    return (
        f"{pick(words.COMPANY_WORDS, bits)} {pick(words.COMPANY_KINDS, bits >> 8)} "
        f"{pick(words.COMPANY_SUFFIXES, bits >> 16)}"
    )


def _name_bits(data: Dataset, record: RecordContext) -> int:
    return bits_of(data._key(record.module.api_name, "person"), record.index)  # noqa: SLF001


def _int_arg(spec: FieldSpec, position: int) -> int:
    value = spec.args[position]
    if not isinstance(value, int | float):
        msg = f"field {spec.api_name}: argument {position} must be a number"
        raise TypeError(msg)
    return int(value)


def _float_arg(spec: FieldSpec, position: int) -> float:
    value = spec.args[position]
    if not isinstance(value, int | float):
        msg = f"field {spec.api_name}: argument {position} must be a number"
        raise TypeError(msg)
    return float(value)


def _double(spec: FieldSpec, bits: int) -> float:
    lo, hi = _float_arg(spec, 0), _float_arg(spec, 1)
    decimals = spec.decimals if spec.decimals is not None else 2
    scale = 10**decimals
    return float(round(lo + (bits % int((hi - lo) * scale + 1)) / scale, decimals))


def _first(data: Dataset, record: RecordContext) -> str:
    return pick(words.FIRST_NAMES, _name_bits(data, record))


def _last(data: Dataset, record: RecordContext) -> str:
    return pick(words.LAST_NAMES, _name_bits(data, record) >> 12)


def _owner(data: Dataset, bits: int, record: RecordContext, salt: str) -> dict[str, str]:
    # Each owner field has its own key, so its bits already differ per field and record.
    del data, record, salt
    return pick(USERS, bits).minified


def _autonumber(spec: FieldSpec, record: RecordContext) -> str:
    return f"{spec.args[0]}{record.index + 1:06d}"


def _expected_revenue(record: RecordContext) -> float | None:
    amount, probability = record.get("Amount"), record.get("Probability")
    if amount is None or probability is None:
        return None
    return round(float(amount) * float(probability) / 100, 2)


def _grand_total(record: RecordContext) -> float:
    return round(float(record.get("Sub_Total") or 0) + float(record.get("Tax") or 0), 2)


def _days_since(data: Dataset, record: RecordContext) -> float:
    # A formula: it moves with the emulator's clock without bumping Modified_Time.
    return float(max((data.now() - record.created) // DAY, 0))


def _multiselectlookup(data: Dataset, spec: FieldSpec, bits: int) -> list[dict[str, Any]]:
    target = str(spec.args[0])
    rows = []
    for row in range(1 + bits % 3):
        linked = data.lookup(target, mix(bits ^ row))
        rows.append(
            {target[:-1]: linked, "id": str(ID_PREFIX + 33 * MODULE_ID_SPAN + bits % 10**8 + row)}
        )
    return rows


def _tax_objects(spec: FieldSpec, bits: int) -> list[dict[str, str]]:
    """Products `Tax`: a multi-select of `{id, value}` objects, not plain strings.

    Zoho's official SDK models it as `record.Tax` objects; a client typing it as strings
    would reject every product.
    """
    chosen = sorted({pick(spec.picklist, bits), pick(spec.picklist, bits >> 8)},
                    key=spec.picklist.index)  # fmt: skip
    return [{"id": str(TAX_ID_BASE + spec.picklist.index(name)), "value": name} for name in chosen]


def _tags(bits: int) -> list[dict[str, str]]:
    """`Tag`: one or two of the org's tags, `{name, id, color_code}` as Zoho sends them."""
    if bits % 5 < 3:  # noqa: PLR2004 - three records in five are untagged
        return []
    chosen = sorted({bits % len(TAGS), (bits >> 8) % len(TAGS)})[: 1 + (bits >> 16) % 2]
    return [
        {"name": TAGS[n][0], "id": str(TAG_ID_BASE + n), "color_code": TAGS[n][1]} for n in chosen
    ]


def _files(bits: int, record: RecordContext) -> list[dict[str, Any]]:
    return [
        {
            "File_Name__s": f"visit-{record.index + 1}-{photo + 1}.jpg",
            "File_Id__s": f"{bits % 10**12:012x}{photo}",
            "Size__s": str(40_000 + (bits >> photo) % 900_000),
            "id": str(ID_PREFIX + 34 * MODULE_ID_SPAN + record.index * 4 + photo),
        }
        for photo in range(1 + bits % 2)
    ]


GENERATORS: dict[str, Callable[[Dataset, FieldSpec, int, RecordContext], Any]] = {
    "owner": lambda d, s, b, r: _owner(d, b, r, "owner"),
    "created_by": lambda d, s, b, r: _owner(d, b, r, "created_by"),
    "modified_by": lambda d, s, b, r: _owner(d, b, r, "modified_by"),
    "created_time": lambda d, s, b, r: d.dt(r.created),
    "modified_time": lambda d, s, b, r: d.dt(r.modified),
    "first_name": lambda d, s, b, r: _first(d, r),
    "last_name": lambda d, s, b, r: _last(d, r),
    "full_name": lambda d, s, b, r: f"{r.get('First_Name') or ''} {r.get('Last_Name')}".strip(),
    "company": lambda d, s, b, r: _company(b),
    "designation": lambda d, s, b, r: pick(words.DESIGNATIONS, b),
    "department": lambda d, s, b, r: pick(words.DEPARTMENTS, b),
    "email": lambda d, s, b, r: (
        f"{_first(d, r).lower()}.{_last(d, r).lower()}{r.index}@"
        f"{pick(words.COMPANY_WORDS, b).lower()}.example.com"
    ),
    "phone": lambda d, s, b, r: f"+91 {70000 + b % 29999} {b % 100000:05d}",
    "website": lambda d, s, b, r: (
        f"https://www.{pick(words.COMPANY_WORDS, b).lower()}{b % 997}.example.com"
    ),
    "street": lambda d, s, b, r: f"{1 + b % 400} {pick(words.STREETS, b >> 9)}",
    "city": lambda d, s, b, r: _place(b)[0],
    "state": lambda d, s, b, r: _place(b)[1],
    "country": lambda d, s, b, r: _place(b)[2],
    "zip": lambda d, s, b, r: f"{_place(b)[3]}{b % 1000:03d}",
    "picklist": lambda d, s, b, r: pick(s.picklist, b),
    "multipicklist": lambda d, s, b, r: sorted(
        {pick(s.picklist, b), pick(s.picklist, b >> 8)}, key=s.picklist.index
    ),
    "tax_objects": lambda d, s, b, r: _tax_objects(s, b),
    "tags": lambda d, s, b, r: _tags(b),
    "int": lambda d, s, b, r: _int_arg(s, 0) + b % (_int_arg(s, 1) - _int_arg(s, 0) + 1),
    "money": lambda d, s, b, r: _money(_int_arg(s, 0), _int_arg(s, 1), b),
    "double": lambda d, s, b, r: _double(s, b),
    "bigint": lambda d, s, b, r: str(10**15 + b % 9 * 10**15 + b % 10**12),
    "bool": lambda d, s, b, r: (b % 1000) < _float_arg(s, 0) * 1000,
    "sentence": lambda d, s, b, r: pick(words.SENTENCES, b),
    "after_created": lambda d, s, b, r: d.dt(
        r.created + _int_arg(s, 0) + b % (_int_arg(s, 1) - _int_arg(s, 0) + 1)
    ),
    "after_created_date": lambda d, s, b, r: d.date(
        r.created + (_int_arg(s, 0) + b % (_int_arg(s, 1) - _int_arg(s, 0) + 1)) * DAY
    ),
    "created_date": lambda d, s, b, r: d.date(r.created),
    "birth_date": lambda d, s, b, r: d.date(ANCHOR_END - (22 * 365 + b % (40 * 365)) * DAY),
    "converted": lambda d, s, b, r: d.is_converted(r.index),
    "converted_time": lambda d, s, b, r: d.dt(r.modified) if d.is_converted(r.index) else None,
    "lookup": lambda d, s, b, r: d.lookup(str(s.args[0]), b),
    "parent_lookup": lambda d, s, b, r: d.lookup(str(s.args[0]), b),
    "autonumber": lambda d, s, b, r: _autonumber(s, r),
    "formula_expected_revenue": lambda d, s, b, r: _expected_revenue(r),
    "formula_grand_total": lambda d, s, b, r: _grand_total(r),
    "formula_days": lambda d, s, b, r: _days_since(d, r),
    "subform": lambda d, s, b, r: d.subform_rows(r, s),
    "multiselectlookup": lambda d, s, b, r: _multiselectlookup(d, s, b),
    "fileupload": lambda d, s, b, r: _files(b, r),
    "account_number": lambda d, s, b, r: f"ACC-{r.index + 1:07d}",
    "gstin": lambda d, s, b, r: f"29{b % 10**5:05d}{chr(65 + b % 26)}1Z{b % 10}",
    "pan": lambda d, s, b, r: f"ABCPK{b % 10**4:04d}{chr(65 + (b >> 8) % 26)}",
    "deal_name": lambda d, s, b, r: (
        f"{_company(b).split(' ')[0]} {pick(words.PRODUCT_NOUNS, b >> 20)} deal"
    ),
    "next_step": lambda d, s, b, r: pick(words.NEXT_STEPS, b),
    "product_name": lambda d, s, b, r: (
        f"{pick(words.PRODUCT_ADJECTIVES, b)} {pick(words.PRODUCT_NOUNS, b >> 8)} {r.index + 1}"
    ),
    "sku": lambda d, s, b, r: f"SKU-{r.index + 1:07d}",
    "order_subject": lambda d, s, b, r: f"Order {r.index + 1} - {_company(b).split(' ')[0]}",
    "invoice_subject": lambda d, s, b, r: f"Invoice {r.index + 1} - {_company(b).split(' ')[0]}",
    "visit_name": lambda d, s, b, r: f"Visit {r.index + 1} - {_place(b)[0]}",
    "case_subject": lambda d, s, b, r: f"{pick(words.CASE_TOPICS, b)} #{r.index + 1}",
    "campaign_name": lambda d, s, b, r: f"{pick(words.CAMPAIGN_KINDS, b)} {2023 + b % 3}",
}
