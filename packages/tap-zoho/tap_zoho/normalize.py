"""Make Zoho records match their schema without ever dropping one.

Zoho sends datetimes with the organization's offset (`2024-01-05T11:02:33+0530`), `""`
for empty numbers and dates, and numbers as strings in places (custom fields). Every
record is coerced to its schema here; a value that cannot be coerced is kept as it
came and the field is reported once per stream.

Two things are never lost, because the raw layer must hold everything Zoho sent (see
docs/assumptions.md, `record.declared-fields` and `value.datetime-range`):
- keys the schema does not declare go into the record's `zoho_extra` object (when the
  schema declares it: every Books/Inventory schema does);
- a datetime that cannot be represented in UTC (`0001-01-01T00:00:00+0530` is year 0 in
  UTC) becomes null, and the text Zoho sent is kept in `zoho_unparsed`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from tap_zoho.timefmt import OutOfRangeError, to_utc

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

logger = logging.getLogger("tap_zoho.normalize")

EXTRA_KEY = "zoho_extra"
"""Object property holding the keys Zoho sent that the stream's schema does not declare."""
UNPARSED_KEY = "zoho_unparsed"
"""Object property holding the original text of values that had to be emitted as null."""


class _Surprise(ValueError):  # noqa: N818 - internal signal, never escapes
    pass


def utc_datetime(value: Any) -> Any:  # noqa: ANN401 - JSON values
    """`2024-01-05T11:02:33+0530` -> `2024-01-05T05:32:33+00:00`; `""` -> None."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _Surprise
    try:
        return to_utc(value, naive=None).isoformat()
    except OutOfRangeError:
        raise
    except ValueError:
        raise _Surprise from None


def plain_date(value: Any) -> Any:  # noqa: ANN401
    """Dates stay `YYYY-MM-DD`; `""` -> None."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) != 10:  # noqa: PLR2004 - YYYY-MM-DD
        raise _Surprise
    return value


