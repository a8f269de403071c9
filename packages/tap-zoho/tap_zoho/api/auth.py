"""One access-token manager per credential set, shared by every stream and product.

Zoho lets a refresh token mint 10 access tokens per 10 minutes and keeps 15 alive; a
client that refreshes per stream or per request gets throttled or kills its own tokens.
So a token is minted only when none is valid, ahead of its expiry, and once more when
an API call answers 401 for it. With a token store (`tap_zoho.api.tokens`, the
`token_store` setting) that holds across processes and jobs too: Meltano runs discovery
and sync as separate processes, and a project's jobs all share one refresh token.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import requests

from tap_zoho.api.errors import ZohoAuthError, ZohoTokenThrottledError
from tap_zoho.api.tokens import (
    StoredToken,
    TokenStore,
    TokenStoreError,
    open_token_store,
    token_store_spec,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

logger = logging.getLogger("tap_zoho.api.auth")

REFRESH_MARGIN_SECONDS = 60.0
"""Refresh this long before expiry (capped at a tenth of the lifetime for short tokens).

It covers request latency and clock skew between machines sharing a store, nothing
more: a call that still meets an expired token gets a 401, which mints once and
retries. A longer margin would cost mints, since every job sharing the token moves to a
new one that much earlier (with 60 s, one mint per 59 minutes for all of them)."""
THROTTLE_RETRIES = 3
SECONDS_PER_DAY = 86_400
THROTTLE_FIRST_WAIT = 2.0


@dataclass(frozen=True, slots=True)
class ZohoCredentials:
    """An OAuth self-client credential set; `repr` never shows the secrets."""

    client_id: str
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)
    accounts_url: str
    region: str = "us"

    @property
    def fingerprint(self) -> str:
        """A stable key for sharing one manager per credential set (not reversible)."""
        raw = f"{self.accounts_url}\0{self.client_id}\0{self.client_secret}\0{self.refresh_token}"
        return hashlib.sha256(raw.encode()).hexdigest()


class TokenManager:
    """Mints and caches the access token of one credential set (thread-safe).

    Use `TokenManager.for_settings(credentials, settings)` for the manager a run's
    settings ask for (shared through the `token_store`), or `TokenManager.shared` for the
    process-wide one without a store.
    """

    _registry: ClassVar[dict[str, TokenManager]] = {}
    _registry_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        credentials: ZohoCredentials,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        store: TokenStore | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Nothing is minted until a token is asked for.

        Args:
            credentials: the self-client.
            session: HTTP session for the accounts server.
            sleep: waits between throttled mints (tests shorten them).
            store: where processes sharing the self-client keep its token; None keeps
                it in this manager only.
            clock: wall-clock epoch seconds; expiry times are compared across processes
                (and machines), so not monotonic time. Tests pass the emulator's clock.
        """
        self.credentials = credentials
        self.store = store
        self._session = session or requests.Session()
        self._sleep = sleep
        self._clock = clock
        self._lock = threading.Lock()
        self._token: StoredToken | None = None
        self._store_failed = False
        self.api_domain: str | None = None
        """The API host Zoho names with each token (the account's data centre)."""
        self.minted = 0
        """Tokens this manager minted (a token taken from the store is not counted)."""

    @classmethod
    def shared(cls, credentials: ZohoCredentials) -> TokenManager:
        """The one store-less manager of this credential set in this process."""
        return cls._registered(credentials, None, "")

    @classmethod
    def for_settings(
        cls, credentials: ZohoCredentials, settings: Mapping[str, Any]
    ) -> TokenManager:
        """The manager a tap run uses, chosen from its settings (the token-store seam).

        One per credential set and store in this process, so the tap, its CRM streams
        and the webhook service share it; the store shares it with other processes.

        Raises:
            ZohoAuthError: `token_store` is malformed, or a PostgreSQL store without
                psycopg installed (a configuration error: better now than as throttles).
        """
        spec = token_store_spec(settings)
        try:
            store = open_token_store(spec)
        except TokenStoreError as exc:
            raise ZohoAuthError(str(exc)) from None
        if store is None:
            return cls.shared(credentials)
        return cls._registered(credentials, store, spec)

    @classmethod
    def _registered(
        cls, credentials: ZohoCredentials, store: TokenStore | None, spec: str
    ) -> TokenManager:
        key = f"{credentials.fingerprint}\0{spec}"
        with cls._registry_lock:
            manager = cls._registry.get(key)
            if manager is None:
                manager = cls(credentials, store=store)
                cls._registry[key] = manager
            return manager

    @classmethod
    def forget_all(cls) -> None:
        """Drop every shared manager (tests start from a clean process state)."""
        with cls._registry_lock:
            cls._registry.clear()

    def access_token(self) -> str:
        """A valid access token, minting one only if none is valid or it nears expiry."""
        with self._lock:
            token = self._token
            if token is None or self._expiring(token):
                token = self._obtain()
                self._token = token
            return token.value

    def invalidate(self, token: str) -> None:
        """An API call said 401 for `token`: forget it so the next call mints afresh.

        Only the token that failed is dropped, here and in the store, so concurrent
        callers (threads or processes) that already hold a newer token do not trigger a
        second mint.
        """
        with self._lock:
            if self._token is not None and self._token.is_token(token):
                self._token = None
            store = self._live_store()
            if store is not None:
                try:
                    store.discard(self.credentials.fingerprint, token)
                except TokenStoreError as exc:
                    self._store_broken(exc)

    def _expiring(self, token: StoredToken) -> bool:
        margin = min(REFRESH_MARGIN_SECONDS, token.lifetime / 10)
        return self._clock() >= token.expires_at - margin

    def _obtain(self) -> StoredToken:
        """The store's token if it is still good, else a fresh one (minted once for all)."""
        store = self._live_store()
        if store is None:
            return self._mint()
        try:
            token, minted = store.fetch_or_mint(
                self.credentials.fingerprint,
                lambda stored: not self._expiring(stored),
                self._mint,
            )
        except TokenStoreError as exc:
            self._store_broken(exc)
            return exc.minted or self._mint()
        if not minted:
            self.api_domain = token.api_domain or self.api_domain
            logger.info(
                "Using the Zoho access token shared in the %s (valid %.0fs more)",
                store.description,
                token.expires_at - self._clock(),
                extra={"zoho_event": "tds.zoho.token.shared"},
            )
        return token

    def _live_store(self) -> TokenStore | None:
        return None if self._store_failed else self.store

    def _store_broken(self, error: TokenStoreError) -> None:
        """Keep the run going on its own tokens: a store outage must not stop a sync.

        The cost is what a store saves (a mint per process), which the throttle
        back-off absorbs for a while; the warning says so, once per manager.
        """
        self._store_failed = True
        logger.warning(
            "The shared token store is unusable: %s. This process mints its own access "
            "tokens, which count against Zoho's 10 per 10 minutes for every job of this "
            "self-client",
            error,
            extra={"zoho_event": "tds.zoho.token.store_failed"},
        )

    def _mint(self) -> StoredToken:
        wait = THROTTLE_FIRST_WAIT
        for attempt in range(THROTTLE_RETRIES + 1):
            body = self._post()
            error = body.get("error")
            if "access_token" in body:
                return self._accept(body)
            if error == "Access Denied" and attempt < THROTTLE_RETRIES:
                logger.warning(
                    "Zoho throttled access-token creation; retrying in %.0fs",
                    wait,
                    extra={"zoho_event": "tds.zoho.token.refresh_failed", "error": "throttled"},
                )
                self._sleep(wait)
                wait *= 2
                continue
            raise self._error(error, body)
        msg = "token minting gave up"  # pragma: no cover - the loop always returns or raises
        raise ZohoTokenThrottledError(msg)

    def _post(self) -> dict[str, Any]:
        credentials = self.credentials
        url = f"{credentials.accounts_url.rstrip('/')}/oauth/v2/token"
        try:
            response = self._session.post(
                url,
                data={
                    "grant_type": "refresh_token",
                    "client_id": credentials.client_id,
                    "client_secret": credentials.client_secret,
                    "refresh_token": credentials.refresh_token,
                },
                timeout=60,
            )
        except requests.RequestException as exc:
            logger.error(  # noqa: TRY400 - the traceback could carry the form body
                "Zoho accounts server %s unreachable: %s",
                url,
                type(exc).__name__,
                extra={"zoho_event": "tds.zoho.token.refresh_failed", "error": type(exc).__name__},
            )
            msg = f"cannot reach the Zoho accounts server {url}: {type(exc).__name__}"
            raise ZohoAuthError(msg) from None
        try:
            body = response.json()
        except ValueError:
            body = {"error": f"HTTP {response.status_code} with a non-JSON body"}
        if not isinstance(body, dict):
            body = {"error": f"HTTP {response.status_code} with an unexpected body"}
        return body

    def _accept(self, body: dict[str, Any]) -> StoredToken:
        lifetime = float(body.get("expires_in_sec") or body.get("expires_in") or 3600)
        if lifetime > SECONDS_PER_DAY:  # some Zoho eras sent milliseconds
            lifetime /= 1000
        self.api_domain = str(body.get("api_domain") or "") or self.api_domain
        self.minted += 1
        logger.info(
            "Minted a Zoho access token (valid %.0fs)",
            lifetime,
            extra={"zoho_event": "tds.zoho.token.refreshed", "expires_in": lifetime},
        )
        return StoredToken(
            value=str(body["access_token"]),
            expires_at=self._clock() + lifetime,
            lifetime=lifetime,
            api_domain=self.api_domain,
        )

    def _error(self, error: object, body: dict[str, Any]) -> ZohoAuthError:
        credentials = self.credentials
        where = f"region {credentials.region!r}, accounts server {credentials.accounts_url}"
        if error == "invalid_code":
            text = (
                "Zoho rejected the refresh token (invalid_code): it was revoked, expired or "
                "replaced (Zoho keeps 20 per user and client). Generate a new refresh token "
                f"and update refresh_token ({where})."
            )
        elif error == "invalid_client":
            text = (
                f"Zoho does not know client_id {credentials.client_id!r} (invalid_client) at "
                f"{where}. Check client_id, and that region/accounts_url is the data centre "
                "where the client was registered (or enable multi-DC for the client)."
            )
        elif error == "invalid_client_secret":
            text = f"Zoho rejected client_secret (invalid_client_secret) at {where}."
        elif error == "Access Denied":
            text = (
                "Zoho keeps throttling access-token creation (at most 10 tokens per 10 "
                "minutes per refresh token): another process is probably minting with the "
                f"same refresh token. Wait 10 minutes and retry ({where})."
            )
            logger.error(
                text, extra={"zoho_event": "tds.zoho.token.refresh_failed", "error": "throttled"}
            )
            return ZohoTokenThrottledError(text)
        else:
            description = str(body.get("error_description") or "")[:200]
            text = f"Zoho refused to mint an access token: {error} {description} ({where})."
        logger.error(
            text, extra={"zoho_event": "tds.zoho.token.refresh_failed", "error": str(error)}
        )
        return ZohoAuthError(text)
