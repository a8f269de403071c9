"""What every record builder shares: per-record random bits, ids, money, custom fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from zoho_emulator.finance.rand import (
    COMPANY_KINDS,
    COMPANY_SUFFIXES,
    COMPANY_WORDS,
    FIRST_NAMES,
    LAST_NAMES,
    MASK,
    STREETS,
    key_of,
    mix,
    pick,
)

if TYPE_CHECKING:
    from zoho_emulator.finance.orgs import Organization
    from zoho_emulator.finance.timeline import Timeline

Record = dict[str, Any]


class Lookup(Protocol):
    """Access to other entities of the same organization (names of a customer, an item)."""

    def context(self, organization_id: str, entity: str) -> GenContext:
        """The generation context of another entity in the same organization."""
        ...


@dataclass(frozen=True, slots=True)
class CustomField:
    """A custom field of an entity; values drawn per record from `choices` (or a number)."""

    customfield_id: str
    label: str
    api_name: str
    data_type: str
    choices: tuple[str, ...] = ()
    number_range: int = 0


@dataclass(slots=True)
class GenContext:
    """Everything needed to build any record of one entity in one organization."""

    organization: Organization
    entity: str
    code: int
    key: int
    count: int
    timeline: Timeline
    id_prefix: str
    pattern: tuple[int, ...]
    classes: tuple[dict[str, Any], ...]
    custom_fields: tuple[CustomField, ...]
    lookup: Lookup
    extra: dict[str, Any] = field(default_factory=dict)
    others: dict[str, GenContext] = field(default_factory=dict)
    fields_key: int = 0
    """Identifies `custom_fields` in the value cache: one entity's fields differ between
    organizations and emulators (a test adds one), and cached values must not leak."""

    def set_custom_fields(self, fields: tuple[CustomField, ...]) -> None:
        """Replace the entity's custom fields (an admin added one in this organization)."""
        self.custom_fields = fields
        self.fields_key = hash(fields)

    def record_id(self, index: int) -> str:
        """Zoho-style numeric string id (org-seeded prefix, entity code, index)."""
        return f"{self.id_prefix}{self.code:03d}{index:010d}"

    def index_of(self, record_id: str) -> int | None:
        """Inverse of `record_id`; None when the id is not one of this entity's."""
        prefix = f"{self.id_prefix}{self.code:03d}"
        if len(record_id) != len(prefix) + 10 or not record_id.startswith(prefix):
            return None
        digits = record_id[len(prefix) :]
        return int(digits) if digits.isascii() and digits.isdigit() else None

    def klass(self, index: int) -> dict[str, Any]:
        """The record's class (status, type, ...) from the periodic pattern."""
        return self.classes[self.pattern[index % len(self.pattern)]]

    def bits(self, index: int) -> Bits:
        """The record's random bits."""
        return Bits(mix(self.key ^ (index * 0x9E37_79B9)))

    def other(self, entity: str) -> GenContext:
        """Another entity of the same organization (contexts never change, so cached)."""
        found = self.others.get(entity)
        if found is None:
            found = self.lookup.context(self.organization.organization_id, entity)
            self.others[entity] = found
        return found


class Bits:
    """Random values of one record: `bits(salt)` is a pure function of record and salt."""

    __slots__ = ("base",)

    def __init__(self, base: int) -> None:
        """Wrap the record's base key."""
        self.base = base

    def __call__(self, salt: int) -> int:
        """64 random bits for the given salt.

        One inlined multiply-xorshift round: the base is already well mixed, and this
        runs a dozen times per record.
        """
        value = ((self.base ^ (salt * 0x9E3779B97F4A7C15)) * 0xBF58476D1CE4E5B9) & MASK
        return value ^ (value >> 31)


def money(cents: int) -> float:
    """Zoho sends money as JSON numbers with two decimals."""
    return round(cents / 100, 2)


def person_name(bits: int) -> tuple[str, str]:
    """A first and last name."""
    return pick(FIRST_NAMES, bits), pick(LAST_NAMES, bits >> 12)


