"""What tests, the demo and benchmarks import to get a running emulator."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from zoho_emulator.server import RunningEmulator
from zoho_emulator.server import run_emulator as _run
from zoho_emulator.settings import EmulatorSettings

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["RunningEmulator", "run_emulator"]


@contextmanager
def run_emulator(**settings: Any) -> Iterator[RunningEmulator]:  # noqa: ANN401
    """Serve an emulator with `EmulatorSettings(**settings)` on a free loopback port.

    Example:
        with run_emulator(seed=7, scale=50, requests_per_minute=0) as zoho:
            requests.post(f"{zoho.base_url}/oauth/v2/token", params=...)
    """
    with _run(EmulatorSettings(**settings)) as running:
        yield running
