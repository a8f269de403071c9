"""A token store in PostgreSQL, for jobs of one self-client spread over several machines.

psycopg is not a dependency of tap-zoho: this module imports it only when `token_store`
is a `postgresql://` URL, and says how to install it when it is missing. Mints are
serialised with a transaction-scoped advisory lock per credential fingerprint, so the
lock disappears with the transaction (or a dead connection) and needs no table row to
exist beforehand, which `SELECT ... FOR UPDATE` would.
"""

from __future__ import annotations

import importlib
import threading
from typing import TYPE_CHECKING, Any

from typing_extensions import override

from tap_zoho.api.tokens.base import (
    LOCK_TIMEOUT_SECONDS,
    StoredToken,
    TokenStore,
    TokenStoreError,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import ModuleType

    import psycopg

TABLE = "tap_zoho_access_tokens"
"""In the connection's first schema (`search_path`; set it with `?options=-csearch_path%3D...`)."""
CREATE_LOCK_ID = 0x7A6F686F  # "zoho": serialises CREATE TABLE IF NOT EXISTS, which races
CONNECT_TIMEOUT_SECONDS = 10
INSTALL_HINT = "pip install 'psycopg[binary]>=3.1,<4'"


def _psycopg() -> ModuleType:
    try:
        return importlib.import_module("psycopg")
    except ImportError:
        msg = (
            "token_store is a postgresql:// URL, which needs psycopg 3 (not a dependency "
            f"of tap-zoho): {INSTALL_HINT} into the tap's environment"
        )
        raise TokenStoreError(msg) from None


def redacted(url: str) -> str:
    """Database, host and port: what the URL says without user, password or options."""
    conninfo = importlib.import_module("psycopg.conninfo")
    try:
        parts = conninfo.conninfo_to_dict(url)
    except Exception:  # noqa: BLE001 - psycopg's parse error would quote the URL
        return "an unparsable PostgreSQL URL"
    host = parts.get("host") or "localhost"
    port = parts.get("port") or "5432"
    return f"database {parts.get('dbname') or '(default)'} on {host} port {port}"


def advisory_lock_id(key: str) -> int:
    """A signed 64-bit lock id from the (hexadecimal) credential fingerprint."""
    return int(key[:16], 16) - (1 << 63)


class PostgresTokenStore(TokenStore):
    """One row per credential fingerprint in `tap_zoho_access_tokens`."""

    def __init__(self, url: str, *, lock_timeout: float = LOCK_TIMEOUT_SECONDS) -> None:
        """Check psycopg is importable now (a configuration error), connect later.

        Raises:
            TokenStoreError: psycopg is not installed.
        """
        self._psycopg = _psycopg()
        self._url = url
        self._lock_timeout_ms = int(lock_timeout * 1000)
        self.description = f"token table {TABLE} at {redacted(url)}"
        self._table_ready = False
        self._table_lock = threading.Lock()

    @override
    def fetch_or_mint(
        self,
        key: str,
        usable: Callable[[StoredToken], bool],
        mint: Callable[[], StoredToken],
    ) -> tuple[StoredToken, bool]:
        fresh: StoredToken | None = None
        try:
            with self._connect() as connection:
                stored = self._select(connection, key)
                if stored is not None and usable(stored):
                    return stored, False
                with connection.transaction():
                    self._lock(connection, key)
                    stored = self._select(connection, key)
                    if stored is not None and usable(stored):
                        return stored, False  # another process minted while we waited
                    fresh = mint()
                    connection.execute(
                        f"INSERT INTO {TABLE} (fingerprint, access_token, expires_at,"  # noqa: S608 - fixed name
                        " lifetime, api_domain, updated_at) VALUES (%s, %s, %s, %s, %s, now())"
                        " ON CONFLICT (fingerprint) DO UPDATE SET access_token ="
                        " EXCLUDED.access_token, expires_at = EXCLUDED.expires_at, lifetime ="
                        " EXCLUDED.lifetime, api_domain = EXCLUDED.api_domain,"
                        " updated_at = now()",
                        (key, fresh.value, fresh.expires_at, fresh.lifetime, fresh.api_domain),
                    )
                return fresh, True
        except self._psycopg.Error as exc:
            error = self._failure(exc)
            error.minted = fresh
            raise error from None

    @override
    def discard(self, key: str, rejected: str) -> None:
        try:
            with self._connect() as connection, connection.transaction():
                self._lock(connection, key)
                stored = self._select(connection, key)
                if stored is not None and stored.is_token(rejected):
                    connection.execute(f"DELETE FROM {TABLE} WHERE fingerprint = %s", (key,))  # noqa: S608
        except self._psycopg.Error as exc:
            raise self._failure(exc) from None

    def _failure(self, exc: Exception) -> TokenStoreError:
        """The error's class and SQLSTATE only: psycopg's text can quote the URL or values."""
        sqlstate = getattr(exc, "sqlstate", None) or "no SQLSTATE"
        return TokenStoreError(f"{self.description}: {type(exc).__name__} ({sqlstate})")

    def _connect(self) -> psycopg.Connection[Any]:
        connection: psycopg.Connection[Any] = self._psycopg.connect(
            self._url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS
        )
        try:
            self._ensure_table(connection)
        except BaseException:
            connection.close()
            raise
        return connection

    def _ensure_table(self, connection: psycopg.Connection[Any]) -> None:
        with self._table_lock:
            if self._table_ready:
                return
            with connection.transaction():
                connection.execute("SELECT pg_advisory_xact_lock(%s)", (CREATE_LOCK_ID,))
                connection.execute(
                    f"CREATE TABLE IF NOT EXISTS {TABLE} (fingerprint text PRIMARY KEY,"
                    " access_token text NOT NULL, expires_at double precision NOT NULL,"
                    " lifetime double precision NOT NULL, api_domain text,"
                    " updated_at timestamptz NOT NULL DEFAULT now())"
                )
            self._table_ready = True

    def _lock(self, connection: psycopg.Connection[Any], key: str) -> None:
        """Take the fingerprint's advisory lock for the current transaction."""
        connection.execute(f"SET LOCAL lock_timeout = {self._lock_timeout_ms}")
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (advisory_lock_id(key),))

    @staticmethod
    def _select(connection: psycopg.Connection[Any], key: str) -> StoredToken | None:
        row = connection.execute(
            f"SELECT access_token, expires_at, lifetime, api_domain FROM {TABLE}"  # noqa: S608
            " WHERE fingerprint = %s",
            (key,),
        ).fetchone()
        if row is None:
            return None
        return StoredToken.from_json(
            {"access_token": row[0], "expires_at": row[1], "lifetime": row[2], "api_domain": row[3]}
        )