def company_name(bits: int) -> str:
    """A plausible company name."""
    return (
        f"{pick(COMPANY_WORDS, bits)} {pick(COMPANY_KINDS, bits >> 10)} "
        f"{pick(COMPANY_SUFFIXES, bits >> 20)}"
    )


CITIES = {
    "India": (
        ("Bengaluru", "Karnataka", "KA", "5600"),
        ("Mumbai", "Maharashtra", "MH", "4000"),
        ("Chennai", "Tamil Nadu", "TN", "6000"),
        ("Pune", "Maharashtra", "MH", "4110"),
        ("New Delhi", "Delhi", "DL", "1100"),
    ),
    "U.S.A": (
        ("San Francisco", "California", "CA", "941"),
        ("Seattle", "Washington", "WA", "981"),
        ("Portland", "Oregon", "OR", "972"),
        ("Austin", "Texas", "TX", "787"),
        ("Denver", "Colorado", "CO", "802"),
    ),
}


def address(organization: Organization, bits: int, attention: str = "") -> Record:
    """A billing/shipping address in the organization's country."""
    city, state, state_code, zip_prefix = pick(CITIES[organization.country], bits)
    return {
        "attention": attention,
        "address": f"{bits % 400 + 1}, {pick(STREETS, bits >> 9)}",
        "street2": "",
        "state_code": state_code,
        "city": city,
        "state": state,
        "zip": f"{zip_prefix}{(bits >> 20) % 100:02d}",
        "country": organization.country,
        "fax": "",
        "phone": phone(organization, bits >> 30),
    }


def phone(organization: Organization, bits: int) -> str:
    """A phone number formatted the way people type them in each country."""
    if organization.country == "India":
        return f"+91 9{bits % 1_000_000_000:09d}"
    return f"+1 {200 + bits % 700}-555-{(bits >> 12) % 10_000:04d}"


SHARED_BITS_FIELDS = 4
"""Fields whose choices share one 64-bit draw (12 bits each); later ones get their own."""
DECIMAL_TYPES = frozenset({"decimal", "amount", "percent"})
TEXT_PREFIXES = {"email": "buyer{}@example.com", "url": "https://example.com/ref/{}"}
DAYS = 2 * 12 * 28
"""Dates: year, month and day drawn from one number."""
DATE_TIMES = DAYS * 12
"""Datetimes: a date and an office hour (08:00 to 19:00)."""


def _date(random: int) -> str:
    return f"20{24 + random % 2}-{random // 2 % 12 + 1:02d}-{random // 24 % 28 + 1:02d}"


