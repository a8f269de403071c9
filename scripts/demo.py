"""`make demo`: the whole product on one machine, with no Zoho account and no database.

1. Start the local Zoho emulator (a child process on a free loopback port) and an
   embedded PostgreSQL (under .meltano/demo/, fresh each time).
2. `meltano run tap-zoho target-tsh-erp` (the dev environment, pointed at the emulator):
   a first, full sync. Summary: rows per ERP table, API requests, time.
3. Change records in the emulator through its control API: updates, deletes, a new order.
4. Run again: Meltano hands the tap its stored state, so only the changes are fetched.
   Summary: requests used, rows changed, rows soft-deleted.
5. `tsh-erp status` (and its HTML page), then stop everything. Nothing is left running.

The demo uses its own state id (`--state-id-suffix demo`, cleared at start) and its own
database folder, so it never touches a user's dev data and every demo starts clean.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from psycopg import sql

from scripts.emulator_process import EmulatorProcess, EmulatorStartError, emulator_process
from scripts.meltano_runner import PROJECT_ROOT, MeltanoCommandError, run_meltano
from target_tsh_erp.database import connect, embedded
from target_tsh_erp.monitoring.page import render_page
from target_tsh_erp.status import DEFAULT_RUN_LOG, collect, load_runs, render_text
from zoho_emulator.settings import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN

DEMO_DIR = PROJECT_ROOT / ".meltano" / "demo"
DB_DIR = DEMO_DIR / "erp-db"
STATE_SUFFIX = "demo"
STATE_ID = f"dev:tap-zoho-to-target-tsh-erp:{STATE_SUFFIX}"
DEFAULT_SCALE = "100"
DEFAULT_PRODUCTS = "books,inventory,crm"
INDIA_ORG = "10234695"
US_ORG = "20987654"
ZOHO_REQUESTS_PER_MINUTE = 100
"""Zoho's documented per-organization limit, to say what a real account would take."""


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
    say(f"smoke: token request OK (expires_in {token['expires_in']} s)")
    books_request = urllib.request.Request(  # noqa: S310 - loopback emulator
        f"{token['api_domain']}/books/v3/organizations",
        headers={"Authorization": f"Zoho-oauthtoken {token['access_token']}"},
    )
    with urllib.request.urlopen(books_request, timeout=30) as response:  # noqa: S310
        organizations = json.loads(response.read())["organizations"]
    names = "; ".join(f"{org['organization_id']} {org['name']}" for org in organizations)
    say(f"smoke: GET /books/v3/organizations -> {names}")


@dataclass(slots=True)
class TableState:
    """One ERP table after a run: live rows, soft-deleted rows, rows touched by the run."""

    live: int
    deleted: int
    changed: int


def erp_tables(connection: Any, since: datetime) -> dict[str, TableState]:  # noqa: ANN401
    """Rows per ERP table, and how many the run that started at `since` wrote."""
    tables = connection.execute(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = 'erp'"
        " AND column_name = 'updated_at' ORDER BY table_name"
    ).fetchall()
    states: dict[str, TableState] = {}
    for (table,) in tables:
        live, deleted, changed = connection.execute(
            sql.SQL(
                "SELECT count(*) FILTER (WHERE deleted_at IS NULL),"
                " count(*) FILTER (WHERE deleted_at IS NOT NULL),"
                " count(*) FILTER (WHERE updated_at >= %s) FROM erp.{}"
            ).format(sql.Identifier(table)),
            (since,),
        ).fetchone()
        states[str(table)] = TableState(int(live), int(deleted), int(changed))
    connection.commit()
    return states


def sync(emulator: EmulatorProcess, env: dict[str, str], label: str) -> dict[str, Any]:
    """One `meltano run tap-zoho target-tsh-erp`, with the emulator's request count."""
    emulator.reset_stats()
    started = datetime.now(UTC)
    say(f"{label}: meltano run --state-id-suffix {STATE_SUFFIX} tap-zoho target-tsh-erp")
    result = run_meltano(
        ["run", "--state-id-suffix", STATE_SUFFIX, "tap-zoho", "target-tsh-erp"],
        env=env,
        log_path=DEMO_DIR / f"{label.replace(' ', '-')}.log",
    )
    stats = emulator.stats()
    routes: dict[str, int] = stats.get("requests_by_route", {})
    details = sum(count for route, count in routes.items() if "{id}" in route or "details" in route)
    say(
        f"{label}: done in {result.seconds:.1f} s; {stats['total_requests']} API requests "
        f"({details} of them detail calls), {stats.get('tokens_minted', 0)} token minted, "
        f"{stats.get('rate_limited', 0)} rate-limited"
    )
    return {"started": started, "seconds": result.seconds, "requests": stats["total_requests"]}


