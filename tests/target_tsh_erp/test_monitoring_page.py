"""The page and its charts, and the live server on loopback, from demo data."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from psycopg import sql
from test_monitoring_support import ORG_A, ORG_B, SECRET, build_demo, serving

from target_tsh_erp.monitoring.charts import Bar, Series, bar_chart, line_chart
from target_tsh_erp.monitoring.page import render_page
from target_tsh_erp.status import collect

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.timeout(300)

_TEXT = re.compile(r"<text[^>]*>([^<]*)</text>")


def tick_labels(svg: str) -> list[str]:
    return _TEXT.findall(svg)


def test_two_runs_in_one_minute_get_one_time_axis_not_two_equal_labels() -> None:
    start = datetime(2026, 12, 7, 0, 45, 5, tzinfo=UTC)
    bars = [Bar(start, 120), Bar(start + timedelta(seconds=40), 7, failed=True),
            Bar(start + timedelta(minutes=15), 30), Bar(start + timedelta(minutes=30), 0)]
    svg = bar_chart("ERP rows written per run", "rows", bars, "#2b6cb0")
    labels = tick_labels(svg)
    times = [label for label in labels if re.fullmatch(r"\d\d:\d\d", label)]
    assert len(times) >= 3, labels
    assert len(times) == len(set(times)), labels  # distinct ticks, not one per run
    assert "12-07 00:45" not in labels
    assert "red: failed run" in labels
    assert labels.count("ERP rows written per run") == 1
    assert "fill: #c53030" in svg  # the failed run's bar is red
    assert svg.startswith("<svg")  # inline: no XML prolog inside the page


def test_a_week_of_runs_reads_as_days() -> None:
    start = datetime(2026, 12, 1, tzinfo=UTC)
    bars = [Bar(start + timedelta(hours=6 * n), n) for n in range(28)]
    labels = tick_labels(bar_chart("rows", "rows", bars, "#2b6cb0"))
    assert {"Dec", "02", "03"} <= set(labels) or any("Dec" in x for x in labels), labels
    assert len(labels) < 20, labels  # ticks, not one label per run


def test_readings_seconds_apart_still_get_a_clock_axis() -> None:
    at = datetime(2026, 12, 7, 2, 46, 14, tzinfo=UTC)
    svg = line_chart("quota", "left", [Series("111 books", [(at, 9968.0)]),
                                       Series("222 books", [(at + timedelta(seconds=1), 9968.0)])])
    ticks = [label for label in tick_labels(svg) if re.fullmatch(r"\d\d:\d\d", label)]
    assert len(ticks) >= 3, tick_labels(svg)  # clock times, not fractions of a minute


def test_line_chart_names_each_series_and_empty_charts_say_so() -> None:
    at = datetime(2026, 12, 7, tzinfo=UTC)
    svg = line_chart("quota", "left", [
        Series("111 books", [(at, 5.0), (at + timedelta(hours=1), 3.0)]),
        Series("222 inventory", [(at, 9.0)])])
    assert {"111 books", "222 inventory"} <= set(tick_labels(svg))
    assert "nothing recorded yet" in bar_chart("ERP rows written per run", "rows", [], "#000")


def test_page_shows_what_an_operator_watches(conn, writer, settings, tmp_path: Path) -> None:
    demo = build_demo(conn, writer, settings, tmp_path)
    report = collect(conn, erp_schema=settings.erp_schema, raw_schema=settings.raw_schema,
                     run_log=demo.run_log, now=demo.now, webhook_schema=demo.webhook_schema)
    page = render_page(report)
    for expected in ["TshZohoQuotaLow", "TshZohoReconcileDrift", "Daily request quota left",
                     f"{ORG_B} books", "OperationalError: connection to the ERP lost",
                     "INVALID_TOKEN", "dead letters", "Last reconciliation with Zoho"]:
        assert expected in page, expected
    assert "<script" not in page
    assert not re.search(r"(src|href)=\"(https?:)?//|url\((?!#)|@import", page)  # nothing to fetch
    assert "<metadata>" not in page
    assert SECRET not in page
    assert 'http-equiv="refresh"' not in page  # a file does not reload itself


def test_live_server_serves_page_metrics_and_nothing_else(
    conn, writer, settings, database_url: str, tmp_path: Path
) -> None:
    demo = build_demo(conn, writer, settings, tmp_path)
    with serving(database_url, settings, demo, tmp_path, "--refresh-seconds", "7") as url:
        page = requests.get(url + "/", timeout=60)
        assert page.status_code == 200
        assert '<meta http-equiv="refresh" content="7">' in page.text
        assert f"inventory_items of organization {ORG_A}" in page.text
        metrics = requests.get(url + "/metrics", timeout=60)
        assert metrics.headers["content-type"].startswith("text/plain")
        names = {f.name for f in text_string_to_metric_families(metrics.text)}
        assert {"tsh_zoho_quota_remaining_requests", "tsh_zoho_webhook_inbox_dead_letters",
                "tsh_zoho_stream_last_success_timestamp_seconds"} <= names
        assert requests.post(url + "/", timeout=10).status_code == 405
        # live: a new dead letter shows on the next request, nothing is cached
        conn.execute(sql.SQL("UPDATE {}.inbox SET status = 'dead' WHERE delivery_key = 'b'")
                     .format(sql.Identifier(demo.webhook_schema)))
        conn.commit()
        again = requests.get(url + "/metrics", timeout=60).text
        assert "tsh_zoho_webhook_inbox_dead_letters 2.0" in again
        assert SECRET not in page.text + again
