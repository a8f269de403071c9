"""What a shared token store promises, whatever keeps the token.

Zoho lets a refresh token mint 10 access tokens per 10 minutes, and every process of
every job that shares a self-client draws on that one budget. A store lets them share one
access token until shortly before it expires; its one real duty is that when the token
must be replaced, exactly one process mints and the others wait and take its token.
"""

from __future__ import annotations

import secrets
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

LOCK_TIMEOUT_SECONDS = 330.0
"""How long a process waits for another one's mint. A mint can take four attempts of up
to 60 s each plus 14 s of throttle back-off (auth.THROTTLE_RETRIES), so waiting less
would let a second process mint while the first is still legitimately at it."""


class TokenStoreError(RuntimeError):
    """The store could not be read, written or locked (the message names no secret).

    `minted` is the token minted just before the store failed to keep it: the caller
    uses it rather than mint a second one (one of Zoho's 10 per 10 minutes).
    """

    minted: StoredToken | None = None


@dataclass(frozen=True, slots=True)
class StoredToken:
    """An access token as every process sees it; `repr` hides the token itself.

    `expires_at` is wall-clock epoch seconds (not monotonic time), because another
    process, or another machine, compares it with its own clock.
    """

    value: str = field(repr=False)
    expires_at: float
    lifetime: float
    api_domain: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The stored form; the key (credential fingerprint) lives outside it."""
        return {
            "access_token": self.value,
            "expires_at": self.expires_at,
            "lifetime": self.lifetime,
            "api_domain": self.api_domain,
        }

    @classmethod
    def from_json(cls, data: object) -> StoredToken | None:
        """Parse the stored form; anything malformed reads as "no token" (mint afresh)."""
        if not isinstance(data, dict):
            return None
        value = data.get("access_token")
        expires_at = data.get("expires_at")
        lifetime = data.get("lifetime")
        api_domain = data.get("api_domain")
        if not isinstance(value, str) or not value:
            return None
        if not isinstance(expires_at, int | float) or not isinstance(lifetime, int | float):
            return None
        return cls(
            value=value,
            expires_at=float(expires_at),
            lifetime=float(lifetime),
            api_domain=api_domain if isinstance(api_domain, str) and api_domain else None,
        )

    def is_token(self, candidate: str) -> bool:
        """Constant-time comparison: whether `candidate` is this stored token."""
        return secrets.compare_digest(self.value.encode(), candidate.encode())


class TokenStore(ABC):
    """Where the processes sharing a self-client keep its current access token.

    Keys are `ZohoCredentials.fingerprint` (a hash of the credential set), so a store
    never holds a client secret or a refresh token, and several self-clients can share
    one store.
    """

    description: str
    """Where the store is, for messages: a folder, or a URL without its password."""

    @abstractmethod
    def fetch_or_mint(
        self,
        key: str,
        usable: Callable[[StoredToken], bool],
        mint: Callable[[], StoredToken],
    ) -> tuple[StoredToken, bool]:
        """The stored token if `usable`, else one minted by `mint` and stored.

        `mint` runs under a lock shared by every process using the store, and the store
        is read again once the lock is held, so processes that start together mint once.

        Returns:
            The token, and whether this call minted it.

        Raises:
            TokenStoreError: the store cannot be read, written or locked.
        """

    @abstractmethod
    def discard(self, key: str, rejected: str) -> None:
        """Zoho refused `rejected`: drop it, unless the store already holds a newer token.

        Comparing before deleting is what keeps a 401 seen by several processes from
        costing several mints: the first discards and re-mints, the others find the new
        token already there.

        Raises:
            TokenStoreError: the store cannot be read, written or locked.
        """
