"""`tap-zoho --discover` answered from disk while nothing that shapes the catalog changed.

Why: `meltano run` starts a discovery process before every sync (Meltano caches a
catalog only for plugins installed from a non-editable `pip_url`). With the metadata
cache that process asks Zoho little, but it still imports the SDK and every stream and
builds a ~700 KB catalog: 2-4 s of a loaded 2-core machine, every run, for the same
answer. Here the command line answers before anything heavy is imported (standard
library only), when the catalog kept by the last full discovery is still right.

Still right means all of:
- the same settings: a SHA-256 over the whole config (each `--config` file), the
  `ZOHO_*` environment the tap reads as fallbacks, and the tap's code
  (size and mtime of every file of the `tap_zoho` package, the SDK's version file); any
  change is a miss, so a setting cannot be forgotten in a list of "settings that shape
  the catalog". Only that digest is stored: no setting, and so no secret, is written.
- the same Zoho metadata: the catalog was built from entries of metadata cache files
  (`metadata_cache_dir`: CRM fields, Books/Inventory custom fields); the SHA-256 of each
  of those files is stored and compared, so a discovery that read changed metadata from
  Zoho (any tap sharing the folder) retires the catalog.
- not older than the metadata it was built from: it expires when the oldest metadata
  entry it used would (`metadata_cache_hours` after that entry was fetched), so a custom field or
  CRM field added in Zoho shows within `metadata_cache_hours`, as with the metadata cache
  alone. The catalog itself costs no call: a cheaper fingerprint of Zoho's metadata does
  not exist (Books/Inventory custom fields are one settings request per organization;
  CRM's module list is a credit), and paying it every run is what the metadata cache
  avoids.
- a complete discovery: one that hit a quota stop or could not read an organization's
  custom fields is not kept, so the next run asks again.

One file per settings digest (`catalog-<digest>.json`, mode 0600, written atomically);
`metadata_cache_hours: 0`, an unset `metadata_cache_dir` or `--config ENV` turn it off;
deleting the folder forces a full discovery. A broken file is a miss, never an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

FORMAT = 1
PREFIX = "catalog-"
DEFAULT_MAX_AGE_HOURS = 24  # as tap_zoho.metadata_cache (not imported: it stays light)
DIR_SETTING = "metadata_cache_dir"
HOURS_SETTING = "metadata_cache_hours"
ENV_PREFIX = "ZOHO_"
"""The environment the tap reads as fallbacks (`tap_zoho.settings`); `TAP_ZOHO_*` is only
read with `--config ENV`, which turns the cache off."""
PACKAGE = Path(__file__).resolve().parent


class DiscoveryCache:
    """The catalog kept for one settings digest in the metadata cache folder."""

    def __init__(self, folder: Path, digest: str, max_age: timedelta) -> None:
        """Point at the folder; nothing is read yet."""
        self.folder = folder
        self.digest = digest
        self.max_age = max_age
        self.path = folder / f"{PREFIX}{digest[:24]}.json"

    @classmethod
    def from_argv(cls, argv: list[str]) -> DiscoveryCache | None:
        """The cache of a `--discover` command line, or None when it cannot apply."""
        if "--discover" not in argv or {"--catalog", "--properties", "--state"} & set(argv):
            return None
        paths = [argv[i + 1] for i, word in enumerate(argv[:-1]) if word == "--config"]
        if not paths or "ENV" in paths:
            return None
        config: dict[str, Any] = {}
        try:
            for path in paths:
                loaded = json.loads(Path(path).read_text(encoding="utf-8"))
                if not isinstance(loaded, dict):
                    return None
                config.update(loaded)
        except (OSError, ValueError):
            return None  # the SDK's own start-up reports an unreadable config
        return cls.from_config(config)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> DiscoveryCache | None:
        """The cache for these settings, or None when the metadata cache is off."""
        folder = str(config.get(DIR_SETTING) or "").strip()
        try:
            hours = float(config.get(HOURS_SETTING, DEFAULT_MAX_AGE_HOURS) or 0)
        except (TypeError, ValueError):
            return None
        if not folder or hours <= 0:
            return None
        environment = {k: v for k, v in os.environ.items() if k.startswith(ENV_PREFIX)}
        material = json.dumps(
            {"format": FORMAT, "config": config, "env": environment, "code": _code_stamp()},
            sort_keys=True, default=str,
        )  # fmt: skip
        digest = hashlib.sha256(material.encode()).hexdigest()
        return cls(Path(folder).expanduser(), digest, timedelta(hours=hours))

    def read(self, now: datetime | None = None) -> str | None:
        """The kept catalog text while it is still right (see the module docstring)."""
        now = now or datetime.now(UTC)
        try:
            body = json.loads(self.path.read_text(encoding="utf-8"))
            if body.get("format") != FORMAT or body.get("digest") != self.digest:
                return None
            if now >= datetime.fromisoformat(str(body["expires_at"])):
                return None
            kept = body["metadata"]
            if not isinstance(kept, dict) or _digests(map(Path, kept)) != kept:
                return None
            catalog = body["catalog"]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        return catalog if isinstance(catalog, str) else None

    def write(
        self, catalog: str, used: Mapping[Path, datetime], now: datetime | None = None
    ) -> Path | None:
        """Keep a complete discovery's catalog; a file that cannot be written costs time.

        `used`: the metadata cache files the discovery read or wrote, with the fetch time
        of the oldest entry it used from each (`tap_zoho.metadata_cache.USED`).
        """
        now = now or datetime.now(UTC)
        expires = min([now, *used.values()]) + self.max_age
        digests = _digests(used)
        if digests is None:
            return None
        body = json.dumps({
            "format": FORMAT, "digest": self.digest, "written_at": now.isoformat(),
            "expires_at": expires.isoformat(), "metadata": digests, "catalog": catalog,
        })  # fmt: skip
        temporary: Path | None = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(dir=self.folder, prefix=".catalog-", suffix=".tmp")
            temporary = Path(name)  # mkstemp creates it 0600
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(body)
            temporary.replace(self.path)
        except OSError as error:
            sys.stderr.write(f"tap-zoho: discovery cache {self.path} not written: {error}\n")
            if temporary is not None:
                with contextlib.suppress(OSError):
                    temporary.unlink()
            return None
        return self.path


def _digests(paths: Iterable[Path]) -> dict[str, str] | None:
    """SHA-256 of each file (by absolute path), or None when one cannot be read."""
    try:
        return {
            str(path.resolve()): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(paths)
        }
    except OSError:
        return None


def _code_stamp() -> list[Any]:
    """Size and mtime of the tap's files and the SDK's: new code, new catalog."""
    stamp: list[Any] = []
    for path in sorted(PACKAGE.rglob("*")):
        if path.suffix in {".py", ".json"}:
            info = path.stat()
            stamp.append([str(path.relative_to(PACKAGE)), info.st_size, info.st_mtime_ns])
    spec = importlib.util.find_spec("singer_sdk")
    if spec is not None and spec.origin:  # the dist-info folder's name holds the version
        site = Path(spec.origin).parent.parent
        stamp.append(sorted(path.name for path in site.glob("singer_sdk-*.dist-info")))
    return stamp
