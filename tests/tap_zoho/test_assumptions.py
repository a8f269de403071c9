"""The assumptions register, its docs page and the emulator's other answers agree."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import requests

from tap_zoho.assumptions import REGISTER, FallbackLedger
from tap_zoho.assumptions.render import markdown
from zoho_emulator.answers import ANSWERS, PROFILES, UnknownAnswerError, validate
from zoho_emulator.testing import run_emulator

DOCS = Path(__file__).resolve().parents[2] / "docs" / "assumptions.md"


def test_docs_page_is_the_rendered_register() -> None:
    assert DOCS.read_text() == markdown(REGISTER.values()), (
        "docs/assumptions.md is stale: python -m tap_zoho.assumptions > docs/assumptions.md"
    )


def test_every_entry_has_an_emulator_answer_and_back() -> None:
    by_entry = {answer.assumption: name for name, answer in ANSWERS.items()}
    for entry in REGISTER.values():
        assert entry.emulator_answer in ANSWERS, f"{entry.id}: no emulator switch"
        assert ANSWERS[entry.emulator_answer].assumption == entry.id
    assert set(by_entry) == set(REGISTER), "a switch names an assumption the register lacks"
    assert PROFILES["docs-only"] == frozenset(ANSWERS)


def test_unknown_answer_is_refused_with_the_known_ones() -> None:
    with pytest.raises(UnknownAnswerError, match="sort-ignored"):
        validate(["no-such-answer"])


def test_ledger_warns_once_per_stream_and_counts_every_use(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ledger = FallbackLedger(REGISTER)
    with caplog.at_level(logging.WARNING, logger="tap_zoho.assumptions"):
        for _ in range(3):
            ledger.fell_back(
                "list.sort-echo", stream="books_contacts", organization_id="1",
                detail="page_context echoes sort_order A",
            )  # fmt: skip
        ledger.fell_back("list.sort-echo", stream="inventory_packages", detail="no echo")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert "books_contacts (organization 1)" in warnings[0].getMessage()
    assert ledger.count("list.sort-echo") == 4
    assert ledger.count("list.sort-echo", "books_contacts") == 3
    assert ledger.summary() == {"list.sort-echo": {"books_contacts": 3, "inventory_packages": 1}}
    with pytest.raises(KeyError):
        ledger.fell_back("no.such", stream="s", detail="d")


def test_control_api_sets_profiles_and_answers() -> None:
    with run_emulator(scale=5, answers=frozenset({"sort-ignored"})) as zoho:
        url = f"{zoho.base_url}/__emulator/answers"
        assert requests.get(url, timeout=10).json()["on"] == ["sort-ignored"]
        body = requests.post(url, json={"profile": "docs-only"}, timeout=10).json()
        assert body["on"] == sorted(ANSWERS)
        assert zoho.emulator.answers("no-page-context")
        refused = requests.post(url, json={"answers": ["nope"]}, timeout=10)
        assert refused.status_code == 400
        assert "nope" in refused.json()["error"]
        assert requests.post(url, json={}, timeout=10).json()["on"] == []
