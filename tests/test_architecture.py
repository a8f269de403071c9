"""The floor plan of the product packages: no import cycle, no test double, no huge file.

Read from the source text (every `import`, including those under `TYPE_CHECKING` and
inside functions: a type-only cycle still ties the modules together), so a check fails
on the change that breaks it, whoever runs the suite.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCT_PACKAGES = ("tap_zoho", "target_tsh_erp", "zoho_webhooks", "tsh_orchestration")
"""Everything that ships and runs in production; `zoho_emulator` is the test double."""
TEST_DOUBLE = "zoho_emulator"
MAX_LINES = 600

KNOWN: dict[tuple[str, str], str] = {}
"""Cases a package still breaks, as strict xfails naming them (none today)."""


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for package in PRODUCT_PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
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
