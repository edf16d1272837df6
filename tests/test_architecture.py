"""The import graph of `app/`: imports run downward only, and packages form no cycle.

    main -> api, middleware -> services, sessions, ... -> auth, audit, email,
    models, schemas -> db -> core

A module may import its own layer and the layers below it. `db` and `core` know
nothing of HTTP requests.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.config import PROJECT_ROOT

APP = PROJECT_ROOT / "app"
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"app.main", "app.asgi", "app.serve"}),
    frozenset({"app.api", "app.middleware"}),
    frozenset({"app.services", "app.sessions", "app.authz", "app.oauth", "app.mfa"}),
    frozenset({"app.auth", "app.audit", "app.email", "app.models", "app.schemas"}),
    frozenset({"app.db"}),
    frozenset({"app.core"}),
)
HTTP_FRAMEWORKS = ("fastapi", "starlette")


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_of(module: str) -> str:
    return ".".join(module.split(".")[:2])


def layer_of(module: str) -> int:
    package = package_of(module)
    for index, layer in enumerate(LAYERS):
        if package in layer:
            return index
    raise AssertionError(f"{package} is in no layer: add it to LAYERS")


def imports_of(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module


def app_modules() -> list[tuple[str, list[str]]]:
    return [
        (module_name(path), sorted(set(imports_of(path))))
        for path in sorted(APP.rglob("*.py"))
    ]


def test_every_package_has_a_layer() -> None:
    for module, _ in app_modules():
        if module != "app":
            layer_of(module)


def test_imports_run_downward() -> None:
    upward = [
        f"{module} imports {imported}"
        for module, imported_modules in app_modules()
        if module != "app"
        for imported in imported_modules
        if imported.startswith("app.") and layer_of(imported) < layer_of(module)
    ]
    assert upward == []


def test_packages_import_each_other_without_cycles() -> None:
    graph: dict[str, set[str]] = {}
    for module, imported_modules in app_modules():
        if module == "app":
            continue
        package = package_of(module)
        graph.setdefault(package, set()).update(
            package_of(imported)
            for imported in imported_modules
            if imported.startswith("app.") and package_of(imported) != package
        )

    def cycle_from(start: str, path: list[str]) -> list[str] | None:
        for target in sorted(graph.get(path[-1], ())):
            if target == start:
                return [*path, start]
            if target not in path:
                found = cycle_from(start, [*path, target])
                if found:
                    return found
        return None

    cycles = [cycle for package in graph if (cycle := cycle_from(package, [package]))]
    assert cycles == []


@pytest.mark.parametrize("package", ["app.db", "app.core"])
def test_lower_layers_know_no_http_requests(package: str) -> None:
    offenders = [
        f"{module} imports {imported}"
        for module, imported_modules in app_modules()
        if package_of(module) == package
        for imported in imported_modules
        if imported.split(".")[0] in HTTP_FRAMEWORKS
    ]
    assert offenders == []


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    """The walk finds imports written either way (guards against a blind check)."""
    source = tmp_path / "example.py"
    source.write_text("import app.api.deps\nfrom app.main import create_app\n")
    assert set(imports_of(source)) == {"app.api.deps", "app.main"}
    assert layer_of("app.api.deps") < layer_of("app.db.session")
