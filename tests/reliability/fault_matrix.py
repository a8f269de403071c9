"""The fault matrix: every emulator fault x every product, each cell classified.

A cell ends in one of two acceptable outcomes: "completed with exact data" (the run
absorbed the fault) or "stopped with a clear message and resumable state" (the run
stopped, said why without a traceback, and a resume after the fault lifted reached the
exact data). Anything else ("wrong data", "traceback", "not resumable") is a failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests.reliability.reliability_harness import Pipeline, ground_truth_diff
from zoho_emulator.faults import FaultKind, FaultRule
from zoho_emulator.testing import run_emulator

if TYPE_CHECKING:
    from pathlib import Path

COMPLETED = "completed with exact data"
STOPPED = "stopped with a clear message and resumable state"
ACCEPTABLE = (COMPLETED, STOPPED)
PRODUCTS = ("books", "inventory", "crm")


@dataclass(frozen=True)
class Fault:
    """How to provoke one fault: emulator settings and rules for a product's routes."""

    name: str
    settings: dict[str, Any]
    rules: tuple[tuple[FaultKind, dict[str, Any]], ...] = ()
    auth_route: bool = False
    lift_by_clock: float = 0.0
    """Seconds to advance the emulator clock before each resume (daily cap, throttle)."""
    resumes: int = 1
    """Resume runs allowed (a daily cap lets each day's run go a bit further)."""
    per_product: dict[str, dict[str, Any]] | None = None
    """Settings that differ by product (CRM discovery alone needs 16 calls)."""


FAULTS: tuple[Fault, ...] = (
    Fault("5xx burst", {}, ((FaultKind.SERVER_ERROR, {"remaining": 4, "status": 503,
                                                      "after": 3}),)),
    Fault("slow responses", {}, ((FaultKind.SLOW, {"remaining": 3, "delay_seconds": 1.0,
                                                   "after": 2}),)),
    Fault("connection resets", {}, ((FaultKind.CONNECTION_RESET, {"remaining": 3,
                                                                  "after": 4}),)),
    Fault("truncated JSON", {}, ((FaultKind.TRUNCATED_JSON, {"remaining": 3, "after": 5}),)),
    Fault("429 storm", {}, ((FaultKind.RATE_LIMIT_STORM, {"remaining": 1, "after": 2}),)),
    # Books: 17 calls per day and org, one more than its fixed per-run cost (16: one list
    # call per stream and org, full-table lists re-read, custom-field discovery), so that
    # once every stream has been listed one detail call a day is left; a cap below the
    # fixed cost can never finish a run (docs/tap.md).
    Fault("daily cap", {"daily_limit": 15}, lift_by_clock=86_400, resumes=8,
          per_product={"books": {"daily_limit": 17},
                       "crm": {"daily_limit": 0, "crm_daily_credits": 30}}),
    Fault("token revocation", {}, ((FaultKind.REVOKE_TOKENS, {"remaining": 1, "after": 6}),),
          auth_route=True),
    Fault("refresh throttle", {"token_mint_limit": 1, "token_mint_window": 4},
          ((FaultKind.REVOKE_TOKENS, {"remaining": 1, "after": 4}),), auth_route=True,
          lift_by_clock=600),
)


KNOWN_FAILURES: dict[tuple[str, str], str] = {}
"""Cells that fail today, with what happens; a test flips when one gets fixed."""


@dataclass
class Cell:
    """One matrix cell's outcome, as the report prints it."""

    fault: str
    product: str
    outcome: str
    detail: str = ""
    seconds: float = 0.0


def run_cell(  # noqa: PLR0913, PLR0917 - one cell needs each of these
    fault: Fault, product: str, database_url: str, schemas: tuple[str, str],
    work: Path, conn: Any,
) -> Cell:
    """Run one cell end to end and classify it."""
    erp, raw = schemas
    settings = {"scale": 5, "requests_per_minute": 0, "daily_limit": 0, **fault.settings,
                **(fault.per_product or {}).get(product, {})}
    with run_emulator(**settings) as zoho:
        for kind, options in fault.rules:
            route = f"{product}:auth" if fault.auth_route else f"{product}:*"
            zoho.emulator.faults.add(FaultRule(kind, route, **options))
        pipeline = Pipeline(zoho.base_url, database_url, erp, raw, work, products=(product,))
        first = pipeline.run()
        seconds = first.seconds
        if first.has_traceback:
            return Cell(fault.name, product, "traceback", _tail(first), seconds)
        injected = dict(zoho.emulator.faults.injected)
        problems = ground_truth_diff(conn, zoho.emulator, erp, raw, (product,))
        stopped = "Stopping cleanly" in first.tap_log  # a clean stop may leave streams out
        if first.tap_rc == 0 and first.target_rc == 0 and not problems and not stopped:
            return Cell(fault.name, product, COMPLETED, f"injected {injected}", seconds)
        message = first.clear_message()
        if not message:
            return Cell(fault.name, product, "wrong data (no message)",
                        "; ".join(problems)[:300], seconds)
        zoho.emulator.faults.clear()
        state = first.last_state
        for attempt in range(1, fault.resumes + 1):
            if fault.lift_by_clock:
                zoho.emulator.clock.advance(fault.lift_by_clock)
            resumed = pipeline.run(state)
            state = resumed.last_state or state
            seconds += resumed.seconds
            if resumed.has_traceback:
                return Cell(fault.name, product, "traceback on resume", _tail(resumed),
                            seconds)
            problems = ground_truth_diff(conn, zoho.emulator, erp, raw, (product,))
            if resumed.tap_rc == 0 and not problems and "Stopping cleanly" not in resumed.tap_log:
                return Cell(fault.name, product, STOPPED,
                            f"{message} (exact after {attempt} resume(s))", seconds)
            if resumed.tap_rc != 0:
                break
        return Cell(fault.name, product, "not resumable",
                    f"{message} | rc={resumed.tap_rc} {'; '.join(problems)[:300]}", seconds)


def _tail(outcome: Any) -> str:
    lines = outcome.traceback_text().splitlines()
    return " / ".join(lines[-3:])[-400:]


def markdown_table(cells: list[Cell]) -> str:
    """Faults as rows, products as columns."""
    by = {(c.fault, c.product): c for c in cells}
    products = [p for p in PRODUCTS if any(c.product == p for c in cells)]
    lines = ["| fault | " + " | ".join(products) + " |",
             "| --- | " + " | ".join("---" for _ in products) + " |"]
    for fault in FAULTS:
        row = [by[(fault.name, p)].outcome if (fault.name, p) in by else "not run"
               for p in products]
        if any(r != "not run" for r in row):
            lines.append(f"| {fault.name} | " + " | ".join(row) + " |")
    return "\n".join(lines)
