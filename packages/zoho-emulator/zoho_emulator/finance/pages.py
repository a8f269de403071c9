"""Read-ahead of list pages: while a client digests page N, build page N+1.

Clients page sequentially, so the emulator spends its idle time between two requests
preparing the page most likely to be asked for next. Bodies are keyed by the query, the
page and the entity's data version, so a prefetched page is byte-for-byte what would
have been built on demand; a mutation makes older entries unreachable.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from zoho_emulator.finance.params import ListQuery

CACHED_PAGES = 32
"""Pages kept (each a serialised 200-record body of a few hundred kilobytes)."""

PageKey = tuple[Any, ...]


def page_key(
    organization_id: str, entity: str, product: str, query: ListQuery, version: int
) -> PageKey:
    """Everything a list body depends on."""
    predicate = tuple(
        sorted((name, tuple(sorted(map(repr, values)))) for name, values in query.predicate.items())
    )
    return (
        organization_id,
        entity,
        product,
        query.page,
        query.per_page,
        query.applied_filter,
        predicate,
        query.modified_since,
        query.same_date_as,
        query.sort_column,
        query.descending,
        query.response_option,
        version,
    )


class PageCache:
    """The last pages built, on demand or ahead of demand."""

    def __init__(self) -> None:
        """Start empty."""
        self._pages: OrderedDict[PageKey, tuple[bytes, bool]] = OrderedDict()
        self.hits = 0
        self.prefetched = 0

    def get(self, key: PageKey) -> tuple[bytes, bool] | None:
        """(body, has more pages) built earlier for exactly this request, if still kept."""
        body = self._pages.get(key)
        if body is not None:
            self.hits += 1
        return body

    def put(self, key: PageKey, body: tuple[bytes, bool]) -> None:
        """Keep a body, forgetting the oldest beyond `CACHED_PAGES`."""
        self._pages[key] = body
        self._pages.move_to_end(key)
        while len(self._pages) > CACHED_PAGES:
            self._pages.popitem(last=False)

    def prefetch(self, key: PageKey, build: Callable[[], tuple[bytes, bool]]) -> None:
        """Build a page nobody asked for yet (called when the server is idle)."""
        if key in self._pages:
            return
        self.put(key, build())
        self.prefetched += 1
