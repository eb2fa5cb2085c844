"""Dependencies point one way: config <- core <- tenants <- mall domains <- affiliates, vendors.

``mall/shops`` and ``mall/console`` are features on the tenancy core and
rank with the mall domains. Imports inside functions count too. ``mall/__init__.py`` (create_app),
``mall/cli.py``, ``mall/demo.py`` and ``mall/demo_catalog.py`` compose every layer and are exempt.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMPOSITION = {"mall/__init__.py", "mall/cli.py", "mall/demo.py", "mall/demo_catalog.py"}
TOP = ("affiliates", "vendors")


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


# tenants/ holds the tenancy core and two feature packages that need accounts:
# those rank with the mall domains.
TENANT_FEATURES = ("shops", "console")


def layer_of(module_or_path: str) -> str | None:
    parts = module_or_path.replace("/", ".").removesuffix(".py").split(".")
    if parts[0] == "tenants" and len(parts) > 1 and parts[1] in TENANT_FEATURES:
        return "mall-domain"
    if parts[0] in ("config", "tenants", *TOP):
        return parts[0]
    if parts[0] != "mall":
        return None
    if len(parts) > 2 or (len(parts) == 2 and (ROOT / "mall" / parts[1]).is_dir()):
        return "mall-domain"
    return "mall-core"


RANK = {"config": 0, "mall-core": 1, "tenants": 2, "mall-domain": 3, "affiliates": 4, "vendors": 4}


def sources() -> list[Path]:
    return [
        path
        for package in ("config", "mall", "tenants", *TOP)
        for path in sorted((ROOT / package).rglob("*.py"))
        if str(path.relative_to(ROOT)) not in COMPOSITION
    ]


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_imports_a_higher_layer(path):
    own = layer_of(str(path.relative_to(ROOT)))
    for module in imported_modules(path):
        other = layer_of(module)
        if other is None or other == own:
            continue
        assert RANK[other] <= RANK[own] and not (own in TOP and other in TOP), (
            f"{path.relative_to(ROOT)} ({own}) imports {module} ({other})"
        )
