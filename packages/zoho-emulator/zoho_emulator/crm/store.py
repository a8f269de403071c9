"""CRM records as clients see them: generated records plus the mutations made since.

Only mutations are stored (updated fields, created records, deletions, conversions). A
module's records are listed by merging two sorted sources: the generated index range,
which is already in `id`/`Created_Time`/`Modified_Time` order, and the few mutated
records, kept sorted in memory. Listing therefore costs O(page) plus a binary search,
whatever the module's size.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import threading
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from zoho_emulator.crm.catalog import (
    BY_NAME,
    MODULES,
    FieldSpec,
    ModuleSpec,
    parse_record_id,
    record_id,
)
from zoho_emulator.crm.dataset import Dataset, RecordContext
from zoho_emulator.crm.people import API_USER

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

SortKey = tuple[int, int]
"""(primary, index): the primary is the index itself for id/Created_Time order."""


class Converted(Enum):
    """Which Leads a read includes (`converted=false|true|both`)."""

    EXCLUDE = "false"
    ONLY = "true"
    BOTH = "both"


@dataclass(slots=True)
class Mutation:
    """What changed on one record: field values, times, conversion."""

    values: dict[str, Any] = field(default_factory=dict)
    created: int | None = None
    modified: int | None = None


@dataclass(frozen=True, slots=True)
class DeletedRecord:
    """An entry of `/{module}/deleted`."""

    index: int
    id: str
    display_name: str | None
    type: str
    deleted_time: int
    created_by: dict[str, str]

    def body(self, dataset: Dataset) -> dict[str, Any]:
        """The JSON entry Zoho returns for it."""
        return {
            "deleted_by": {"name": API_USER.full_name, "id": API_USER.id},
            "id": self.id,
            "display_name": self.display_name,
            "type": self.type,
            "created_by": {"name": self.created_by["name"], "id": self.created_by["id"]},
            "deleted_time": dataset.dt(self.deleted_time),
        }


@dataclass(slots=True)
class ModuleState:
    """The mutations of one module."""

    spec: ModuleSpec
    mutations: dict[int, Mutation] = field(default_factory=dict)
    created_count: int = 0
    deleted: dict[int, DeletedRecord] = field(default_factory=dict)
    deleted_order: list[int] = field(default_factory=list)
    by_modified: list[SortKey] = field(default_factory=list)
    """(Modified_Time, index) of every mutated or created live record, sorted."""
    version: int = 0


@dataclass(frozen=True, slots=True)
class Change:
    """One mutation, as notifications report it."""

    module: str
    operation: str
    ids: tuple[str, ...]
    affected_fields: tuple[str, ...] = ()


class CrmStore:
    """Generated data plus mutations, with the orderings the CRM API needs."""

    def __init__(self, seed: int, count: int, now: Callable[[], float]) -> None:
        """`count` generated records per module; `now` is the emulator clock."""
        self.dataset = Dataset(seed, count)
        self._now = now
        self.dataset.now = lambda: int(now())
        self.dataset.display_name = self._display_name
        self.modules = {spec.api_name: ModuleState(spec) for spec in MODULES}
        self.lock = threading.RLock()
        self.listeners: list[Callable[[Change], None]] = []
        self._generated_converted: int | None = None

    # ---- basic facts ---------------------------------------------------------
    def now(self) -> int:
        """The emulator clock in whole seconds (CRM datetimes have no fractions)."""
        return int(self._now())

    def total(self, module: str) -> int:
        """Generated plus created records (live or not)."""
        state = self.modules[module]
        generated = self.dataset.count_of(module)
        return generated + state.created_count if state.spec.has_records else 0

    def context(self, module: str, index: int) -> RecordContext:
        """The generation context of a record, with its mutations applied."""
        state = self.modules[module]
        mutation = state.mutations.get(index)
        context = self.dataset.context(state.spec, index, mutation.values if mutation else None)
        if mutation is not None:
            if mutation.created is not None:
                context.created = mutation.created
            if mutation.modified is not None:
                context.modified = mutation.modified
        return context

    def modified_time(self, module: str, index: int) -> int:
        """A record's current `Modified_Time` in epoch seconds."""
        mutation = self.modules[module].mutations.get(index)
        if mutation is not None and mutation.modified is not None:
            return mutation.modified
        return self.dataset.modified_time(module, index)

    def created_time(self, module: str, index: int) -> int:
        """A record's `Created_Time` in epoch seconds."""
        mutation = self.modules[module].mutations.get(index)
        if mutation is not None and mutation.created is not None:
            return mutation.created
        return self.dataset.created_time(module, index)

    def is_converted(self, module: str, index: int) -> bool:
        """Whether a Lead is converted (generated or by `convert_lead`)."""
        if module != "Leads":
            return False
        mutation = self.modules[module].mutations.get(index)
        if mutation is not None and "Converted__s" in mutation.values:
            return bool(mutation.values["Converted__s"])
        return self.dataset.is_converted(index)

    def is_live(self, module: str, index: int) -> bool:
        """The record exists and is not deleted."""
        return 0 <= index < self.total(module) and index not in self.modules[module].deleted

    def find(self, module: str, record: str) -> int | None:
        """The index of a live record by id, or None."""
        index = parse_record_id(self.modules[module].spec, record)
        if index is None or not self.is_live(module, index):
            return None
        return index

    def _display_name(self, module: str, index: int) -> str | None:
        spec = BY_NAME[module]
        name = self.context(module, index).get(spec.display_field)
        return None if name is None else str(name)

    def count(self, module: str, converted: Converted = Converted.EXCLUDE) -> int:
        """Live records, counted without listing them (`/actions/count`)."""
        with self.lock:
            state = self.modules[module]
            live = self.total(module) - len(state.deleted)
            if module != "Leads" or converted is Converted.BOTH:
                return live
            if self._generated_converted is None:
                self._generated_converted = sum(
                    1
                    for index in range(self.dataset.count_of("Leads"))
                    if self.dataset.is_converted(index)
                )
            converted_live = self._generated_converted
            for index in set(state.mutations) | set(state.deleted):
                generated = self.dataset.is_converted(index)
                now_converted = index not in state.deleted and self.is_converted(module, index)
                converted_live += int(now_converted) - int(generated)
            return converted_live if converted is Converted.ONLY else live - converted_live

    def set_counts(self, counts: dict[str, int]) -> None:
        """Give modules their own generated record counts, before anything is mutated.

        Raises:
            KeyError: an unknown module.
            ValueError: a negative count.
            RuntimeError: records were already mutated (their indexes would shift).
        """
        with self.lock:
            for module, count in counts.items():
                self._state(module)
                if count < 0:
                    msg = f"{module}: a record count cannot be negative ({count})"
                    raise ValueError(msg)
            if any(state.mutations or state.deleted for state in self.modules.values()):
                msg = "record counts can only change before any mutation"
                raise RuntimeError(msg)
            self.dataset.counts.update(counts)
            self.dataset._timelines.clear()  # noqa: SLF001 - the store owns its dataset
            self._generated_converted = None

    # ---- records -----------------------------------------------------------------
    def record(
        self, module: str, index: int, fields: Iterable[FieldSpec], *, detail: bool = False
    ) -> dict[str, Any]:
        """The JSON record with `id` and the given fields (list rows omit subforms)."""
        return self.records(module, (index,), fields, detail=detail)[0]

    def records(
        self,
        module: str,
        indexes: Iterable[int],
        fields: Iterable[FieldSpec],
        *,
        detail: bool = False,
    ) -> list[dict[str, Any]]:
        """Several records with the same fields (the field plan is resolved once)."""
        spec = self.modules[module].spec
        chosen = tuple(fields) if detail else tuple(f for f in fields if not f.list_hidden)
        planned = self.dataset.plan(spec, chosen)
        result = []
        for index in indexes:
            body = self.dataset.values(self.context(module, index), planned)
            body["id"] = record_id(module, index)
            result.append(body)
        return result

    # ---- ordering ----------------------------------------------------------------
    def ordered(  # noqa: PLR0913 - the knobs of Zoho's list call
        self,
        module: str,
        *,
        sort_by: str = "id",
        descending: bool = True,
        since: int | None = None,
        converted: Converted = Converted.EXCLUDE,
        after: SortKey | None = None,
    ) -> Iterator[SortKey]:
        """Live records' sort keys in the requested order, strictly after `after`.

        The caller holds `lock` while consuming the iterator.
        """
        state = self.modules[module]
        if not state.spec.has_records:
            return iter(())
        by_modified = sort_by == "Modified_Time"
        sources = (
            self._modified_sources(state, since, descending, after)
            if by_modified
            else self._index_sources(state, since, descending, after)
        )
        merged = heapq.merge(*sources, reverse=descending)
        return (key for key in merged if self._visible(state, key[1], converted))

    def _visible(self, state: ModuleState, index: int, converted: Converted) -> bool:
        if index in state.deleted:
            return False
        if state.spec.api_name != "Leads" or converted is Converted.BOTH:
            return True
        return self.is_converted("Leads", index) is (converted is Converted.ONLY)

    def _index_sources(
        self,
        state: ModuleState,
        since: int | None,
        descending: bool,  # noqa: FBT001 - private helper, called positionally
        after: SortKey | None,
    ) -> list[Iterator[SortKey]]:
        module = state.spec.api_name
        total = self.total(module)
        count = self.dataset.count_of(module)
        first = self.dataset.first_index_modified_since(module, since) if since else 0
        mutated = sorted(
            index
            for index in state.mutations
            if index < first and self.modified_time(module, index) >= (since or 0)
        )
        if descending:
            high = total if after is None else min(after[1], total)
            main: Iterable[int] = range(high - 1, first - 1, -1)
            low_part = [index for index in reversed(mutated) if after is None or index < after[1]]
        else:
            low = first if after is None else max(first, after[1] + 1)
            main = range(low, total)
            low_part = [index for index in mutated if after is None or index > after[1]]

        def check(index: int) -> bool:
            if since is None or (index < count and index not in state.mutations):
                return True
            return self.modified_time(module, index) >= since

        return [
            ((index, index) for index in main if check(index)),
            ((index, index) for index in low_part),
        ]

    def _modified_sources(
        self,
        state: ModuleState,
        since: int | None,
        descending: bool,  # noqa: FBT001 - private helper, called positionally
        after: SortKey | None,
    ) -> list[Iterator[SortKey]]:
        module = state.spec.api_name
        count = self.dataset.count_of(module)
        first = self.dataset.first_index_modified_since(module, since) if since else 0
        generated = range(first, count)

        def key(index: int) -> SortKey:
            return (self.dataset.modified_time(module, index), index)

        dynamic = [item for item in state.by_modified if since is None or item[0] >= since]
        if descending:
            stop = (
                len(generated) if after is None else bisect.bisect_left(generated, after, key=key)
            )
            main: Iterable[int] = reversed(generated[:stop])
            tail = dynamic if after is None else dynamic[: bisect.bisect_left(dynamic, after)]
            dynamic_iter: Iterable[SortKey] = reversed(tail)
        else:
            start = 0 if after is None else bisect.bisect_right(generated, after, key=key)
            main = generated[start:]
            dynamic_iter = (
                dynamic if after is None else dynamic[bisect.bisect_right(dynamic, after) :]
            )
        mutations = state.mutations
        return [
            (key(index) for index in main if index not in mutations),
            iter(dynamic_iter),
        ]

    # ---- mutations (Python control API) -----------------------------------------
    def _stamp(self) -> int:
        """A modification time: the clock's second (ties are ordered by id, as in Zoho)."""
        return self.now()

    def _touch(self, state: ModuleState, index: int, modified: int) -> None:
        module = state.spec.api_name
        old = self.modified_time(module, index)
        mutation = state.mutations.setdefault(index, Mutation())
        position = bisect.bisect_left(state.by_modified, (old, index))
        if position < len(state.by_modified) and state.by_modified[position] == (old, index):
            del state.by_modified[position]
        mutation.modified = modified
        mutation.values["Modified_By"] = API_USER.minified
        bisect.insort(state.by_modified, (modified, index))
        state.version += 1

    def _live_indexes(self, module: str, ids: Iterable[str] | None, count: int) -> list[int]:
        state = self._state(module)
        if ids is not None:
            indexes = []
            for record in ids:
                index = self.find(module, record)
                if index is None:
                    msg = f"{module}: no live record with id {record}"
                    raise KeyError(msg)
                indexes.append(index)
            return indexes
        # Deterministic choice of `count` live records spread over the module (falling
        # back to every record in order when the spread ones are already deleted).
        total = self.total(module)
        stride = max(total // max(count, 1), 1)
        candidates = itertools.chain(range(0, total, stride), range(total))
        chosen: list[int] = []
        for index in candidates:
            if len(chosen) == count:
                break
            if index not in state.deleted and index not in chosen:
                chosen.append(index)
        return chosen

    def _state(self, module: str) -> ModuleState:
        state = self.modules.get(module)
        if state is None or not state.spec.has_records:
            msg = f"unknown CRM module with records: {module!r}"
            raise KeyError(msg)
        return state

    def create(
        self, module: str, count: int = 1, values: dict[str, Any] | None = None
    ) -> list[str]:
        """Create records (generated values for the new indexes, overridden by `values`)."""
        with self.lock:
            state = self._state(module)
            ids = []
            for _ in range(count):
                index = self.dataset.count_of(module) + state.created_count
                state.created_count += 1
                stamp = self._stamp()
                mutation = Mutation(
                    values={**(values or {}), "Created_By": API_USER.minified},
                    created=stamp,
                    modified=stamp,
                )
                mutation.values["Modified_By"] = API_USER.minified
                state.mutations[index] = mutation
                bisect.insort(state.by_modified, (stamp, index))
                state.version += 1
                ids.append(record_id(module, index))
        self._emit(Change(module, "insert", tuple(ids)))
        return ids

    def update(
        self,
        module: str,
        ids: Iterable[str] | None = None,
        values: dict[str, Any] | None = None,
        count: int = 1,
    ) -> list[str]:
        """Update records (by id, or `count` chosen ones), bumping `Modified_Time`.

        Without `values`, the description changes, as an edit in the UI would.
        """
        with self.lock:
            state = self._state(module)
            indexes = self._live_indexes(module, ids, count)
            changed: dict[str, Any] = dict(values or {})
            if not changed:
                field_name = "Description" if "Description" in state.spec.by_name else None
                if field_name is None:
                    field_name = state.spec.display_field
                changed[field_name] = f"Updated at {self.dataset.dt(self.now())}"
            unknown = [name for name in changed if name not in state.spec.by_name]
            if unknown:
                msg = f"{module}: unknown fields {unknown}"
                raise KeyError(msg)
            for index in indexes:
                stamp = self._stamp()
                self._touch(state, index, stamp)
                state.mutations[index].values.update(changed)
            result = [record_id(module, index) for index in indexes]
        self._emit(Change(module, "update", tuple(result), tuple(sorted(changed))))
        return result

    def delete(
        self,
        module: str,
        ids: Iterable[str] | None = None,
        count: int = 1,
        *,
        permanent: bool = False,
    ) -> list[str]:
        """Delete records to the recycle bin (or permanently); they join `/deleted`."""
        with self.lock:
            state = self._state(module)
            indexes = self._live_indexes(module, ids, count)
            result = []
            for index in indexes:
                context = self.context(module, index)
                entry = DeletedRecord(
                    index=index,
                    id=record_id(module, index),
                    display_name=context.get(state.spec.display_field),
                    type="permanent" if permanent else "recycle",
                    deleted_time=self._stamp(),
                    created_by=context.get("Created_By"),
                )
                old = (self.modified_time(module, index), index)
                position = bisect.bisect_left(state.by_modified, old)
                if position < len(state.by_modified) and state.by_modified[position] == old:
                    del state.by_modified[position]
                state.deleted[index] = entry
                state.deleted_order.append(index)
                state.version += 1
                result.append(entry.id)
        self._emit(Change(module, "delete", tuple(result)))
        return result

    def convert_lead(self, lead_id: str) -> dict[str, str]:
        """Convert a Lead: it is marked converted and a Contact and an Account are created.

        Raises:
            KeyError: the id is not a live Lead.
            ValueError: the Lead is already converted.
        """
        with self.lock:
            index = self.find("Leads", lead_id)
            if index is None:
                msg = f"Leads: no live record with id {lead_id}"
                raise KeyError(msg)
            if self.is_converted("Leads", index):
                msg = f"Leads: {lead_id} is already converted"
                raise ValueError(msg)
            lead = self.context("Leads", index)
            company = lead.get("Company") or lead.get("Last_Name")
            account = self.create("Accounts", 1, {"Account_Name": company})[0]
            contact_values = {
                "First_Name": lead.get("First_Name"),
                "Last_Name": lead.get("Last_Name"),
                "Email": lead.get("Email"),
                "Account_Name": {"name": company, "id": account},
            }
            contact = self.create("Contacts", 1, contact_values)[0]
            state = self.modules["Leads"]
            stamp = self._stamp()
            self._touch(state, index, stamp)
            state.mutations[index].values.update(
                {"Converted__s": True, "Converted_Date_Time": self.dataset.dt(stamp)}
            )
        self._emit(Change("Leads", "update", (lead_id,), ("Converted__s", "Converted_Date_Time")))
        return {"Contacts": contact, "Accounts": account}

    def _emit(self, change: Change) -> None:
        for listener in list(self.listeners):
            listener(change)

    # ---- ground truth -----------------------------------------------------------------
    def live_ids(self, module: str, converted: Converted = Converted.BOTH) -> list[str]:
        """Ids of every live record of a module, ascending (small scales: tests)."""
        with self.lock:
            return [
                record_id(module, key[1])
                for key in self.ordered(module, descending=False, converted=converted)
            ]

    def current_records(
        self, module: str, converted: Converted = Converted.BOTH
    ) -> Iterator[dict[str, Any]]:
        """Every live record with every field, ascending by id (ground truth for tests)."""
        spec = self._state(module).spec
        with self.lock:
            keys = list(self.ordered(module, descending=False, converted=converted))
        for _, index in keys:
            with self.lock:
                yield self.record(module, index, spec.fields, detail=True)

    def deleted_records(self, module: str) -> list[dict[str, Any]]:
        """Every deleted record of a module, in deletion order."""
        with self.lock:
            state = self._state(module)
            return [state.deleted[index].body(self.dataset) for index in state.deleted_order]
