"""`zoho-webhooks`: the real-time sync service's command line."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Entry point; the service's commands are added with the service."""
    del argv
    print("zoho-webhooks: the service is not built yet", file=sys.stderr)  # noqa: T201
    return 2
