"""The emulator's webhook sender follows the `webhook-form-deliveries` switch however it is set."""

from __future__ import annotations

from zoho_emulator.emulator import Emulator
from zoho_emulator.settings import EmulatorSettings

ORG = "10234695"


def _shape(emulator: Emulator) -> str:
    registration = emulator.webhooks.register("http://127.0.0.1:9/hook", entities=["invoices"])
    record = next(iter(emulator.finance.records(ORG, "invoices")))
    _, headers = emulator.webhooks.request(registration, "invoices", record)
    return headers["Content-Type"]


def test_switch_from_settings_reaches_the_sender() -> None:
    """Set at start-up (`--answer`, `run_emulator(answers=...)`), not only by the control API."""
    plain = Emulator(EmulatorSettings(scale=3))
    assert _shape(plain).startswith("application/json")
    form = Emulator(EmulatorSettings(scale=3, answers=frozenset({"webhook-form-deliveries"})))
    assert _shape(form).startswith("application/x-www-form-urlencoded")


def test_switch_flipped_at_run_time_applies_to_the_next_delivery() -> None:
    emulator = Emulator(EmulatorSettings(scale=3))
    emulator.answers.set({"webhook-form-deliveries"})
    assert _shape(emulator).startswith("application/x-www-form-urlencoded")
