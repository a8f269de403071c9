"""When each generated record was created and last modified, without storing either.

Creation times grow strictly with the record index across a fixed span, so "records
created at or after T" is an index range found by bisection. A record's last
modification lies at most `RECENT_EDIT` after its creation, except for a sparse
arithmetic subset (`LATE_EDIT_PERIOD`) edited up to `LATE_EDIT` later (an old invoice paid
months after it was raised). So a `last_modified_time >= T` filter only has to look at
records created after `T - RECENT_EDIT` plus a few thousand late-edited ones, never at all
records, even at a million per entity.
"""

from __future__ import annotations

from datetime import UTC, datetime

from zoho_emulator.finance.rand import mix

DATA_END = int(datetime(2026, 6, 30, tzinfo=UTC).timestamp())
"""Generated history ends here (fixed, so the same seed gives the same data any day)."""
DATA_SPAN = 3 * 365 * 86_400
DATA_START = DATA_END - DATA_SPAN
RECENT_EDIT = 7 * 86_400
LATE_EDIT = 400 * 86_400
LATE_EDIT_PERIOD = 97
LATE_EDIT_PHASE = 13
_LMT_SALT = 0x1A57_ED17


class Timeline:
    """Creation and modification instants of the generated records of one entity."""

    __slots__ = ("_key", "_step", "count")

    def __init__(self, key: int, count: int) -> None:
        """`count` generated records spread over the data span."""
        self._key = key
        self.count = count
        self._step = max(DATA_SPAN // max(count, 1), 1)

    def created(self, index: int) -> int:
        """Epoch second the record was created (strictly increasing in `index`)."""
        base = DATA_START + index * DATA_SPAN // self.count
        jitter = mix(self._key ^ index) % self._step if self._step > 1 else 0
        return base + jitter

    def modified(self, index: int) -> int:
        """Epoch second of the record's last modification (never before creation)."""
        return self.times(index)[1]

    def times(self, index: int) -> tuple[int, int]:
        """(created, last modified) epoch seconds of a generated record."""
        created = self.created(index)
        bits = mix(self._key ^ _LMT_SALT ^ index)
        if index % LATE_EDIT_PERIOD == LATE_EDIT_PHASE:
            delta = bits % LATE_EDIT
        elif bits % 100 < 70:  # noqa: PLR2004 - most records are edited within minutes
            delta = (bits >> 8) % 600
        else:
            delta = (bits >> 8) % RECENT_EDIT
        return created, min(created + delta, max(DATA_END, created))

    def first_created_at_or_after(self, epoch: int) -> int:
        """The smallest index created at or after `epoch` (`count` if none)."""
        low, high = 0, self.count
        while low < high:
            middle = (low + high) // 2
            if self.created(middle) < epoch:
                low = middle + 1
            else:
                high = middle
        return low

    def modified_candidates(self, epoch: int) -> tuple[int, range, range]:
        """Where records modified at or after `epoch` can be.

        Returns `(dense_start, window, late)`: every index from `dense_start` on
        qualifies; indices in `window` and the late-edit progression `late` must be
        checked one by one.
        """
        dense_start = self.first_created_at_or_after(epoch)
        window_start = self.first_created_at_or_after(epoch - RECENT_EDIT)
        late_start = self.first_created_at_or_after(epoch - LATE_EDIT)
        first_late = late_start + (LATE_EDIT_PHASE - late_start) % LATE_EDIT_PERIOD
        late = range(first_late, window_start, LATE_EDIT_PERIOD)
        return dense_start, range(window_start, dense_start), late
