"""The finance data set: generated records plus the stored overlay of mutations.

Nothing is held per generated record. An entity of one organization keeps only the
records that were updated, deleted or created (`Overlay`), so a million-record scale
costs the same memory as a hundred-record one until tests mutate it.
"""

from __future__ import annotations

import random
import threading
from array import array
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from zoho_emulator.finance.catalog import BY_NAME, ENTITIES, EntitySpec, Predicate
from zoho_emulator.finance.customfields import (
    CustomFieldSettings,
    UnknownEntityError,
    organization_fields,
)
from zoho_emulator.finance.generators.common import GenContext, Record
from zoho_emulator.finance.orgs import BY_ID, ORGANIZATIONS
from zoho_emulator.finance.rand import key_of
from zoho_emulator.finance.selection import Selection
from zoho_emulator.finance.timeline import Timeline

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from zoho_emulator.clock import Clock

__all__ = ["EntityState", "FinanceData", "Overlay", "UnknownEntityError"]

PATTERN_PERIOD = 100
TIME_COLUMNS = {"created_time": 0, "date": 0, "journal_date": 0, "last_modified_time": 1}
"""Sort columns answered from (created, modified) times: index 0 or 1."""
SORT_CACHE_SIZE = 8
SELECTION_CACHE_SIZE = 32


@dataclass(slots=True)
class Overlay:
    """What a mutation changed about one record."""

    created: int
    modified: int
    patch: dict[str, Any] = field(default_factory=dict)
    deleted: bool = False


@dataclass(slots=True)
class EntityState:
    """One entity of one organization: its generation context and its mutations."""

    spec: EntitySpec
    context: GenContext
    overlays: dict[int, Overlay] = field(default_factory=dict)
    next_index: int = 0
    version: int = 0
    unlisted: frozenset[int] = frozenset()
    """Live records the lists leave out (`FinanceData.list_without`)."""


