"""Shared access-token stores: one token per self-client for every process and job.

`token_store` setting values:
- a folder path: `FileTokenStore` (the default under a Meltano project);
- a `postgresql://` URL: `PostgresTokenStore` (needs psycopg 3, imported only then);
- `memory` (or empty): no store, each process keeps its own token.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tap_zoho.api.tokens.base import StoredToken, TokenStore, TokenStoreError
from tap_zoho.api.tokens.files import FileTokenStore

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "FileTokenStore",
    "StoredToken",
    "TokenStore",
    "TokenStoreError",
    "open_token_store",
    "token_store_spec",
]

IN_PROCESS = "memory"
MELTANO_STORE_FOLDER = (".meltano", "run", "tap-zoho", "tokens")
"""Under `MELTANO_PROJECT_ROOT`, beside the metadata cache (`.meltano/run/tap-zoho`)."""
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def token_store_spec(settings: Mapping[str, Any]) -> str:
    """The effective `token_store`: the setting, else the Meltano project's folder.

    Meltano sets MELTANO_PROJECT_ROOT for every plugin process it starts, so a tap run
    by Meltano shares its token with the project's other runs even when meltano.yml does
    not name a store; outside Meltano, with no setting, tokens stay in the process.
    """
    configured = settings.get("token_store")
    if configured is not None:
        return str(configured).strip() or IN_PROCESS
    root = os.environ.get("MELTANO_PROJECT_ROOT")
    if root:
        return str(Path(root).joinpath(*MELTANO_STORE_FOLDER))
    return IN_PROCESS


def open_token_store(spec: str) -> TokenStore | None:
    """The store a `token_store` value names, or None for in-process tokens only.

    Raises:
        TokenStoreError: the value names an unknown URL scheme, or a PostgreSQL store
            without psycopg installed.
    """
    spec = spec.strip()
    if spec in {"", IN_PROCESS}:
        return None
    if spec.startswith(POSTGRES_SCHEMES):
        from tap_zoho.api.tokens.postgres import PostgresTokenStore  # noqa: PLC0415 - lazy psycopg

        return PostgresTokenStore(spec)
    if "://" in spec:
        scheme = spec.split("://", 1)[0]
        msg = (
            f"token_store: unsupported scheme {scheme!r}; use a folder path, a "
            f"postgresql:// URL or {IN_PROCESS!r}"
        )
        raise TokenStoreError(msg)
    return FileTokenStore(Path(spec).expanduser())
