"""Deterministic randomness for CRM data: every value is a pure function of its key.

CRM records are generated on demand from `(seed, module, index)`, so nothing may depend
on call order. splitmix64 mixes a key into well-spread bits with a few integer operations,
which keeps a 200-record page cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Sequence

MASK = (1 << 64) - 1
T = TypeVar("T")


def mix(value: int) -> int:
    """The splitmix64 finaliser: 64 well-distributed bits from any integer."""
    value = (value + 0x9E3779B97F4A7C15) & MASK
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & MASK
    return value ^ (value >> 31)


def bits_of(key: int, index: int) -> int:
    """64 random bits for (key, index): the hot path of record generation.

    CPython hashes a tuple of ints with xxHash-style mixing in C, deterministically (hash
    randomisation covers only str/bytes), at a quarter of the cost of `mix` in Python.
    """
    return hash((key, index)) & MASK


def key_of(*parts: int | str) -> int:
    """Fold identifiers (ints or strings) into one 64-bit key, independent of call order."""
    key = 0
    for part in parts:
        number = part if isinstance(part, int) else int.from_bytes(part.encode()[:32], "little")
        key = mix(key ^ (number & MASK))
    return key


def pick(choices: Sequence[T], bits: int) -> T:
    """Choose one element with the given random bits."""
    return choices[bits % len(choices)]
