"""One access-token manager per credential set, shared by every stream and product.

Zoho lets a refresh token mint 10 access tokens per 10 minutes and keeps 15 alive; a
client that refreshes per stream or per request gets throttled or kills its own tokens.
So a token is minted only when none is valid, ahead of its expiry, and once more when
an API call answers 401 for it.
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

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

logger = logging.getLogger("tap_zoho.api.auth")

REFRESH_MARGIN_SECONDS = 300.0
"""Refresh this long before expiry (capped at a tenth of the lifetime for short tokens)."""
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


@dataclass(slots=True)
class _Token:
    value: str
    expires_at: float
    lifetime: float


class TokenManager:
    """Mints and caches the access token of one credential set (thread-safe).

    Use `TokenManager.shared(credentials)` to get the process-wide instance.
    """

    _registry: ClassVar[dict[str, TokenManager]] = {}
    _registry_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        credentials: ZohoCredentials,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Nothing is minted until a token is asked for."""
        self.credentials = credentials
        self._session = session or requests.Session()
        self._sleep = sleep
        self._lock = threading.Lock()
        self._token: _Token | None = None
        self.api_domain: str | None = None
        """The API host Zoho names with each token (the account's data centre)."""
        self.minted = 0

    @classmethod
    def shared(cls, credentials: ZohoCredentials) -> TokenManager:
        """The one manager of this credential set in this process."""
        with cls._registry_lock:
            manager = cls._registry.get(credentials.fingerprint)
            if manager is None:
                manager = cls(credentials)
                cls._registry[credentials.fingerprint] = manager
            return manager

    @classmethod
    def for_settings(
        cls, credentials: ZohoCredentials, settings: Mapping[str, Any]
    ) -> TokenManager:
        """The manager a tap run uses, chosen from its settings (the token-store seam)."""
        del settings  # every setting of the token manager lives in `credentials` today
        return cls.shared(credentials)

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
                token = self._mint()
                self._token = token
            return token.value

    def invalidate(self, token: str) -> None:
        """An API call said 401 for `token`: forget it so the next call mints afresh.

        Only the token that failed is dropped, so concurrent callers that already hold a
        newer token do not trigger a second mint.
        """
        with self._lock:
            if self._token is not None and self._token.value == token:
                self._token = None

    @staticmethod
    def _expiring(token: _Token) -> bool:
        margin = min(REFRESH_MARGIN_SECONDS, token.lifetime / 10)
        return time.monotonic() >= token.expires_at - margin

    def _mint(self) -> _Token:
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
                    extra={"event": "tds.zoho.token.refresh_failed", "error": "throttled"},
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
                extra={"event": "tds.zoho.token.refresh_failed", "error": type(exc).__name__},
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

    def _accept(self, body: dict[str, Any]) -> _Token:
        lifetime = float(body.get("expires_in_sec") or body.get("expires_in") or 3600)
        if lifetime > SECONDS_PER_DAY:  # some Zoho eras sent milliseconds
            lifetime /= 1000
        self.api_domain = str(body.get("api_domain") or "") or self.api_domain
        self.minted += 1
        logger.info(
            "Minted a Zoho access token (valid %.0fs)",
            lifetime,
            extra={"event": "tds.zoho.token.refreshed", "expires_in": lifetime},
        )
        return _Token(str(body["access_token"]), time.monotonic() + lifetime, lifetime)

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
                text, extra={"event": "tds.zoho.token.refresh_failed", "error": "throttled"}
            )
            return ZohoTokenThrottledError(text)
        else:
            description = str(body.get("error_description") or "")[:200]
            text = f"Zoho refused to mint an access token: {error} {description} ({where})."
        logger.error(text, extra={"event": "tds.zoho.token.refresh_failed", "error": str(error)})
        return ZohoAuthError(text)
