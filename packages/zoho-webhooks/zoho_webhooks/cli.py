"""`zoho-webhooks`: serve, work, replay, subscribe.

Every command takes its settings from the environment (see docs/webhooks.md). Without
`ZOHO_WEBHOOKS_DATABASE_URL` the command starts (or attaches to) the embedded
PostgreSQL in `ZOHO_WEBHOOKS_EMBEDDED_DIR` and holds it for as long as it runs.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import re
import signal
import sys
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import psycopg

from target_tsh_erp.database import connect, embedded
from target_tsh_erp.redaction import failure_reason
from zoho_webhooks import crm, inbox
from zoho_webhooks.service import client_factory, prepare_database
from zoho_webhooks.settings import ServiceSettings, SettingsError

if TYPE_CHECKING:
    from collections.abc import Iterator

logger = logging.getLogger("zoho_webhooks")
DATABASE_ENV = "ZOHO_WEBHOOKS_DATABASE_URL"
_TARGET_SETTING = re.compile(r"setting database_url \(env [A-Z_]+\): ")
"""The target's own wording names its variable; the service's is DATABASE_ENV."""


@contextlib.contextmanager
def database(settings: ServiceSettings) -> Iterator[str]:
    """The configured URL, or an embedded server held for the block."""
    if settings.database_url:
        yield settings.database_url
        return
    with embedded(settings.embedded_dir) as db:
        yield db.url


def _since(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        msg = f"--since must be an ISO-8601 time (e.g. 2024-01-05T10:00:00+00:00), got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zoho-webhooks", description=__doc__)
    parser.add_argument("--log-level", default="INFO")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="HTTP intake (and the worker unless --no-worker)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--no-worker", action="store_true",
                       help="only receive; run `zoho-webhooks work` separately")
    work = commands.add_parser("work", help="process the inbox (several may run at once)")
    work.add_argument("--threads", type=int, default=None)
    replay = commands.add_parser("replay", help="re-process stored events")
    replay.add_argument("--since", type=_since, required=True)
    replay.add_argument("--module", default=None, help="e.g. invoices, salesorders, Deals")
    replay.add_argument("--dead", action="store_true", help="only dead-lettered events")
    subscribe = commands.add_parser("subscribe", help="create or renew the CRM channel")
    subscribe.add_argument("--force", action="store_true", help="renew even if not due")
    return parser


def _serve(settings: ServiceSettings, args: argparse.Namespace) -> int:
    import uvicorn  # noqa: PLC0415 - only `serve` needs it

    from zoho_webhooks.app import build_app  # noqa: PLC0415
    from zoho_webhooks.server import server_config  # noqa: PLC0415

    # The in-process worker's mapping holds the GIL in long stretches; a short switch
    # interval keeps acknowledgements (event loop, intake writers) from queueing behind it.
    sys.setswitchinterval(0.0005)
    with database(settings) as url:
        app = build_app(settings, url, run_worker=not args.no_worker)
        server = uvicorn.Server(server_config(app, settings, args.host, args.port))
        logger.info("zoho-webhooks serving on http://%s:%d", args.host, args.port)
        server.run()
    return 0


def _work(settings: ServiceSettings, args: argparse.Namespace) -> int:
    from zoho_webhooks.metrics import ServiceMetrics  # noqa: PLC0415
    from zoho_webhooks.processor import WorkerLoop  # noqa: PLC0415

    stopping = threading.Event()
    loops: list[WorkerLoop] = []

    def stop(*_: Any) -> None:  # noqa: ANN401 - signal handler arguments
        stopping.set()
        for loop in loops:
            loop.stop()

    # Installed before anything slow, so a stop during start-up is still a clean stop.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    threads = args.threads or settings.worker_threads
    metrics = ServiceMetrics()
    with database(settings) as url:
        prepare_database(settings, url)
        loops.extend(WorkerLoop(settings, url, lambda: client_factory(settings), metrics.record)
                     for _ in range(max(1, threads)))  # fmt: skip
        if stopping.is_set():
            return 0
        running = [threading.Thread(target=loop.run, daemon=True) for loop in loops[1:]]
        for thread in running:
            thread.start()
        logger.info("zoho-webhooks work: %d worker thread(s) running", len(loops))
        loops[0].run()
        for thread in running:
            thread.join()
    return 0


def _replay(settings: ServiceSettings, args: argparse.Namespace) -> int:
    with database(settings) as url:
        prepare_database(settings, url)
        with connect(url) as connection:
            count = inbox.replay(connection, settings, args.since, module=args.module,
                                 dead_only=args.dead)  # fmt: skip
    print(f"{count} event(s) queued again")  # noqa: T201
    return 0


def _subscribe(settings: ServiceSettings, args: argparse.Namespace) -> int:
    client = client_factory(settings)
    if client is None:
        print("zoho-webhooks subscribe: TAP_ZOHO_CLIENT_ID, TAP_ZOHO_CLIENT_SECRET and"  # noqa: T201
              " TAP_ZOHO_REFRESH_TOKEN are required", file=sys.stderr)
        return 2
    with database(settings) as url:
        prepare_database(settings, url)
        with connect(url) as connection:
            for result in crm.subscribe(connection, settings, client, force=args.force):
                print(f"channel {result['channel_id']}: {result['action']},"  # noqa: T201
                      f" expires {result['expires_at']}")
    client.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")  # fmt: skip
    try:
        settings = ServiceSettings.from_env()
    except SettingsError as error:
        print(f"zoho-webhooks: {error}", file=sys.stderr)  # noqa: T201
        return 2
    if args.command == "serve" and not settings.webhook_secret:
        logger.warning("ZOHO_WEBHOOK_SECRET is not set: every Books/Inventory webhook will be"
                       " refused (401)")  # fmt: skip
    handlers = {"serve": _serve, "work": _work, "replay": _replay, "subscribe": _subscribe}
    try:
        return handlers[args.command](settings, args)
    except RuntimeError as error:
        print(f"zoho-webhooks {args.command}: {error}", file=sys.stderr)  # noqa: T201
        return 1
    except (psycopg.Error, ValueError) as error:
        # One line, never the password (the target's connect redacts it), no traceback.
        reason = _TARGET_SETTING.sub("", failure_reason(error))
        print(f"zoho-webhooks {args.command}: {DATABASE_ENV}: {reason}", file=sys.stderr)  # noqa: T201
        return 1
