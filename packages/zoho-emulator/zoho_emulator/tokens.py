"""Zoho Accounts' token rules: who may mint, how many, for how long.

Kept apart from the HTTP route so the rules can be tested and driven (revocation faults,
grant codes) from Python as well as over HTTP.
"""

from __future__ import annotations

import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoho_emulator.clock import Clock

GRANT_CODE_LIFETIME = 180.0
"""Seconds a grant code stays valid (Zoho's default for web clients)."""


class TokenError(Enum):
    """The `error` values Zoho Accounts answers with (HTTP 200, except the throttle)."""

    INVALID_CLIENT = "invalid_client"
    INVALID_CLIENT_SECRET = "invalid_client_secret"  # noqa: S105 - an error name
    INVALID_CODE = "invalid_code"
    THROTTLED = "Access Denied"
    UNSUPPORTED_GRANT = "unsupported_grant_type"


@dataclass
class _RefreshTokenState:
    live: deque[tuple[str, float]] = field(default_factory=deque)
    """Access tokens minted from this refresh token and not yet revoked, oldest first."""
    mint_times: deque[float] = field(default_factory=deque)


@dataclass(frozen=True, slots=True)
class MintedToken:
    """A successful mint: the access token and its lifetime."""

    access_token: str
    expires_in: int
    refresh_token: str | None = None


def _new_token() -> str:
    return f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"


class TokenStore:
    """Refresh tokens, grant codes and live access tokens of the one OAuth client."""

    def __init__(  # noqa: PLR0913 - each limit is a separate Zoho rule
        self,
        clock: Clock,
        *,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        lifetime: int,
        mint_limit: int,
        mint_window: int,
        max_live: int,
    ) -> None:
        """Register the one client and its initial refresh token."""
        self._clock = clock
        self.client_id = client_id
        self._client_secret = client_secret
        self.lifetime = lifetime
        self.mint_limit = mint_limit
        self.mint_window = mint_window
        self.max_live = max_live
        self._lock = threading.Lock()
        self._refresh: dict[str, _RefreshTokenState] = {refresh_token: _RefreshTokenState()}
        self._access: dict[str, tuple[str, float]] = {}
        """access token -> (refresh token, expiry time)."""
        self._grant_codes: dict[str, float] = {}
        self.minted: list[str] = []
        """Every access token ever minted, so tests can grep logs for them."""

    def check_client(self, client_id: str | None, client_secret: str | None) -> TokenError | None:
        """Zoho checks the client before the grant: unknown id, then wrong secret."""
        if client_id != self.client_id:
            return TokenError.INVALID_CLIENT
        if not secrets.compare_digest(client_secret or "", self._client_secret):
            return TokenError.INVALID_CLIENT_SECRET
        return None

    def refresh(self, refresh_token: str) -> MintedToken | TokenError:
        """Mint an access token from a refresh token, enforcing Zoho's per-token limits."""
        with self._lock:
            state = self._refresh.get(refresh_token)
            if state is None:
                return TokenError.INVALID_CODE
            return self._mint(refresh_token, state)

    def issue_grant_code(self) -> str:
        """What the API console's self client does: a short-lived one-use grant code."""
        code = f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"
        with self._lock:
            self._grant_codes[code] = self._clock.time() + GRANT_CODE_LIFETIME
        return code

    def exchange_code(self, code: str) -> MintedToken | TokenError:
        """Trade a grant code for a new refresh token and a first access token."""
        with self._lock:
            expiry = self._grant_codes.pop(code, None)
            if expiry is None or expiry < self._clock.time():
                return TokenError.INVALID_CODE
            refresh_token = _new_token()
            state = _RefreshTokenState()
            self._refresh[refresh_token] = state
            minted = self._mint(refresh_token, state)
        if isinstance(minted, TokenError):
            return minted
        return MintedToken(minted.access_token, minted.expires_in, refresh_token)

    def _mint(self, refresh_token: str, state: _RefreshTokenState) -> MintedToken | TokenError:
        now = self._clock.time()
        while state.mint_times and state.mint_times[0] <= now - self.mint_window:
            state.mint_times.popleft()
        if len(state.mint_times) >= self.mint_limit:
            return TokenError.THROTTLED
        state.mint_times.append(now)
        token = _new_token()
        expiry = now + self.lifetime
        state.live.append((token, expiry))
        self._access[token] = (refresh_token, expiry)
        while len(state.live) > self.max_live:
            oldest, _ = state.live.popleft()
            self._access.pop(oldest, None)
        self.minted.append(token)
        return MintedToken(token, self.lifetime)

    def is_valid(self, access_token: str) -> bool:
        """Whether an API call carrying this token is authenticated right now."""
        with self._lock:
            entry = self._access.get(access_token)
        return entry is not None and entry[1] > self._clock.time()

    def revoke_access_tokens(self) -> int:
        """Fault injection: every live access token stops working at once."""
        with self._lock:
            count = len(self._access)
            self._access.clear()
            for state in self._refresh.values():
                state.live.clear()
        return count

    def revoke_refresh_token(self, refresh_token: str) -> bool:
        """What a user revoking the connection does: the token and its children die."""
        with self._lock:
            state = self._refresh.pop(refresh_token, None)
            if state is None:
                return False
            for token, _ in state.live:
                self._access.pop(token, None)
        return True

    def add_refresh_token(self, refresh_token: str) -> None:
        """Register another refresh token for the client (a second environment)."""
        with self._lock:
            self._refresh.setdefault(refresh_token, _RefreshTokenState())