def _field_value(  # noqa: PLR0911 - one return per data type
    definition: CustomField, random: int, organization: Organization
) -> tuple[Any, str]:
    """(value, formatted value) of one custom field for some random bits.

    The value's JSON type follows the field's data_type (reference 6, item 7); the
    formatted text is what Zoho flattens into the `cf_<name>` key.
    """
    kind = definition.data_type
    if definition.choices and kind == "multiselect":
        chosen = [c for bit, c in enumerate(definition.choices) if (random + 1) >> bit & 1]
        return chosen, ", ".join(chosen)
    if definition.choices:
        choice = definition.choices[random % len(definition.choices)]
        return choice, choice
    if kind == "date":
        date = _date(random)
        return date, date
    if kind == "date_time":
        day = datetime.fromisoformat(_date(random % DAYS))
        moment = day.replace(hour=8 + random // DAYS % 12, tzinfo=organization.zone)
        text = moment.strftime("%Y-%m-%dT%H:%M:%S%z")
        return text, text
    if kind == "check_box":
        checked = random % 2 == 1
        return checked, "true" if checked else "false"
    number = random % definition.number_range
    if kind in DECIMAL_TYPES:
        amount = round(number / 100, 2)
        return amount, f"{amount:,.2f}"
    if kind == "number":
        return number, str(number)
    text = TEXT_PREFIXES.get(kind, "{}").format(number)
    return text, text


def _variety(definition: CustomField) -> int:
    """How many distinct random inputs matter for a field (for the cache key)."""
    if definition.choices and definition.data_type == "multiselect":
        return int(2 ** len(definition.choices)) - 1  # every non-empty subset
    if definition.choices:
        return len(definition.choices)
    if definition.data_type == "date":
        return DAYS
    if definition.data_type == "date_time":
        return DATE_TIMES
    if definition.data_type == "check_box":
        return 2
    return definition.number_range


def custom_field_values(context: GenContext, bits: Bits, record: Record) -> None:
    """Add `custom_fields` and the flattened `cf_*` keys the way Zoho returns them.

    A record's custom fields depend only on a few small random choices, so the flat keys
    and the array are built once per combination and copied into each record.
    """
    fields = context.custom_fields
    if not fields:
        record["custom_fields"] = []
        return
    random_bits = bits(0xCF00)
    key = (context.key, context.fields_key, *(
        (
            random_bits >> (position * 12)
            if position <= SHARED_BITS_FIELDS
            else bits(0xCF00 + position) >> 12  # added fields: 64 bits run out at 5
        ) % _variety(definition)
        for position, definition in enumerate(fields, start=1)
    ))  # fmt: skip
    cached = _VALUE_LISTS.get(key)
    if cached is None:
        if len(_VALUE_LISTS) > MAX_CACHED_VALUE_LISTS:
            _VALUE_LISTS.clear()
        flat: Record = {}
        values: list[Record] = []
        for position, (definition, random) in enumerate(zip(fields, key[2:], strict=True), 1):
            value, formatted = _field_value(definition, random, context.organization)
            flat[definition.api_name] = formatted
            flat[f"{definition.api_name}_unformatted"] = value
            values.append(
                {**_template(definition, position), "value_formatted": formatted, "value": value}
            )
        cached = (flat, values)
        _VALUE_LISTS[key] = cached
    record.update(cached[0])
    # A fresh list of shared, never-mutated dicts: callers may replace but not edit them.
    record["custom_fields"] = list(cached[1])


_TEMPLATES: dict[tuple[str, int], Record] = {}
_VALUE_LISTS: dict[tuple[int, ...], tuple[Record, list[Record]]] = {}
"""Keyed by (entity key, fields key, random choices); cleared when it grows too big."""
MAX_CACHED_VALUE_LISTS = 50_000


def _template(definition: CustomField, position: int) -> Record:
    """The constant part of a custom field value (built once per field)."""
    key = (definition.customfield_id, position)
    template = _TEMPLATES.get(key)
    if template is None:
        template = {
            "field_id": definition.customfield_id,
            "customfield_id": definition.customfield_id,
            "show_in_all_pdf": False,
            "value_formatted": "",
            "data_type": definition.data_type,
            "index": position,
            "label": definition.label,
            "show_on_pdf": False,
            "edit_on_portal": False,
            "edit_on_store": False,
            "api_name": definition.api_name,
            "show_in_portal": False,
            "is_active": True,
            "value": "",
        }
        _TEMPLATES[key] = template
    return template


def custom_fields_for(
    entity: str, *fields: tuple[str, str, str, tuple[str, ...] | int], scope: str = ""
) -> tuple[CustomField, ...]:
    """Declare an entity's custom fields: (label, api_name, data_type, choices | range).

    `scope` (an organization id) gives a field declared for one organization its own
    id, as Zoho numbers each organization's fields apart.
    """
    declared = []
    for position, (label, api_name, data_type, spec) in enumerate(fields, start=1):
        key = key_of(scope, entity, api_name) if scope else key_of(entity, api_name)
        customfield_id = str(460_000_000_000_000 + key % 1_000_000_000)
        if isinstance(spec, int):
            declared.append(CustomField(customfield_id, label, api_name, data_type, (), spec))
        else:
            declared.append(CustomField(customfield_id, label, api_name, data_type, spec))
        del position
    return tuple(declared)
