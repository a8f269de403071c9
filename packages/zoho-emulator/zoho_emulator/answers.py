"""The other answers: switches that make the emulator answer the way Zoho's docs also allow.

The emulator's defaults are one reading of Zoho's docs. Where Zoho's docs are silent or
ambiguous, the tap must check the answer it got and fall back loudly (the tap's
assumptions register, `tap_zoho.assumptions`). Each switch here makes the emulator give
the other plausible answer for one register entry, so that every fallback is exercised
by the tests; the `docs-only` profile turns them all on at once.

Each product part declares its own switches (`zoho_emulator.finance.answers`,
`zoho_emulator.crm.answers`); this module only collects them. The emulator does not
import the tap: each switch names the register entry it exercises as plain text, and a
test checks that the two lists match.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from zoho_emulator.crm.answers import CRM_ANSWERS
from zoho_emulator.finance.answers import FINANCE_ANSWERS

if TYPE_CHECKING:
    from collections.abc import Iterable

    from zoho_emulator.switch import OtherAnswer


def _collect() -> dict[str, OtherAnswer]:
    """Every product's switches by name; a name declared twice is a programming error."""
    collected: dict[str, OtherAnswer] = {}
    for answer in (*FINANCE_ANSWERS, *CRM_ANSWERS):
        if answer.name in collected:
            msg = f"emulator answer {answer.name!r} is declared twice"
            raise ValueError(msg)
        collected[answer.name] = answer
    return collected


ANSWERS: dict[str, OtherAnswer] = _collect()
"""Every switch, by name."""

PROFILES: dict[str, frozenset[str]] = {
    "default": frozenset(),
    "docs-only": frozenset(ANSWERS),
}
"""Named sets of switches: `default` (the emulator's own reading) and `docs-only` (every
behaviour Zoho's docs do not promise answered the other way)."""


class UnknownAnswerError(ValueError):
    """A switch or profile name the emulator does not know."""


def validate(names: Iterable[str]) -> frozenset[str]:
    """The switch names, checked; an unknown one raises with the known ones listed.

    Raises:
        UnknownAnswerError: for a name that is not a declared switch.
    """
    chosen = frozenset(names)
    unknown = sorted(chosen - ANSWERS.keys())
    if unknown:
        known = ", ".join(sorted(ANSWERS))
        msg = f"unknown emulator answer(s) {', '.join(unknown)}; known: {known}"
        raise UnknownAnswerError(msg)
    return chosen


def profile(name: str) -> frozenset[str]:
    """The switches of a named profile.

    Raises:
        UnknownAnswerError: for a profile that does not exist.
    """
    try:
        return PROFILES[name]
    except KeyError:
        msg = f"unknown emulator profile {name!r}; known: {', '.join(PROFILES)}"
        raise UnknownAnswerError(msg) from None


class Answers:
    """The switches on in one running emulator; tests flip them through the control API."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        """Start with the given switches on (checked)."""
        self._on = set(validate(names))

    def __call__(self, name: str) -> bool:
        """Whether a switch is on; a name that is not declared is a programming error."""
        if name not in ANSWERS:
            msg = f"emulator answer {name!r} is not declared"
            raise KeyError(msg)
        return name in self._on

    def set(self, names: Iterable[str]) -> None:
        """Turn exactly these switches on and every other one off."""
        self._on = set(validate(names))

    def on(self) -> list[str]:
        """The switches that are on, sorted."""
        return sorted(self._on)
