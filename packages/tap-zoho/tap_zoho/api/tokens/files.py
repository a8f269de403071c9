"""The default token store: one 0600 file per credential set in a local folder.

The folder defaults to `${MELTANO_PROJECT_ROOT}/.meltano/run/tap-zoho/tokens`, so every
process of every job of one Meltano project (discovery, sync, the webhook service)
shares one access token. The single-minter guarantee is an OS file lock
(`filelock`, which uses `fcntl.flock` on Linux and macOS): the kernel drops it when a
process dies, so a killed tap never leaves the others waiting. Network file systems
may not honour such locks; use the PostgreSQL store across machines.
"""

from __future__ import annotations

import json
import os
import secrets
from contextlib import contextmanager
from typing import TYPE_CHECKING

from filelock import FileLock, Timeout
from typing_extensions import override

from tap_zoho.api.tokens.base import (
    LOCK_TIMEOUT_SECONDS,
    StoredToken,
    TokenStore,
    TokenStoreError,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

FILE_MODE = 0o600
"""Owner read/write only: the file holds a live access token."""
FOLDER_MODE = 0o700


class FileTokenStore(TokenStore):
    """`<folder>/<fingerprint>.json` holds the token; `<fingerprint>.lock` serialises mints."""

    def __init__(self, folder: Path, *, lock_timeout: float = LOCK_TIMEOUT_SECONDS) -> None:
        """Nothing touches the disk until a token is asked for."""
        self.folder = folder
        self.description = f"token folder {folder}"
        self._lock_timeout = lock_timeout

    def token_path(self, key: str) -> Path:
        """The file of one credential set (tests read it to check what it holds)."""
        return self.folder / f"{key}.json"

    @override
    def fetch_or_mint(
        self,
        key: str,
        usable: Callable[[StoredToken], bool],
        mint: Callable[[], StoredToken],
    ) -> tuple[StoredToken, bool]:
        stored = self._read(key)  # the usual case needs no lock: the file is replaced atomically
        if stored is not None and usable(stored):
            return stored, False
        with self._locked(key):
            stored = self._read(key)
            if stored is not None and usable(stored):
                return stored, False  # another process minted while we waited
            fresh = mint()
            try:
                self._write(key, fresh)
            except TokenStoreError as exc:
                exc.minted = fresh
                raise
            return fresh, True

    @override
    def discard(self, key: str, rejected: str) -> None:
        with self._locked(key):
            stored = self._read(key)
            if stored is not None and stored.is_token(rejected):
                try:
                    self.token_path(key).unlink(missing_ok=True)
                except OSError as exc:
                    reason = exc.strerror or type(exc).__name__
                    msg = f"cannot remove a rejected token from the {self.description}: {reason}"
                    raise TokenStoreError(msg) from None

    @contextmanager
    def _locked(self, key: str) -> Iterator[None]:
        try:
            self.folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        except OSError as exc:
            msg = f"cannot create the {self.description}: {exc.strerror or type(exc).__name__}"
            raise TokenStoreError(msg) from None
        lock = FileLock(self.folder / f"{key}.lock", timeout=self._lock_timeout, mode=FILE_MODE)
        try:
            lock.acquire()
        except Timeout:
            msg = (
                f"another process held the lock of the {self.description} for more than "
                f"{self._lock_timeout:.0f} s while minting an access token"
            )
            raise TokenStoreError(msg) from None
        except OSError as exc:
            msg = f"cannot lock the {self.description}: {exc.strerror or type(exc).__name__}"
            raise TokenStoreError(msg) from None
        try:
            yield
        finally:
            lock.release()

    def _read(self, key: str) -> StoredToken | None:
        try:
            text = self.token_path(key).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            msg = f"cannot read the {self.description}: {exc.strerror or type(exc).__name__}"
            raise TokenStoreError(msg) from None
        try:
            return StoredToken.from_json(json.loads(text))
        except ValueError:
            return None  # a torn or hand-edited file: mint afresh and overwrite it

    def _write(self, key: str, token: StoredToken) -> None:
        """Write a temporary 0600 file and rename it over the old one (atomic on POSIX)."""
        target = self.token_path(key)
        temporary = self.folder / f".{key}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        try:
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(token.to_json(), handle)
            temporary.replace(target)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            msg = f"cannot write the {self.description}: {exc.strerror or type(exc).__name__}"
            raise TokenStoreError(msg) from None
