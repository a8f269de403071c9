"""`zoho-emulator serve`: a strict local Zoho for demos, tests and benchmarks."""

from __future__ import annotations

import argparse
import sys

from zoho_emulator.answers import ANSWERS, PROFILES, UnknownAnswerError, profile, validate
from zoho_emulator.server import serve
from zoho_emulator.settings import SCALES, EmulatorSettings, parse_scale

_DEFAULTS = EmulatorSettings()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zoho-emulator",
        description="A strict, local emulation of Zoho Accounts, Books, Inventory and CRM.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "serve",
        help="serve the emulator until Ctrl-C or SIGTERM",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    run.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    run.add_argument("--port", type=int, default=8787, help="TCP port")
    run.add_argument(
        "--seed", type=int, default=_DEFAULTS.seed, help="data seed: same seed, same data and ids"
    )
    run.add_argument(
        "--scale",
        default="demo",
        help="records per entity: a number or one of "
        + ", ".join(f"{name} ({count})" for name, count in SCALES.items()),
    )
    run.add_argument(
        "--client-id", default=_DEFAULTS.client_id, help="the one OAuth client id accepted"
    )
    run.add_argument(
        "--client-secret", default=_DEFAULTS.client_secret, help="its client secret (demo default)"
    )
    run.add_argument(
        "--refresh-token", default=_DEFAULTS.refresh_token, help="its refresh token (demo default)"
    )
    run.add_argument(
        "--webhook-secret",
        default=_DEFAULTS.webhook_secret,
        help="HMAC secret that signs Books/Inventory webhooks",
    )
    run.add_argument(
        "--requests-per-minute",
        type=int,
        default=_DEFAULTS.requests_per_minute,
        help="per product and organization, rolling minute (429 code 44); 0 = off",
    )
    run.add_argument(
        "--daily-limit",
        type=int,
        default=_DEFAULTS.daily_limit,
        help="per product and organization, calls per UTC day (429 code 45); 0 = off",
    )
    run.add_argument(
        "--concurrency-limit",
        type=int,
        default=_DEFAULTS.concurrency_limit,
        help="requests in flight per product and organization (429 code 1070); 0 = off",
    )
    run.add_argument(
        "--crm-daily-credits",
        type=int,
        default=_DEFAULTS.crm_daily_credits,
        help="CRM API credits per rolling 24 h (429 TOO_MANY_REQUESTS); 0 = off",
    )
    run.add_argument(
        "--latency-ms", type=int, default=_DEFAULTS.latency_ms, help="added to every API response"
    )
    run.add_argument(
        "--token-lifetime",
        type=int,
        default=_DEFAULTS.token_lifetime,
        help="seconds an access token lives",
    )
    run.add_argument(
        "--profile",
        default="default",
        choices=sorted(PROFILES),
        help="a named set of other answers: docs-only answers every behaviour Zoho's docs do "
        "not promise the other way",
    )
    run.add_argument(
        "--answer",
        action="append",
        default=[],
        metavar="NAME",
        help="turn on one other answer (repeatable; added to the profile's): "
        + ", ".join(sorted(ANSWERS)),
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and serve."""
    args = _parser().parse_args(argv)
    try:
        scale = parse_scale(args.scale)
        answers = profile(args.profile) | validate(args.answer)
    except (ValueError, UnknownAnswerError) as error:
        print(f"zoho-emulator: {error}", file=sys.stderr)  # noqa: T201 - CLI message
        return 2
    settings = EmulatorSettings(
        seed=args.seed,
        scale=scale,
        client_id=args.client_id,
        client_secret=args.client_secret,
        refresh_token=args.refresh_token,
        webhook_secret=args.webhook_secret,
        requests_per_minute=args.requests_per_minute,
        daily_limit=args.daily_limit,
        concurrency_limit=args.concurrency_limit,
        crm_daily_credits=args.crm_daily_credits,
        latency_ms=args.latency_ms,
        token_lifetime=args.token_lifetime,
        answers=answers,
    )
    print(  # noqa: T201 - the one line a person starting the server reads
        f"zoho-emulator: serving on http://{args.host}:{args.port} "
        f"(seed {args.seed}, {scale} records per entity, profile {args.profile}"
        f"{', answers ' + ', '.join(sorted(answers)) if answers else ''})",
        flush=True,
    )
    serve(settings, args.host, args.port)
    return 0