def show_tables(states: dict[str, TableState], *, changes: bool) -> None:
    """The per-table summary: everything after the first run, changes after the second."""
    shown = {name: s for name, s in states.items() if s.live or s.deleted or s.changed}
    width = max((len(name) for name in shown), default=5)
    if changes:
        say(f"  {'ERP table'.ljust(width)}  rows  written by this run  soft-deleted")
        for name, state in shown.items():
            say(f"  {name.ljust(width)}  {state.live:>4}  {state.changed:>19}  {state.deleted:>12}")
    else:
        say(f"  {'ERP table'.ljust(width)}  rows")
        for name, state in shown.items():
            say(f"  {name.ljust(width)}  {state.live:>4}")
    say(f"  {'total'.ljust(width)}  {sum(s.live for s in shown.values()):>4}")


def mutate(emulator: EmulatorProcess, products: list[str]) -> dict[str, list[str]]:
    """Change Zoho the way users do between two syncs (through the control API)."""
    changes: dict[str, list[str]] = {
        "invoices paid": emulator.control(
            "POST", f"finance/{INDIA_ORG}/invoices/update",
            {"count": 3, "fields": {"status": "paid", "balance": 0.0}},
        )["ids"],
        "items edited": emulator.control(
            "POST", f"finance/{INDIA_ORG}/items/update", {"count": 2}
        )["ids"],
        "customer payments deleted": emulator.control(
            "POST", f"finance/{INDIA_ORG}/customerpayments/delete", {"count": 2}
        )["ids"],
        "new sales order": emulator.control(
            "POST", f"finance/{US_ORG}/salesorders/create", {"count": 1}
        )["ids"],
    }  # fmt: skip
    if "crm" in products:
        changes["CRM deals re-valued"] = emulator.control(
            "POST", "crm/Deals/update", {"count": 2, "values": {"Amount": 12345.0}}
        )["ids"]
        changes["CRM accounts deleted"] = emulator.control(
            "POST", "crm/Accounts/delete", {"count": 1}
        )["ids"]
    for what, ids in changes.items():
        say(f"  {what}: {', '.join(str(i) for i in ids)}")
    return changes


def verify(connection: Any, changes: dict[str, list[str]]) -> None:  # noqa: ANN401
    """Read the changed records back from the ERP tables: the demo proves, not claims."""
    paid = connection.execute(
        "SELECT count(*) FROM erp.invoices WHERE organization_id = %s AND zoho_id = ANY(%s)"
        " AND status = 'paid' AND balance = 0",
        (INDIA_ORG, changes["invoices paid"]),
    ).fetchone()[0]
    deleted = connection.execute(
        "SELECT count(*) FROM erp.payments WHERE organization_id = %s AND zoho_id = ANY(%s)"
        " AND deleted_at IS NOT NULL",
        (INDIA_ORG, changes["customer payments deleted"]),
    ).fetchone()[0]
    created = connection.execute(
        "SELECT count(*) FROM erp.sales_orders WHERE organization_id = %s AND zoho_id = ANY(%s)"
        " AND deleted_at IS NULL",
        (US_ORG, changes["new sales order"]),
    ).fetchone()[0]
    checks = [(paid, 3), (deleted, 2), (created, 1)]
    crm_note = ""
    if "CRM deals re-valued" in changes:
        deals = connection.execute(
            "SELECT count(*) FROM erp.opportunities WHERE zoho_id = ANY(%s) AND amount = 12345",
            ([str(i) for i in changes["CRM deals re-valued"]],),
        ).fetchone()[0]
        gone = connection.execute(
            "SELECT count(*) FROM erp.crm_accounts WHERE zoho_id = ANY(%s)"
            " AND deleted_at IS NOT NULL",
            ([str(i) for i in changes["CRM accounts deleted"]],),
        ).fetchone()[0]
        checks += [(deals, 2), (gone, 1)]
        crm_note = (
            f", {deals}/2 re-valued deals in erp.opportunities, {gone}/1 deleted CRM "
            "account soft-deleted in erp.crm_accounts"
        )
    connection.commit()
    say(
        f"check: {paid}/3 updated invoices are 'paid' in erp.invoices, {deleted}/2 deleted "
        f"payments are soft-deleted in erp.payments, {created}/1 new sales order in "
        f"erp.sales_orders{crm_note}"
    )
    if any(found != expected for found, expected in checks):
        msg = "the ERP tables do not reflect the changes made in Zoho"
        raise SystemExit(msg)


