"""One switch of the emulator's other answers (collected in `zoho_emulator.answers`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OtherAnswer:
    """One switch: what the emulator answers instead, and which assumption it tests."""

    name: str
    """The switch's name on the command line and the control API (`--answer NAME`)."""
    assumption: str
    """The id of the tap's register entry this answer exercises."""
    answer: str
    """What the emulator answers when the switch is on, in one sentence."""