class FinanceData:
    """Books and Inventory records of every organization (shared by both products)."""

    def __init__(self, seed: int, scale: int, clock: Clock) -> None:
        """Prepare generation contexts; no record is generated until asked for."""
        self.seed = seed
        self.scale = scale
        self.clock = clock
        self._lock = threading.RLock()
        self._states: dict[tuple[str, str], EntityState] = {}
        self._sorted: OrderedDict[tuple[Any, ...], array[int]] = OrderedDict()
        self._selections: OrderedDict[tuple[Any, ...], Selection] = OrderedDict()
        self.listeners: list[Callable[[str, str, str, Record], None]] = []
        self.has_subscribers: Callable[[], bool] = lambda: bool(self.listeners)
        """Whether any listener wants changed records (building them is not free)."""
        self.custom_fields = CustomFieldSettings(self)
        """Custom-field definitions per organization (`/settings/preferences`), `add`."""
        for organization in ORGANIZATIONS:
            for spec in ENTITIES:
                self._states[(organization.organization_id, spec.name)] = self._new_state(
                    organization.organization_id, spec
                )

    def _count(self, spec: EntitySpec) -> int:
        if spec.fixed_count is not None:
            return spec.fixed_count
        if spec.name == "shipmentorders":
            return self._count(BY_NAME["packages"])
        return max(self.scale // spec.scale_divisor, 5)

    def _new_state(self, organization_id: str, spec: EntitySpec) -> EntityState:
        organization = BY_ID[organization_id]
        key = key_of(self.seed, organization_id, spec.name)
        count = self._count(spec)
        first_digit = 4 + key_of(self.seed, organization_id) % 6
        prefix = f"{first_digit}{key_of(self.seed, organization_id, 'prefix') % 1000:03d}"
        fields = organization_fields(organization_id, spec.name)
        context = GenContext(
            organization=organization,
            entity=spec.name,
            code=spec.code,
            key=key,
            count=count,
            timeline=Timeline(key, count),
            id_prefix=prefix,
            pattern=pattern_for(spec, key),
            classes=tuple(attributes for _, attributes in spec.classes),
            custom_fields=fields,
            lookup=self,
            fields_key=hash(fields),
        )
        return EntityState(spec, context, next_index=count)

    def touch(self, state: EntityState) -> None:
        """Mark an entity's records as changed without a record mutation.

        A custom field was added: cached selections and pages are keyed by this version,
        so none of them can serve records without the new field.
        """
        with self._lock:
            state.version += 1

    # -- lookups ---------------------------------------------------------------------

    def context(self, organization_id: str, entity: str) -> GenContext:
        """The generation context of an entity (the `Lookup` protocol of builders)."""
        return self.state(organization_id, entity).context

    def state(self, organization_id: str, entity: str) -> EntityState:
        """The state of one entity in one organization."""
        try:
            return self._states[(organization_id, entity)]
        except KeyError:
            msg = f"unknown organization {organization_id!r} or entity {entity!r}"
            raise UnknownEntityError(msg) from None

    def times(self, state: EntityState, index: int) -> tuple[int, int] | None:
        """(created, modified) of a live record; None if it does not exist."""
        overlay = state.overlays.get(index)
        if overlay is not None:
            return None if overlay.deleted else (overlay.created, overlay.modified)
        if index < 0 or index >= state.context.count:
            return None
        if state.spec.exists is not None and not state.spec.exists(state.context, index):
            return None
        return state.context.timeline.times(index)

    def row(self, state: EntityState, index: int, product: str = "books") -> Record | None:
        """A list row, or None for a record that does not exist."""
        times = self.times(state, index)
        if times is None:
            return None
        builder = state.spec.row
        if product == "inventory" and state.spec.inventory_row is not None:
            builder = state.spec.inventory_row
        record = builder(state.context, index, times[0], times[1])
        overlay = state.overlays.get(index)
        if overlay is not None and overlay.patch:
            record.update({key: value for key, value in overlay.patch.items() if key in record})
        return record

    def detail(self, state: EntityState, index: int, product: str = "books") -> Record | None:
        """A detail record, or None for a record that does not exist."""
        times = self.times(state, index)
        if times is None:
            return None
        record = state.spec.detail(state.context, index, times[0], times[1], product)
        overlay = state.overlays.get(index)
        if overlay is not None and overlay.patch:
            record.update(overlay.patch)
        return record

    def find(self, state: EntityState, record_id: str) -> int | None:
        """The index of a live record by its id."""
        index = state.context.index_of(record_id)
        if index is None or self.times(state, index) is None:
            return None
        return index

    # -- selection -------------------------------------------------------------------

    def select(  # noqa: PLR0913 - the list call's independent dimensions
        self,
        state: EntityState,
        *,
        product: str,
        predicate: Predicate,
        modified_since: int | None,
        sort_column: str | None,
        descending: bool,
        created_range: tuple[int, int] | None = None,
    ) -> tuple[Selection, array[int] | None]:
        """The records a list call returns: a selection, or a pre-sorted index list.

        `created_range` (start, end) keeps records created in that half-open interval
        (Zoho's journals treat `last_modified_time` as "journal date equals").
        """
        with self._lock:
            query_key = (
                id(state),
                state.version,
                product,
                tuple(
                    sorted(
                        (name, tuple(sorted(map(str, values))))
                        for name, values in predicate.items()
                    )
                ),
                modified_since,
                created_range,
            )
            # Paging through one query asks for the same selection once per page; with
            # many mutated records building it is not free, so keep the last few.
            selection = self._selections.get(query_key)
            if selection is None:
                selection = self._selection(
                    state, product, predicate, modified_since, created_range
                )
                self._selections[query_key] = selection
                while len(self._selections) > SELECTION_CACHE_SIZE:
                    self._selections.popitem(last=False)
            if sort_column is None:
                return selection, None
            cache_key = (*query_key, sort_column, descending)
            cached = self._sorted.get(cache_key)
            if cached is None:
                cached = self._sort(state, selection, product, sort_column, descending=descending)
                self._sorted[cache_key] = cached
                while len(self._sorted) > SORT_CACHE_SIZE:
                    self._sorted.popitem(last=False)
            return selection, cached

    def _sort(
        self,
        state: EntityState,
        selection: Selection,
        product: str,
        column: str,
        *,
        descending: bool,
    ) -> array[int]:
        """Every selected index ordered by `column` (kept compact: one machine int each).

        Time columns come from the timeline without building rows, so sorting a
        million records by `last_modified_time` costs seconds, not minutes.
        """
        indices = selection.all_descending()
        if column in TIME_COLUMNS:
            which = TIME_COLUMNS[column]

            def time_key(index: int) -> int:
                times = self.times(state, index)
                return times[which] if times is not None else 0

            return array("q", sorted(indices, key=time_key, reverse=descending))

        def value_key(index: int) -> tuple[int, Any]:
            row = self.row(state, index, product) or {}
            value = row.get("total_quantity" if column == "quantity" else column, "")
            if isinstance(value, int | float):
                return (0, value)
            if isinstance(value, str):  # Zoho sorts empty values and text after numbers
                return (1, value.lower())
            return (2, repr(value))  # a test patched in a list or object: sort it last

        return array("q", sorted(indices, key=value_key, reverse=descending))

    def _selection(  # noqa: C901 - the arithmetic and the scanning path share checks
        self,
        state: EntityState,
        product: str,
        predicate: Predicate,
        modified_since: int | None,
        created_range: tuple[int, int] | None = None,
    ) -> Selection:
        context = state.context
        class_fields = set().union(*(attributes.keys() for attributes in context.classes))
        arithmetic = set(predicate) <= class_fields and state.spec.exists is None
        allowed: frozenset[int] | None = None
        if predicate and arithmetic:
            allowed = frozenset(
                class_id
                for class_id, attributes in enumerate(context.classes)
                if all(attributes.get(name) in values for name, values in predicate.items())
            )

        timeline = context.timeline
        low, high = 0, context.count
        if created_range is not None:
            low = timeline.first_created_at_or_after(created_range[0])
            high = timeline.first_created_at_or_after(created_range[1])

        def matches(index: int) -> bool:
            times = self.times(state, index)
            if times is None:
                return False
            if modified_since is not None and times[1] < modified_since:
                return False
            if created_range is not None and not created_range[0] <= times[0] < created_range[1]:
                return False
            if not predicate:
                return True
            overlay = state.overlays.get(index)
            if arithmetic and (overlay is None or not overlay.patch.keys() & predicate.keys()):
                return context.pattern[index % len(context.pattern)] in (allowed or frozenset())
            row = self.row(state, index, product) or {}
            return all(_value_in(row.get(name), values) for name, values in predicate.items())

        overlay_indices = sorted(state.overlays)
        explicit = {index for index in overlay_indices if matches(index)}
        if not arithmetic:
            candidates: range | list[int] = range(low, high)
            if modified_since is not None:
                dense_start, window, late = timeline.modified_candidates(modified_since)
                candidates = sorted({*range(dense_start, context.count), *window, *late})
            explicit.update(
                index for index in candidates if index not in state.overlays and matches(index)
            )
            return Selection(explicit=sorted(explicit))
        dense_start = low
        if modified_since is not None:
            dense_start, window, late = timeline.modified_candidates(modified_since)
            for index in (*window, *late):
                if index not in state.overlays and matches(index):
                    explicit.add(index)
        return Selection(
            dense_start=dense_start,
            dense_end=high,
            pattern=context.pattern,
            allowed=allowed,
            excluded=[index for index in overlay_indices if index < context.count],
            explicit=sorted(explicit),
        )

    # -- ground truth ----------------------------------------------------------------

    def records(
        self, organization_id: str, entity: str, *, detail: bool = False, product: str = "books"
    ) -> Iterator[Record]:
        """Every live record of an entity, newest first (what a full sync must find)."""
        state = self.state(organization_id, entity)
        selection, _ = self.select(
            state,
            product=product,
            predicate={},
            modified_since=None,
            sort_column=None,
            descending=True,
        )
        total = len(selection)
        for offset in range(0, total, 1000):
            for index in selection.descending(offset, 1000):
                record = (
                    self.detail(state, index, product)
                    if detail
                    else self.row(state, index, product)
                )
                if record is not None:
                    yield record

    def count(self, organization_id: str, entity: str) -> int:
        """How many live records an entity has."""
        state = self.state(organization_id, entity)
        selection, _ = self.select(
            state,
            product="books",
            predicate={},
            modified_since=None,
            sort_column=None,
            descending=True,
        )
        return len(selection)

    def record(
        self, organization_id: str, entity: str, record_id: str, *, product: str = "books"
    ) -> Record | None:
        """One live record's detail by id."""
        state = self.state(organization_id, entity)
        index = self.find(state, record_id)
        return None if index is None else self.detail(state, index, product)

    # -- mutations -------------------------------------------------------------------

    def _now(self) -> int:
        return int(self.clock.time())

    def _mutable(self, organization_id: str, entity: str) -> EntityState:
        state = self.state(organization_id, entity)
        if not state.spec.mutable:
            msg = f"{entity} cannot be mutated in the emulator"
            raise ValueError(msg)
        return state

    def _pick(self, state: EntityState, ids: list[str] | None, count: int) -> list[int]:
        if ids is not None:
            indices = []
            for record_id in ids:
                index = self.find(state, record_id)
                if index is None:
                    msg = f"{state.spec.name} has no record {record_id!r}"
                    raise KeyError(msg)
                indices.append(index)
            return indices
        chooser = random.Random(key_of(self.seed, state.spec.name, state.version))  # noqa: S311
        chosen: dict[int, None] = {}  # ordered and O(1) membership
        attempts = 0
        while len(chosen) < count and attempts < count * 20 + 100:
            attempts += 1
            index = chooser.randrange(state.next_index)
            if index not in chosen and self.times(state, index) is not None:
                chosen[index] = None
        return list(chosen)

    def create(
        self,
        organization_id: str,
        entity: str,
        count: int = 1,
        fields: dict[str, Any] | None = None,
    ) -> list[str]:
        """Add `count` new records (created and modified now); returns their ids."""
        with self._lock:
            state = self._mutable(organization_id, entity)
            now = self._now()
            ids = []
            for _ in range(count):
                index = state.next_index
                state.next_index += 1
                state.overlays[index] = Overlay(now, now, dict(fields or {}))
                ids.append(state.context.record_id(index))
            state.version += 1
        self._notify(organization_id, entity, "created", ids)
        return ids

    def update(
        self,
        organization_id: str,
        entity: str,
        ids: list[str] | None = None,
        count: int = 1,
        fields: dict[str, Any] | None = None,
    ) -> list[str]:
        """Edit records (given ids, or `count` seeded picks): bumps `last_modified_time`."""
        with self._lock:
            state = self._mutable(organization_id, entity)
            indices = self._pick(state, ids, count)
            now = self._now()
            for index in indices:
                times = self.times(state, index)
                assert times is not None  # noqa: S101 - _pick returns live records
                overlay = state.overlays.get(index) or Overlay(times[0], times[1])
                overlay.modified = max(now, overlay.modified + 1)
                overlay.patch.update(fields or {})
                state.overlays[index] = overlay
            state.version += 1
            changed = [state.context.record_id(index) for index in indices]
        self._notify(organization_id, entity, "updated", changed)
        return changed

    def delete(
        self, organization_id: str, entity: str, ids: list[str] | None = None, count: int = 1
    ) -> list[str]:
        """Remove records (given ids, or `count` seeded picks); they vanish from lists."""
        with self._lock:
            state = self._mutable(organization_id, entity)
            indices = self._pick(state, ids, count)
            deleted: list[Record] = []
            notify = self.has_subscribers()
            for index in indices:
                if notify:
                    record = self.detail(state, index)
                    assert record is not None  # noqa: S101 - _pick returns live records
                    deleted.append(record)
                times = self.times(state, index)
                assert times is not None  # noqa: S101
                state.overlays[index] = Overlay(times[0], self._now(), deleted=True)
            state.version += 1
        for record in deleted:
            for listener in list(self.listeners):
                listener(organization_id, entity, "deleted", record)
        return [state.context.record_id(index) for index in indices]

    def list_without(self, organization_id: str, entity: str, ids: list[str]) -> None:
        """Leave these live records out of every list until called again (`[]`: none).

        Their details still answer and nothing about them changes: a listing that
        misses records, as a fallback listing that leaves out a status can, while the
        records exist. A later listing shows them again unchanged.
        """
        with self._lock:
            state = self.state(organization_id, entity)
            state.unlisted = frozenset(self._pick(state, ids, len(ids))) if ids else frozenset()
            state.version += 1  # cached pages and selections are keyed by it

    def _notify(self, organization_id: str, entity: str, event: str, ids: list[str]) -> None:
        if not self.has_subscribers():
            return
        for record_id in ids:
            record = self.record(organization_id, entity, record_id)
            if record is None:
                continue
            for listener in list(self.listeners):
                listener(organization_id, entity, event, record)


def _value_in(value: Any, values: frozenset[Any]) -> bool:  # noqa: ANN401 - any JSON value
    """Set membership that tolerates unhashable values patched in by tests (lists, dicts)."""
    try:
        return value in values
    except TypeError:
        return False


def pattern_for(spec: EntitySpec, key: int) -> tuple[int, ...]:
    """The periodic class of each index position, shuffled by the seed."""
    shuffler = random.Random(key)  # noqa: S311 - data generation, not security
    if spec.name == "contacts":
        inactive = set(shuffler.sample(range(PATTERN_PERIOD), 8))
        return tuple(
            (2 if position % 5 == 4 else 0) + (1 if position in inactive else 0)  # noqa: PLR2004
            for position in range(PATTERN_PERIOD)
        )
    pattern = [class_id for class_id, (weight, _) in enumerate(spec.classes) for _ in range(weight)]
    pattern += [0] * (PATTERN_PERIOD - len(pattern))
    shuffler.shuffle(pattern)
    if spec.name == "users":  # the first user is the organization's admin, always active
        pattern[0] = 0
    return tuple(pattern)
