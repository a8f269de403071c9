"""The record normaliser: Zoho's type surprises coerced, never a record dropped."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from tap_zoho.normalize import RecordNormalizer

if TYPE_CHECKING:
    import pytest

SCHEMA = {"properties": {
    "rate": {"type": ["number", "null"]},
    "cf_colours": {"type": ["array", "null"], "items": {"type": "string"}},
    "cf_colours_unformatted": {"type": ["array", "null"], "items": {"type": "string"}},
    "cf_budget": {"type": ["number", "null"]},
    "cf_budget_unformatted": {"type": ["number", "null"]},
    "tags": {"type": ["array", "null"]},
}}  # fmt: skip


def test_numeric_strings_and_empty_strings_are_coerced() -> None:
    record = RecordNormalizer("books_items", SCHEMA)({"rate": "1,250.50", "tags": ""})
    assert record == {"rate": 1250.5, "tags": None}


def test_custom_fields_take_their_typed_unformatted_twin(caplog: pytest.LogCaptureFixture) -> None:
    """Zoho flattens formatted text into cf_<name>; the typed column takes the real value."""
    record = RecordNormalizer("books_invoices", SCHEMA)({
        "cf_colours": "Red, Blue", "cf_colours_unformatted": ["Red", "Blue"],
        "cf_budget": "₹1,234.50", "cf_budget_unformatted": 1234.5,
    })  # fmt: skip
    assert record["cf_colours"] == ["Red", "Blue"]
    assert record["cf_budget"] == 1234.5
    assert "unexpected type" not in caplog.text


def test_a_surprise_without_a_twin_is_kept_and_warned_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    normalise = RecordNormalizer("books_items", SCHEMA)
    with caplog.at_level(logging.WARNING):
        first = normalise({"tags": "a, b", "rate": "n/a"})
        normalise({"tags": "c", "rate": "n/a"})
    assert first == {"tags": "a, b", "rate": "n/a"}, "never dropped"
    assert caplog.text.count("'tags'") == 1
    assert caplog.text.count("'rate'") == 1
