"""A clock tests can move forward, so token expiry and daily limits need no sleeping."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class Clock:
    """Wall-clock time plus an offset that only ever grows."""

    def __init__(self) -> None:
        """Start at real time."""
        self._offset = 0.0
        self._lock = threading.Lock()

    def time(self) -> float:
        """Seconds since the epoch, as the emulator sees them."""
        return time.time() + self._offset

    def monotonic(self) -> float:
        """Monotonic seconds for rolling windows, moved by `advance` like `time`."""
        return time.monotonic() + self._offset

    def now(self) -> datetime:
        """The emulator's current time as an aware UTC datetime."""
        return datetime.fromtimestamp(self.time(), tz=UTC)

    def advance(self, seconds: float) -> None:
        """Jump forward, as if `seconds` had passed (expires tokens, resets windows)."""
        if seconds < 0:
            msg = "the emulator clock only moves forward"
            raise ValueError(msg)
        with self._lock:
            self._offset += seconds
