"""CRM field metadata kept on disk between runs, so discovery costs 2 credits, not 2 + N.

Why: `meltano run` discovers before every sync (Meltano caches a catalog only for
plugins installed from a non-editable `pip_url`, and ours run from the project's venv),
and CRM discovery pays one credit per module and subform. On a small credit budget
(Zoho's Free edition, an org shared with other integrations, a daily resume after a
credits stop) that fixed cost can exceed what a day leaves for the sync itself, so a
resumed load never completes.

What is kept: per module, the fields' API names and types (`CrmField`), when they were
fetched, and the module's `modified_time` from `settings/modules`. No record data, no
token, no secret, nothing in Singer state. The module list and the org are read from
Zoho on every discovery (2 credits), so new, removed or newly permitted modules show at
once; a module's fields are re-read when its `modified_time` changes or its entry is
older than `crm_metadata_cache_hours`. Refused modules are not remembered (they are
asked again, so a permission granted since shows at once).

One file per org and API host (`crm-fields-<org>-<hash>.json`), written atomically;
a broken file is ignored (and rewritten). Turn it on with `crm_metadata_cache_dir`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tap_zoho.crm.schema import CrmField

logger = logging.getLogger("tap_zoho.crm.metadata_cache")
FORMAT = 1
DEFAULT_MAX_AGE_HOURS = 24


class FieldCache:
    """Fields of one org's modules (and subforms), as the last discoveries saw them."""

    def __init__(self, folder: Path, *, api_base: str, organization_id: str,
                 max_age: timedelta) -> None:  # fmt: skip
        """Open (or start) the org's file; nothing is read from Zoho here."""
        digest = hashlib.sha256(f"{api_base}|{organization_id}".encode()).hexdigest()[:12]
        self.path = folder / f"crm-fields-{organization_id}-{digest}.json"
        self.max_age = max_age
        self.hits = 0
        self._now = datetime.now(UTC)
        self._entries: dict[str, dict[str, Any]] = self._load()
        self._dirty = False

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            body = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            logger.warning("CRM metadata cache %s ignored (unreadable: %s)", self.path, error)
            return {}
        if not isinstance(body, dict) or body.get("format") != FORMAT:
            return {}
        modules = body.get("modules")
        return modules if isinstance(modules, dict) else {}

    def fields(self, module: str, version: str | None) -> tuple[CrmField, ...] | None:
        """The module's cached fields, or None when missing, changed or too old."""
        entry = self._entries.get(module)
        if not isinstance(entry, dict) or entry.get("version") != version:
            return None
        try:
            fetched = datetime.fromisoformat(str(entry["fetched_at"]))
            fields = tuple(CrmField(**spec) for spec in entry["fields"])
        except (KeyError, TypeError, ValueError):
            return None
        if not fields or self._now - fetched > self.max_age:
            return None
        self.hits += 1
        return fields

    def remember(self, module: str, version: str | None, fields: tuple[CrmField, ...]) -> None:
        """Keep fields just read from Zoho (saved by `save`)."""
        self._entries[module] = {
            "version": version,
            "fetched_at": self._now.isoformat(),
            "fields": [asdict(spec) for spec in fields],
        }
        self._dirty = True

    def save(self) -> None:
        """Write the file atomically; a cache that cannot be written only costs credits."""
        if not self._dirty:
            return
        body = json.dumps({"format": FORMAT, "modules": self._entries}, sort_keys=True)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(body)
            Path(temporary).replace(self.path)
        except OSError as error:
            logger.warning("CRM metadata cache %s not written: %s", self.path, error)
            with contextlib.suppress(OSError, UnboundLocalError):
                Path(temporary).unlink()
            return
        self._dirty = False


def open_cache(config: dict[str, Any], *, api_base: str, organization_id: str) -> FieldCache | None:
    """The org's cache when `crm_metadata_cache_dir` is set, else None (always ask Zoho)."""
    folder = str(config.get("crm_metadata_cache_dir") or "").strip()
    hours = float(config.get("crm_metadata_cache_hours", DEFAULT_MAX_AGE_HOURS) or 0)
    if not folder or hours <= 0:
        return None
    return FieldCache(
        Path(folder).expanduser(), api_base=api_base, organization_id=organization_id,
        max_age=timedelta(hours=hours),
    )  # fmt: skip
