"""Settings are declared once: the plugins' config schemas are the source.

meltano.yml repeats each setting (Meltano needs its kind, label, env alias and whether it
is sensitive before it can run the plugin) and the docs tables describe them for users;
this test keeps both in step with the schemas, so a setting added, renamed or made secret
in code fails here until meltano.yml and the docs say the same.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tap_zoho.tap import TapZoho
from target_tsh_erp.target import TargetTshErp

ROOT = Path(__file__).resolve().parents[2]
SDK_BUILT_INS = frozenset(
    {"stream_maps", "stream_map_config", "flattening_enabled", "flattening_max_depth"}
)
"""Settings the Singer SDK adds to every plugin (declared by the SDK, not by us)."""
KINDS = {"string": "string", "integer": "integer", "number": "integer", "boolean": "boolean",
         "array": "array", "object": "object"}  # fmt: skip
"""JSON-schema type -> Meltano kind (Meltano has no float kind; numbers are integers)."""
PLUGINS = {
    ("extractors", "tap-zoho"): (
        copy.deepcopy(TapZoho.config_jsonschema), ("docs/tap.md", "docs/tap-crm.md"),
    ),
    ("loaders", "target-tsh-erp"): (
        copy.deepcopy(TargetTshErp.config_jsonschema), ("docs/target.md",),
    ),
}
"""Each plugin's own schema, copied when this module is imported (at collection, before
any test runs): the SDK adds its built-in settings (batch_config, ...) to the class's
schema in place whenever a plugin is instantiated, so later reads depend on test order."""


def _plugin(kind: str, name: str) -> dict[str, Any]:
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    return next(plugin for plugin in project["plugins"][kind] if plugin["name"] == name)


def _schema_type(prop: dict[str, Any]) -> str:
    declared = prop.get("type")
    types = [declared] if isinstance(declared, str) else [t for t in declared or [] if t != "null"]
    return types[0] if types else "string"


@pytest.mark.parametrize(("kind", "name"), list(PLUGINS))
def test_meltano_yml_declares_exactly_the_schema(kind: str, name: str) -> None:
    own_schema, _ = PLUGINS[kind, name]
    schema = own_schema["properties"]
    declared = {s["name"]: s for s in _plugin(kind, name)["settings"]}
    assert set(declared) - SDK_BUILT_INS == set(schema), "meltano.yml vs the config schema"
    for setting, prop in schema.items():
        entry = declared[setting]
        expected = KINDS[_schema_type(prop)]
        if "enum" in prop:
            expected = "options"
        elif prop.get("format") == "date-time":
            expected = "date_iso8601"
        assert entry.get("kind", "string") == expected, setting
        secret = bool(prop.get("secret") or prop.get("writeOnly"))
        assert bool(entry.get("sensitive")) == secret, f"{setting}: sensitive vs secret"


@pytest.mark.parametrize(("kind", "name"), list(PLUGINS))
def test_docs_describe_every_setting(kind: str, name: str) -> None:
    own_schema, pages = PLUGINS[kind, name]
    text = "\n".join((ROOT / page).read_text() for page in pages)
    tables = "\n".join(line for line in text.splitlines() if line.startswith("|"))
    documented = set(re.findall(r"`([a-z_]+)`", tables))
    missing = set(own_schema["properties"]) - documented
    assert not missing, f"settings missing from the settings tables of {pages}: {missing}"
