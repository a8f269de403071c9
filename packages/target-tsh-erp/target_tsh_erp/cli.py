"""`tsh-erp`: operate the ERP database without a Singer pipeline.

    tsh-erp migrate   apply the schema migrations (also done by every target run)
    tsh-erp remap     rebuild the erp tables from zoho_raw (no Zoho API call)
    tsh-erp version   print the schema version of the database
    tsh-erp status    warnings, runs, rows, lag, quotas, inbox (`--html report.html`,
                      `--metrics-file m.prom`, `--serve` for a live page and /metrics)
    tsh-erp reconcile compare Zoho's counts and sums with the ERP's (a few calls per org)

Settings come from a target config file (`--config`) or the target's environment
variables (`TARGET_TSH_ERP_DATABASE_URL`, `TARGET_TSH_ERP_EMBEDDED_DATA_DIR`,
`TARGET_TSH_ERP_ERP_SCHEMA`, `TARGET_TSH_ERP_RAW_SCHEMA`), the same as the target's.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from target_tsh_erp.database import connect, resolved_database_url
from target_tsh_erp.monitoring.alerts import Thresholds
from target_tsh_erp.monitoring.inbox import DEFAULT_WEBHOOK_SCHEMA
from target_tsh_erp.monitoring.metrics import write_textfile
from target_tsh_erp.reconcile.plan import EXIT_DRIFT
from target_tsh_erp.redaction import failure_reason
from target_tsh_erp.settings import WriterSettings, env_name
from target_tsh_erp.status import DEFAULT_RUN_LOG, collect, render_text
from target_tsh_erp.store.migrations import SchemaTooNewError, current_version, migrate
from target_tsh_erp.store.remap import remap

__all__ = ["main"]

_SETTINGS = ("database_url", "embedded_data_dir", "erp_schema", "raw_schema", "notify_channel")


def _settings(config_path: str | None) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if config_path:
        config.update(json.loads(Path(config_path).read_text(encoding="utf-8")))
    for name in _SETTINGS:
        value = os.environ.get(env_name(name))
        if value and name not in config:
            config[name] = value
    return config


def _thresholds(args: argparse.Namespace) -> Thresholds:
    """The warning thresholds from the command line (defaults as the rules file's)."""
    return Thresholds(
        schedule_seconds=args.schedule_minutes * 60,
        quota_reserve_requests=args.quota_reserve,
        crm_daily_credits=args.crm_daily_credits,
        pending_webhook_seconds=args.pending_minutes * 60,
    )


def _status(
    connection: Any,  # noqa: ANN401 - psycopg connection
    settings: WriterSettings,
    args: argparse.Namespace,
) -> int:
    """Print the status report (read-only: no migration), and write the page and metrics."""
    report = collect(
        connection,
        erp_schema=settings.erp_schema,
        raw_schema=settings.raw_schema,
        run_log=Path(args.run_log),
        webhook_schema=args.webhook_schema,
    )
    limits = _thresholds(args)
    print(render_text(report, limits), end="")  # noqa: T201
    if args.html:
        # Imported here: the page draws charts with matplotlib, which text never needs.
        from target_tsh_erp.monitoring.page import render_page  # noqa: PLC0415

        Path(args.html).write_text(render_page(report, limits), encoding="utf-8")
        print(f"HTML report written to {args.html}")  # noqa: T201
    if args.metrics_file:
        write_textfile(Path(args.metrics_file), report, limits)
        print(f"Metrics written to {args.metrics_file}")  # noqa: T201
    return 0


def _serve(url: str, settings: WriterSettings, args: argparse.Namespace) -> int:
    """`status --serve`: the live page and /metrics (imported here: starlette, uvicorn)."""
    from target_tsh_erp.monitoring.server import Source, serve  # noqa: PLC0415

    source = Source(url, settings.erp_schema, settings.raw_schema, Path(args.run_log),
                    args.webhook_schema)  # fmt: skip
    return serve(source, _thresholds(args), host=args.host, port=args.port,
                 refresh_seconds=args.refresh_seconds)  # fmt: skip


def _status_options(parser: argparse.ArgumentParser) -> None:
    """`status` options: outputs, the webhook schema and the warning thresholds."""
    parser.add_argument("--html", help="status: also write a self-contained HTML report here")
    parser.add_argument(
        "--run-log", default=DEFAULT_RUN_LOG,
        help="status: Meltano's JSON run log (API requests, quotas, credits, streams)",
    )
    parser.add_argument("--metrics-file",
                        help="status: write Prometheus metrics here (node exporter textfile)")
    parser.add_argument("--webhook-schema", default=DEFAULT_WEBHOOK_SCHEMA,
                        help="status: the zoho-webhooks schema holding its inbox")
    parser.add_argument("--serve", action="store_true",
                        help="status: serve the live page and /metrics (read-only) until ^C")
    parser.add_argument("--host", default="127.0.0.1",
                        help="status --serve: address to bind (default loopback only)")
    parser.add_argument("--port", type=int, default=9187, help="status --serve: port")
    parser.add_argument("--refresh-seconds", type=int, default=30,
                        help="status --serve: how often the page reloads itself")
    defaults = Thresholds()
    for flag, default, text in [
        ("--schedule-minutes", defaults.schedule_seconds // 60,
         "a stream is stale after twice this"),
        ("--quota-reserve", defaults.quota_reserve_requests,
         "warn at or below this many requests left"),
        ("--crm-daily-credits", defaults.crm_daily_credits,
         "your CRM edition's credits per day"),
        ("--pending-minutes", defaults.pending_webhook_seconds // 60,
         "warn when a webhook waits longer"),
    ]:  # fmt: skip
        parser.add_argument(flag, type=int, default=default, help=f"status: {text}")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `tsh-erp` console script."""
    parser = argparse.ArgumentParser(prog="tsh-erp", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["migrate", "remap", "version", "status", "reconcile"])
    parser.add_argument("--config", help="a target-tsh-erp config JSON file")
    parser.add_argument(
        "--keep", action="store_true",
        help="remap: update in place instead of truncating the erp tables first",
    )
    _status_options(parser)
    parser.add_argument(
        "--tap-config",
        help="reconcile: a tap-zoho config JSON (else TAP_ZOHO_* and ZOHO_* variables)",
    )
    parser.add_argument(
        "--fail-on-drift", action="store_true",
        help=f"reconcile: exit {EXIT_DRIFT} when a figure differs (it is stored either way)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    try:
        return _run(args)
    except SchemaTooNewError as error:
        print(f"tsh-erp: {error}", file=sys.stderr)  # noqa: T201
        return 2
    except Exception as error:  # noqa: BLE001 - every failure ends as one redacted line
        print(f"tsh-erp: {failure_reason(error)}", file=sys.stderr)  # noqa: T201
        return 1


def _run(args: argparse.Namespace) -> int:
    """One command against the configured database."""
    config = _settings(args.config)
    writer_settings = WriterSettings.from_config(config)
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(resolved_database_url(config))
        if args.command == "status" and args.serve:
            return _serve(url, writer_settings, args)
        connection = stack.enter_context(connect(url))
        if args.command == "status":
            return _status(connection, writer_settings, args)
        if args.command == "version":
            print(current_version(connection, writer_settings.erp_schema))  # noqa: T201
            return 0
        version = migrate(connection, writer_settings.erp_schema, writer_settings.raw_schema)
        if args.command == "migrate":
            print(f"schema at version {version}")  # noqa: T201
            return 0
        if args.command == "reconcile":
            # Imported here: it loads the Zoho client, which no other command needs.
            from target_tsh_erp.reconcile.command import run_command  # noqa: PLC0415

            return run_command(
                connection, writer_settings, tap_config=args.tap_config,
                fail_on_drift=args.fail_on_drift,
            )  # fmt: skip
        result = remap(connection, writer_settings, truncate=not args.keep)
        print(  # noqa: T201
            f"remapped: {dict(result.erp_written)} rows written, "
            f"{len(result.rejects)} rejected"
        )
    return 0

if __name__ == "__main__":
    raise SystemExit(main())
