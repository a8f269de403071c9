"""CRM field metadata kept on disk between runs, so discovery costs 2 credits, not 2 + N.

Why: `meltano run` discovers before every sync, and CRM discovery pays one credit per
module and subform. On a small credit budget (Zoho's Free edition, an org shared with
other integrations, a daily resume after a credits stop) that fixed cost can exceed
what a day leaves for the sync itself, so a resumed load never completes.

What is kept: per module, the fields' API names and types (`CrmField`), when they were
fetched, and the module's `modified_time` from `settings/modules` as the entry's
version. The module list and the org are read from Zoho on every discovery (2 credits),
so new, removed or newly permitted modules show at once; a module's fields are re-read
when its `modified_time` changes or its entry is older than `metadata_cache_hours`.
Refused modules are not remembered (they are asked again, so a permission granted since
shows at once).

The file handling (one file per org and API host, `crm-fields-<org>-<hash>.json`,
atomic writes, broken files ignored and rewritten) is the tap's shared
`tap_zoho.metadata_cache`; this module only says what a CRM entry holds.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from tap_zoho.crm.schema import CrmField
from tap_zoho.metadata_cache import MetadataCache, open_cache

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

KIND = "crm-fields"


def _decode(payload: Any) -> tuple[CrmField, ...]:  # noqa: ANN401 - stored JSON
    fields = tuple(CrmField(**spec) for spec in payload)
    if not fields:
        msg = "a module without fields is never cached"
        raise ValueError(msg)
    return fields


class FieldCache:
    """Fields of one org's modules (and subforms), as the last discoveries saw them."""

    def __init__(self, cache: MetadataCache) -> None:
        """Wrap the org's shared cache file; nothing is read from Zoho here."""
        self._cache = cache

    @property
    def path(self) -> Path:
        """The org's file, named in the discovery log line."""
        return self._cache.path

    @property
    def hits(self) -> int:
        """Modules and subforms served from the file this discovery (credits saved)."""
        return self._cache.hits

    def fields(self, module: str, version: str | None) -> tuple[CrmField, ...] | None:
        """The module's cached fields, or None when missing, changed or too old."""
        return self._cache.get(module, version, _decode)

    def remember(self, module: str, version: str | None, fields: tuple[CrmField, ...]) -> None:
        """Keep fields just read from Zoho (saved by `save`)."""
        self._cache.put(module, version, [asdict(spec) for spec in fields])

    def save(self) -> None:
        """Write the file atomically; a cache that cannot be written only costs credits."""
        self._cache.save()


def open_field_cache(
    config: Mapping[str, Any], *, api_base: str, organization_id: str
) -> FieldCache | None:
    """The org's field cache when `metadata_cache_dir` is set, else None (always ask Zoho)."""
    cache = open_cache(config, kind=KIND, account=api_base, organization_id=organization_id)
    return None if cache is None else FieldCache(cache)
