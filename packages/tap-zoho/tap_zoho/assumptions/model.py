"""One entry of the assumptions register: a Zoho behaviour the product relies on."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Assumption:
    """Something Zoho's docs do not promise (or promise ambiguously) that we rely on.

    Each entry says how the very response that carries the behaviour is checked, and
    what the product does when the check fails. The fallback is never silent: the
    `FallbackLedger` warns once per stream and run and counts every use.
    """

    id: str
    """Stable id (`list.sort-echo`); log lines, the run summary and the doctor use it."""
    applies_to: str
    """Which products, entities or calls."""
    we_assume: str
    """The behaviour the fast or simple path relies on."""
    docs_say: str
    """What Zoho's docs and OpenAPI files say (or do not)."""
    verified_by: str
    """The check made on the response that carries the behaviour."""
    fallback: str
    """What happens when the check fails: safe, and loud."""
    emulator_answer: str
    """The emulator switch (`zoho-emulator serve --answer NAME`) that gives the other
    answer; the `docs-only` profile turns every one on."""
