"""Which records a list call returns, in order, without touching every record.

A selection is a descending run of generated indices filtered by a periodic class
pattern (answered arithmetically), minus the indices that have a stored mutation, plus
an explicit sorted list (mutated, created and window-checked records). Finding page N
is a bisection on counts; producing it walks both parts together.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field


@dataclass(slots=True)
class Selection:
    """A set of record indices, read newest first (Zoho's default order).

    Indices grow with creation time, so descending index order is `created_time D`.
    """

    dense_start: int = 0
    dense_end: int = 0
    pattern: tuple[int, ...] = (0,)
    allowed: frozenset[int] | None = None
    excluded: list[int] = field(default_factory=list)
    """Sorted indices inside the dense run that must not be returned from it."""
    explicit: list[int] = field(default_factory=list)
    """Sorted indices returned in addition to the dense run (disjoint from it)."""
    _prefix: list[int] = field(default_factory=list)
    _excluded_set: frozenset[int] = frozenset()
    _excluded_counted: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        """Precompute prefix counts over one pattern period."""
        prefix = [0]
        for class_id in self.pattern:
            prefix.append(
                prefix[-1] + (1 if self.allowed is None or class_id in self.allowed else 0)
            )
        self._prefix = prefix
        self._excluded_set = frozenset(self.excluded)
        self._excluded_counted = [
            index
            for index in self.excluded
            if self.dense_start <= index < self.dense_end and self._allowed(index)
        ]

    def _allowed(self, index: int) -> bool:
        return self.allowed is None or self.pattern[index % len(self.pattern)] in self.allowed

    def _pattern_count_below(self, bound: int) -> int:
        period = len(self.pattern)
        return (bound // period) * self._prefix[period] + self._prefix[bound % period]

    def count_at_or_above(self, index: int) -> int:
        """How many selected indices are >= `index`."""
        start = max(index, self.dense_start)
        dense = 0
        if start < self.dense_end:
            dense = self._pattern_count_below(self.dense_end) - self._pattern_count_below(start)
            dense -= len(self._excluded_counted) - bisect_left(self._excluded_counted, start)
        return dense + len(self.explicit) - bisect_left(self.explicit, index)

    def __len__(self) -> int:
        """Total selected records."""
        return self.count_at_or_above(0)

    def _nth_descending(self, position: int) -> int:
        """The index at 0-based `position` in descending order (must exist)."""
        top = max(self.dense_end - 1, self.explicit[-1] if self.explicit else -1)
        low, high = 0, top
        # largest x with count_at_or_above(x) >= position + 1
        while low < high:
            middle = (low + high + 1) // 2
            if self.count_at_or_above(middle) >= position + 1:
                low = middle
            else:
                high = middle - 1
        return low

    def descending(self, offset: int, limit: int) -> list[int]:
        """`limit` indices starting at `offset`, newest first."""
        total = len(self)
        if offset >= total or limit <= 0:
            return []
        start = self._nth_descending(offset)
        result: list[int] = []
        explicit_position = bisect_left(self.explicit, start + 1) - 1
        dense_cursor = min(start, self.dense_end - 1)
        wanted = min(limit, total - offset)
        while len(result) < wanted:
            dense_next = self._next_dense(dense_cursor)
            explicit_next = self.explicit[explicit_position] if explicit_position >= 0 else -1
            if dense_next >= explicit_next:
                if dense_next < 0:
                    break
                result.append(dense_next)
                dense_cursor = dense_next - 1
            else:
                result.append(explicit_next)
                explicit_position -= 1
        return result

    def _next_dense(self, cursor: int) -> int:
        """The largest dense member <= cursor, or -1."""
        while cursor >= self.dense_start:
            if self._allowed(cursor) and cursor not in self._excluded_set:
                return cursor
            cursor -= 1
        return -1

    def ascending(self, offset: int, limit: int) -> list[int]:
        """`limit` indices starting at `offset`, oldest first."""
        total = len(self)
        end = total - offset
        start = max(end - limit, 0)
        if end <= 0:
            return []
        return list(reversed(self.descending(start, end - start)))

    def all_descending(self) -> list[int]:
        """Every selected index (for sorting by another column)."""
        return self.descending(0, len(self))
