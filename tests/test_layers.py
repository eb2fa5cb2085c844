"""Imports point one way: config <- mall core <- tenants <- mall domains <- affiliates, vendors.

- mall core: the modules directly in ``mall/`` (db, extensions, jobs, schedule, cli…);
  mall domains: the packages in ``mall/`` (accounts, shops, console, catalog…).
- Imports inside functions count too. Only ``mall/__init__.py`` (create_app, which
  composes every layer) is exempt.
- A project import inside a function is allowed only where composition or the
  jobs direction needs it: package ``__init__.py`` files (``init_app`` wiring) and
  ``jobs.py`` (a job imports the services it calls). Anywhere else it dodges an
  import cycle: point the import the other way (services import their jobs).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT = ("config", "mall", "tenants", "affiliates", "vendors")
COMPOSITION = {"mall/__init__.py"}
TOP = ("affiliates", "vendors")


def imported_modules(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def local_project_imports(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) of every project import inside a function."""
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Import | ast.ImportFrom):
                found.extend(
                    (node.lineno, module)
                    for module in imported_modules(node)
                    if module.split(".")[0] in PROJECT
                )
    return found


def layer_of(module_or_path: str) -> str | None:
    parts = module_or_path.replace("/", ".").removesuffix(".py").split(".")
    if parts[0] in ("config", "tenants", *TOP):
        return parts[0]
    if parts[0] != "mall":
        return None
    if len(parts) > 2 or (len(parts) == 2 and (ROOT / "mall" / parts[1]).is_dir()):
        return "mall-domain"
    return "mall-core"


RANK = {"config": 0, "mall-core": 1, "tenants": 2, "mall-domain": 3, "affiliates": 4, "vendors": 4}


def sources() -> list[Path]:
    return [path for package in PROJECT for path in sorted((ROOT / package).rglob("*.py"))]


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", sources(), ids=relative)
def test_no_module_imports_a_higher_layer(path):
    if relative(path) in COMPOSITION:
        return
    own = layer_of(relative(path))
    for module in imported_modules(ast.parse(path.read_text())):
        other = layer_of(module)
        if other is None or other == own:
            continue
        assert RANK[other] <= RANK[own] and not (own in TOP and other in TOP), (
            f"{relative(path)} ({own}) imports {module} ({other})"
        )


def may_import_inside_functions(path: Path) -> bool:
    return path.name in ("__init__.py", "jobs.py")


@pytest.mark.parametrize("path", sources(), ids=relative)
def test_no_function_local_import_dodges_a_cycle(path):
    if may_import_inside_functions(path):
        return
    local = local_project_imports(ast.parse(path.read_text()))
    assert not local, f"{relative(path)} imports inside a function: {local}"


def test_the_checks_catch_what_they_are_for():
    tree = ast.parse("def f():\n    from mall.catalog import jobs\n    import json\n")
    assert local_project_imports(tree) == [(2, "mall.catalog")]
    assert layer_of("tenants/guard.py") == "tenants"
    assert layer_of("mall.shops.services") == "mall-domain"
    assert layer_of("mall/jobs.py") == "mall-core"
    assert RANK[layer_of("mall.shops")] > RANK[layer_of("tenants.audit")]


def test_jobs_modules_import_their_services_only_inside_jobs():
    for path in ROOT.glob("*/**/jobs.py"):
        top_level = [
            node
            for node in ast.parse(path.read_text()).body
            if isinstance(node, ast.Import | ast.ImportFrom)
        ]
        services = f"{'.'.join(path.relative_to(ROOT).parts[:-1])}.services"
        assert services not in imported_modules(ast.Module(body=top_level, type_ignores=[])), (
            f"{relative(path)} imports {services} at the top: services import their jobs"
        )
