"""The shipped alert rules: valid for promtool, on metrics we expose, and in step with the
warnings of `tsh-erp status` (same data, same thresholds, same alerts firing)."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from test_monitoring_support import build_demo

from target_tsh_erp.monitoring.alerts import Thresholds, warnings
from target_tsh_erp.monitoring.metrics import exposition
from target_tsh_erp.status import collect

if TYPE_CHECKING:
    from target_tsh_erp.monitoring.report import StatusReport

RULES = Path(__file__).resolve().parents[2] / "monitoring" / "tsh-zoho-alerts.yml"
EVAL_SECONDS = 600
"""promtool evaluates at 10 minutes after its epoch: timestamps are shifted to it."""


def rules() -> list[dict[str, str]]:
    document = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"]]


@pytest.fixture
def report(conn, writer, settings, tmp_path: Path) -> StatusReport:
    demo = build_demo(conn, writer, settings, tmp_path)
    return collect(conn, erp_schema=settings.erp_schema, raw_schema=settings.raw_schema,
                   run_log=demo.run_log, now=demo.now, webhook_schema=demo.webhook_schema)


def test_every_rule_uses_exposed_metrics_and_names_a_status_warning(report) -> None:
    text = exposition(lambda: report, Thresholds()).decode()
    exposed = {s.name for f in text_string_to_metric_families(text) for s in f.samples}
    warned = {w.alert for w in warnings(report)}
    assert {rule["alert"] for rule in rules()} == warned  # the demo trips every condition
    for rule in rules():
        used = set(re.findall(r"tsh_zoho_[a-z0-9_]+", rule["expr"]))
        assert used, rule["alert"]
        assert used <= exposed, (rule["alert"], used - exposed)


def test_rule_thresholds_are_the_status_defaults() -> None:
    limits = Thresholds()
    expr = {rule["alert"]: rule["expr"] for rule in rules()}
    assert expr["TshZohoStreamStale"].endswith(f"> 2 * {limits.schedule_seconds}")
    assert expr["TshZohoQuotaLow"].endswith(f"<= {limits.quota_reserve_requests}")
    assert f"> {limits.crm_credits_used_fraction} * scalar(" in expr["TshZohoCrmCreditsLow"]
    assert expr["TshZohoWebhookPendingOld"].endswith(f"> {limits.pending_webhook_seconds}")


def _promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.skip("promtool not installed (Debian: apt-get install prometheus); the "
                    "parser tests above still check every rule")
    return found


def test_promtool_accepts_the_rules() -> None:
    result = subprocess.run([_promtool(), "check", "rules", str(RULES)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rules())} rules found" in result.stdout


def _series(report: StatusReport) -> list[dict[str, str]]:
    """The demo's metrics as promtool input series, its `now` moved to promtool's clock."""
    text = exposition(lambda: report, Thresholds()).decode()
    shift = report.generated_at.timestamp() - EVAL_SECONDS
    series = []
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            value = sample.value - shift if sample.name.endswith("_timestamp_seconds") else (
                sample.value)
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            series.append({"series": f"{sample.name}{{{labels}}}", "values": f"{value!r}+0x20"})
    return series


def test_promtool_fires_exactly_what_status_warns_on_the_same_data(
    report, tmp_path: Path
) -> None:
    promtool = _promtool()
    expected = Counter(w.alert for w in warnings(report))
    tests = [{"expr": f"count({rule['expr']})", "eval_time": f"{EVAL_SECONDS}s",
              "exp_samples": [{"labels": "{}", "value": expected[rule["alert"]]}]
              if expected[rule["alert"]] else []}
             for rule in rules()]  # fmt: skip
    spec = {"rule_files": [str(RULES)], "evaluation_interval": "1m",
            "tests": [{"interval": "1m", "input_series": _series(report),
                       "promql_expr_test": tests}]}
    (tmp_path / "rules_test.yml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    result = subprocess.run([promtool, "test", "rules", str(tmp_path / "rules_test.yml")],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