def run_demo(scale: str, products: list[str]) -> None:
    """Every step of the demo; raises on the first failure (after stopping everything)."""
    shutil.rmtree(DB_DIR, ignore_errors=True)
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    say(f"starting the local Zoho emulator (seed 42, {scale} records per entity, 2 orgs)")
    with emulator_process(
        DEMO_DIR, scale=scale, extra_args=("--requests-per-minute", "0")
    ) as emulator:
        say(f"emulator ready at {emulator.base_url}")
        smoke(emulator)
        say(f"starting an embedded PostgreSQL in {DB_DIR.relative_to(PROJECT_ROOT)}")
        with embedded(DB_DIR) as database, connect(database.url) as connection:
            env = {
                "MELTANO_ENVIRONMENT": "dev",
                "TAP_ZOHO_ACCOUNTS_URL": emulator.base_url,
                "TAP_ZOHO_PRODUCTS": json.dumps(products),
                # The emulator's per-minute limit is off for the demo, so the tap need not
                # pace itself at Zoho's 100/min; everything else is as in production.
                "TAP_ZOHO_REQUESTS_PER_MINUTE": "100000",
                "TARGET_TSH_ERP_DATABASE_URL": database.url,
            }
            say(f"products: {', '.join(products)}; clearing the demo's Meltano state")
            run_meltano(["state", "clear", "--force", STATE_ID], env=env, check=False)

            first = sync(emulator, env, "first run")
            show_tables(erp_tables(connection, first["started"]), changes=False)
            minutes = first["requests"] / 2 / ZOHO_REQUESTS_PER_MINUTE
            say(
                f"(at Zoho's {ZOHO_REQUESTS_PER_MINUTE} requests/min per org, the tap would pace "
                f"this first sync over about {minutes:.0f} min; the demo lifts that limit)"
            )

            say("changing records in Zoho through the emulator's control API:")
            changes = mutate(emulator, products)

            second = sync(emulator, env, "second run")
            show_tables(erp_tables(connection, second["started"]), changes=True)
            say(
                f"the second run used {second['requests']} API requests against "
                f"{first['requests']} for the first: incremental lists from Meltano's stored "
                "state, details only for changed documents; full-table lists (no Zoho "
                "filter) are re-read and their deletions soft-deleted"
            )
            verify(connection, changes)
            runs = load_runs(connection, "erp")
            connection.commit()
            say(f"the events outbox recorded {len(runs)} sync runs; `tsh-erp status` says:")
            report = collect(connection, run_log=PROJECT_ROOT / DEFAULT_RUN_LOG)
            connection.commit()
            print(render_text(report), flush=True)  # noqa: T201 - the report is the output
            html_path = DEMO_DIR / "report.html"
            html_path.write_text(render_page(report), encoding="utf-8")
            say(f"HTML report (charts, offline): {html_path.relative_to(PROJECT_ROOT)}")
            say("stopping the embedded PostgreSQL")
        say("stopping the emulator")


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    say("terminated: stopping the emulator and the database")
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    """Run the demo; 0 when every step worked."""
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--scale", default=DEFAULT_SCALE, help="emulator records per entity (default 100)"
    )
    parser.add_argument(
        "--products", default=DEFAULT_PRODUCTS,
        help=f"comma-separated products to sync (default {DEFAULT_PRODUCTS})",
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    # SIGTERM would end Python without running the `with` blocks that stop the emulator
    # and the database; turning it into SystemExit runs them.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        run_demo(args.scale, [p.strip() for p in args.products.split(",") if p.strip()])
    except (MeltanoCommandError, EmulatorStartError) as error:
        say(f"FAILED: {error}")
        say(f"logs are in {DEMO_DIR.relative_to(PROJECT_ROOT)}/; nothing left running")
        return 1
    say(f"demo finished in {time.monotonic() - started:.0f} s; nothing left running")
    return 0


if __name__ == "__main__":
    sys.exit(main())