def number(value: Any) -> Any:  # noqa: ANN401
    """Numbers as Zoho sends them, numeric strings parsed, `""` -> None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise _Surprise
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return float(value.replace(",", ""))
        except ValueError:
            raise _Surprise from None
    raise _Surprise


def integer(value: Any) -> Any:  # noqa: ANN401
    """Integers; `"3"` and `3.0` become 3, `""` -> None."""
    parsed = number(value)
    if parsed is None or isinstance(parsed, int):
        return parsed
    if float(parsed).is_integer():
        return int(parsed)
    raise _Surprise


def boolean(value: Any) -> Any:  # noqa: ANN401
    """Booleans; `"true"`/`"false"` parsed, `""` -> None."""
    if value is None or value == "" or isinstance(value, bool):
        return value if value != "" else None
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    raise _Surprise


def container(kind: type) -> Callable[[Any], Any]:
    """Arrays and objects; `""` (Zoho's empty `documents`) -> None."""

    def convert(value: Any) -> Any:  # noqa: ANN401
        if value is None or value == "":
            return None
        if not isinstance(value, kind):
            raise _Surprise
        return value

    return convert


def converter_for(prop: Mapping[str, Any]) -> Callable[[Any], Any] | None:  # noqa: PLR0911
    """The converter of one JSON-schema property (None: strings, kept as they are)."""
    types = prop.get("type", [])
    types = [types] if isinstance(types, str) else list(types)
    if "string" in types:
        fmt = prop.get("format")
        if fmt == "date-time":
            return utc_datetime
        if fmt == "date":
            return plain_date
        return None
    if "integer" in types:
        return integer
    if "number" in types:
        return number
    if "boolean" in types:
        return boolean
    if "array" in types:
        return container(list)
    if "object" in types:
        return container(dict)
    return None


class RecordNormalizer:
    """Applies a schema's converters to records of one stream."""

    def __init__(
        self,
        stream_name: str,
        schema: Mapping[str, Any],
        *,
        on_fallback: Callable[[str, str], None] | None = None,
    ) -> None:
        """Precompute one converter per non-string property.

        Args:
            stream_name: named in warnings.
            schema: the stream's JSON schema.
            on_fallback: called with (assumption id, what was observed) each time a
                record needs `zoho_extra` or `zoho_unparsed` (the tap's FallbackLedger).
        """
        self.stream_name = stream_name
        self.on_fallback = on_fallback
        self._converters: dict[str, Callable[[Any], Any]] = {}
        properties = schema.get("properties", {})
        self._known = frozenset(properties)
        self._keeps_extra = EXTRA_KEY in properties
        self._keeps_unparsed = UNPARSED_KEY in properties
        self._reported_unknown: set[str] = set()
        for name, prop in schema.get("properties", {}).items():
            convert = converter_for(prop)
            if convert is not None:
                self._converters[name] = convert
        self._warned: set[str] = set()

    def __call__(self, record: dict[str, Any]) -> dict[str, Any]:
        """Coerce in place and return the record, without properties the schema lacks.

        This replaces the SDK's generic per-record conformance (the streams set it to
        NONE): the same result, computed from converters prepared once per stream.
        """
        if not self._known.issuperset(record):
            record = self._keep_unknown(record) if self._keeps_extra else self._drop_unknown(record)
        for name, convert in self._converters.items():
            if name not in record:
                continue
            value = record[name]
            try:
                record[name] = convert(value)
            except OutOfRangeError:
                self._out_of_range(record, name, value)
            except _Surprise:
                if not _from_unformatted(record, name, convert):
                    self._warn(name, value)
        return record

    def _keep_unknown(self, record: dict[str, Any]) -> dict[str, Any]:
        """Move undeclared keys into `zoho_extra`: the raw layer keeps every key Zoho sent."""
        extra = {key: value for key, value in record.items() if key not in self._known}
        kept = {key: value for key, value in record.items() if key in self._known}
        previous = kept.get(EXTRA_KEY)
        kept[EXTRA_KEY] = {**previous, **extra} if isinstance(previous, dict) else extra
        if self.on_fallback is not None:
            self.on_fallback(
                "record.declared-fields", f"undeclared keys {', '.join(sorted(extra)[:10])}"
            )
        elif not self._reported_unknown.issuperset(extra):
            self._reported_unknown |= extra.keys()
            logger.warning(
                "Stream %s: properties not in the schema are kept in %s: %s",
                self.stream_name, EXTRA_KEY, ", ".join(sorted(extra)),
            )  # fmt: skip
        return kept

    def _out_of_range(self, record: dict[str, Any], name: str, value: Any) -> None:  # noqa: ANN401
        """Null instead of a value no UTC datetime can hold; the text is kept, the use counted."""
        record[name] = None
        if self._keeps_unparsed:
            unparsed = record.get(UNPARSED_KEY)
            if not isinstance(unparsed, dict):
                unparsed = record[UNPARSED_KEY] = {}
            unparsed[name] = value
        if self.on_fallback is not None:
            self.on_fallback(
                "value.datetime-range", f"{name} {value!r} is outside years 1-9999 in UTC"
            )
        elif name not in self._warned:
            self._warned.add(name)
            logger.warning(
                "Stream %s: field %r holds %r, outside years 1-9999 in UTC; emitted as null",
                self.stream_name, name, value,
            )  # fmt: skip

    def _drop_unknown(self, record: dict[str, Any]) -> dict[str, Any]:
        unknown = set(record) - self._known
        new = unknown - self._reported_unknown
        if new:
            self._reported_unknown |= new
            logger.warning(
                "Stream %s: properties not in the catalog schema are left out: %s",
                self.stream_name, ", ".join(sorted(new)),
            )  # fmt: skip
        return {key: value for key, value in record.items() if key in self._known}

    def _warn(self, name: str, value: Any) -> None:  # noqa: ANN401
        if name in self._warned:
            return
        self._warned.add(name)
        logger.warning(
            "Stream %s: field %r has a value of unexpected type %s; kept as sent "
            "(reported once per field)",
            self.stream_name, name, type(value).__name__,
        )  # fmt: skip


def _from_unformatted(record: dict[str, Any], name: str, convert: Callable[[Any], Any]) -> bool:
    """Type a custom field from its `_unformatted` twin when Zoho's flat key will not do.

    Zoho flattens a custom field's *formatted* text into `cf_<name>` (a multi-select as
    `"a, b"`, an amount with the org's currency format) and its typed value into
    `cf_<name>_unformatted`; the typed `cf_*` column takes the latter.
    """
    twin = record.get(f"{name}_unformatted") if name.startswith("cf_") else None
    if twin is None:
        return False
    try:
        record[name] = convert(twin)
    except _Surprise:
        return False
    return True
