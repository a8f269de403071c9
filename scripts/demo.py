"""`make demo`: the whole product on one machine, with no Zoho account and no database.

Step 1 (this version): start the local Zoho emulator, prove it answers like Zoho (a token
request and one Books call), and stop it, leaving nothing running.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from scripts.emulator_process import EmulatorProcess, emulator_process
from zoho_emulator.settings import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RUN_DIR = PROJECT_ROOT / ".meltano" / "demo"


def say(message: str) -> None:
    """One line of narration: the demo says what it does as it goes."""
    print(f"[demo] {message}", flush=True)  # noqa: T201 - the demo talks to a person


def smoke(emulator: EmulatorProcess) -> None:
    """Mint a token the way a Zoho self-client does and list the Books organizations."""
    query = urllib.parse.urlencode(
        {
            "grant_type": "refresh_token",
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
            "refresh_token": DEMO_REFRESH_TOKEN,
        }
    )
    token_request = urllib.request.Request(  # noqa: S310 - loopback emulator
        f"{emulator.base_url}/oauth/v2/token?{query}", data=b"", method="POST"
    )
    with urllib.request.urlopen(token_request, timeout=30) as response:  # noqa: S310
        token = json.loads(response.read())
    say(f"token request: OK (expires_in {token['expires_in']} s, api_domain {token['api_domain']})")
    books_request = urllib.request.Request(  # noqa: S310 - loopback emulator
        f"{token['api_domain']}/books/v3/organizations",
        headers={"Authorization": f"Zoho-oauthtoken {token['access_token']}"},
    )
    with urllib.request.urlopen(books_request, timeout=30) as response:  # noqa: S310
        organizations = json.loads(response.read())["organizations"]
    names = ", ".join(f"{org['organization_id']} {org['name']}" for org in organizations)
    say(f"GET /books/v3/organizations: {len(organizations)} organizations ({names})")


def main() -> int:
    """Run the demo; 0 when every step worked."""
    started = time.monotonic()
    say("starting the local Zoho emulator (seed 42, demo scale) on a free loopback port")
    with emulator_process(RUN_DIR) as emulator:
        say(f"emulator ready at {emulator.base_url} (log: {emulator.log_path})")
        smoke(emulator)
        say(f"emulator served {emulator.stats()['total_requests']} API requests")
        say("stopping the emulator")
    say(f"done in {time.monotonic() - started:.1f} s; nothing left running")
    return 0


if __name__ == "__main__":
    sys.exit(main())
