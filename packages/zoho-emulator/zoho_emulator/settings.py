"""Settings of one emulator instance: the knobs `zoho-emulator serve` exposes."""

from __future__ import annotations

from dataclasses import dataclass, field

DEMO_CLIENT_ID = "1000.DEMOCLIENTID"
DEMO_CLIENT_SECRET = "demo-client-secret"  # noqa: S105 - documented demo default, not a secret
DEMO_REFRESH_TOKEN = "1000.demo.refresh-token"  # noqa: S105 - documented demo default
DEMO_WEBHOOK_SECRET = "demo-webhook-secret"  # noqa: S105 - documented demo default

SCALES: dict[str, int] = {
    "tiny": 25,
    "demo": 300,
    "small": 2_000,
    "medium": 20_000,
    "large": 200_000,
    "huge": 1_000_000,
}
"""Records per entity for each named scale; `--scale` also takes a plain number."""


@dataclass(slots=True)
class EmulatorSettings:
    """Everything that makes one emulator behave the way a test or demo needs.

    Defaults follow Zoho's documented production limits so that a client tuned against
    the emulator is tuned for Zoho; tests lower them to provoke limits quickly.
    """

    seed: int = 42
    scale: int = SCALES["demo"]
    client_id: str = DEMO_CLIENT_ID
    client_secret: str = DEMO_CLIENT_SECRET
    refresh_token: str = DEMO_REFRESH_TOKEN
    webhook_secret: str = DEMO_WEBHOOK_SECRET
    requests_per_minute: int = 100
    """Per (product, organization) rolling minute; 0 turns the limit off."""
    daily_limit: int = 10_000
    """Per (product, organization) calls per day; 0 turns the limit off."""
    concurrency_limit: int = 10
    """In-flight requests per (product, organization); 0 turns the limit off."""
    crm_daily_credits: int = 50_000
    """CRM API credits per rolling day for the CRM org; 0 turns the limit off."""
    latency_ms: int = 0
    """Added to every API response (not to the accounts server)."""
    token_lifetime: int = 3600
    """Seconds an access token lives (`expires_in`)."""
    token_mint_limit: int = 10
    """Access tokens a refresh token may mint per `token_mint_window` seconds."""
    token_mint_window: int = 600
    max_live_tokens: int = 15
    """Live access tokens per refresh token; minting one more revokes the oldest."""
    answers: frozenset[str] = field(default_factory=frozenset)
    """Other-answer switches that are on (`zoho_emulator.answers`; empty = the defaults)."""


def parse_scale(value: str) -> int:
    """Turn `--scale demo` or `--scale 50000` into a record count per entity.

    Raises:
        ValueError: for an unknown name or a non-positive number.
    """
    if value in SCALES:
        return SCALES[value]
    count = int(value)
    if count <= 0:
        msg = f"scale must be one of {', '.join(SCALES)} or a positive number, not {value!r}"
        raise ValueError(msg)
    return count
