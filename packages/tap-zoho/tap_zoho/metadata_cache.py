"""Zoho metadata kept on disk between discoveries, so `meltano run` does not re-pay it.

Why: `meltano run` discovers before every sync (Meltano caches a catalog only for
plugins installed from a non-editable `pip_url`, and ours run from the project's venv).
Discovery reads metadata that changes rarely: CRM field metadata (a credit per module
and subform) and Books/Inventory custom-field definitions (a request of the
organization's daily quota per product). Run every 15 minutes, that fixed cost alone
can eat a small plan's day (Books Free: 1,000 requests) on unchanged answers.

What is kept: per organization and account, named entries of metadata (field names and
types), when they were fetched and an optional version Zoho reported. No record data,
no token, no secret, nothing in Singer state. An entry older than
`metadata_cache_hours` (wall clock of the machine running the tap: the file is local
and Zoho's answers carry no freshness of their own) is read from Zoho again. Callers
decide what may be kept: refused or failed calls are never cached, so a permission
granted since shows at once.

One file per kind, organization and account (`<kind>-<org>-<hash>.json`), written
atomically (a killed run leaves the old file or the new one, never half of one); a
broken file is ignored with one warning and rewritten. Turn it on with
`metadata_cache_dir`; `metadata_cache_hours: 0` turns it off.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

logger = logging.getLogger("tap_zoho.metadata_cache")
FORMAT = 2
"""1 was CRM's own file (`modules`); entries of another format are ignored, not misread."""
DEFAULT_MAX_AGE_HOURS = 24
DIR_SETTING = "metadata_cache_dir"
HOURS_SETTING = "metadata_cache_hours"
T = TypeVar("T")
USED: dict[Path, datetime] = {}
"""Files this process read or wrote entries of, with the oldest such entry's fetch time:
what a discovery's catalog was built from (`tap_zoho.discovery_cache` keeps it)."""


class MetadataCache:
    """Named metadata entries of one organization, as the last discoveries saw them."""

    def __init__(self, path: Path, *, max_age: timedelta) -> None:
        """Open (or start) the file; nothing is read from Zoho here."""
        self.path = path
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
            logger.warning("Metadata cache %s ignored (unreadable: %s)", self.path, error)
            return {}
        if not isinstance(body, dict) or body.get("format") != FORMAT:
            return {}
        entries = body.get("entries")
        return entries if isinstance(entries, dict) else {}

    def get(self, key: str, version: str | None, decode: Callable[[Any], T]) -> T | None:
        """The entry's decoded payload, or None when missing, changed, too old or broken.

        `decode` turns the stored JSON back into the caller's type and raises KeyError,
        TypeError or ValueError for anything it does not trust: such an entry is a miss
        (read from Zoho again), never an error.
        """
        entry = self._entries.get(key)
        if not isinstance(entry, dict) or entry.get("version") != version:
            return None
        try:
            fetched = datetime.fromisoformat(str(entry["fetched_at"]))
            if self._now - fetched > self.max_age:
                return None
            value = decode(entry["payload"])
        except (KeyError, TypeError, ValueError):
            return None
        self.hits += 1
        self._used(fetched)
        return value

    def put(self, key: str, version: str | None, payload: Any) -> None:  # noqa: ANN401 - JSON
        """Keep an answer just read from Zoho (written by `save`)."""
        self._entries[key] = {
            "version": version,
            "fetched_at": self._now.isoformat(),
            "payload": payload,
        }
        self._dirty = True
        self._used(self._now)

    def _used(self, fetched: datetime) -> None:
        known = USED.get(self.path)
        USED[self.path] = fetched if known is None else min(known, fetched)

    def save(self) -> None:
        """Write the file atomically; a cache that cannot be written only costs calls."""
        if not self._dirty:
            return
        body = json.dumps({"format": FORMAT, "entries": self._entries}, sort_keys=True)
        temporary: Path | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
            temporary = Path(name)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(body)
            temporary.replace(self.path)
        except OSError as error:
            logger.warning("Metadata cache %s not written: %s", self.path, error)
            if temporary is not None:
                with contextlib.suppress(OSError):
                    temporary.unlink()
            return
        self._dirty = False


def open_cache(
    config: Mapping[str, Any], *, kind: str, account: str, organization_id: str
) -> MetadataCache | None:
    """The organization's cache of this kind when `metadata_cache_dir` is set, else None.

    `account` names where the answers came from (API host or accounts server): the same
    organization id on another data center or emulator must not share a file. It is
    hashed into the file name, so nothing about it is written in clear.
    """
    folder = str(config.get(DIR_SETTING) or "").strip()
    hours = float(config.get(HOURS_SETTING, DEFAULT_MAX_AGE_HOURS) or 0)
    if not folder or hours <= 0:
        return None
    digest = hashlib.sha256(f"{account}|{organization_id}".encode()).hexdigest()[:12]
    path = Path(folder).expanduser() / f"{kind}-{organization_id}-{digest}.json"
    return MetadataCache(path, max_age=timedelta(hours=hours))
