"""Every cross-tenant read (``all_tenants(reason)``) in the code is listed here, with why.

A new call site fails this test until it is reviewed and added to ALLOWED.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("mall", "tenants", "affiliates", "vendors", "config")

# "path:function" -> why it reads across shops.
ALLOWED: dict[str, str] = {
    "mall/catalog/search.py:search_products": (
        "mall-wide catalog search and category pages: published products of active shops"
    ),
    "mall/catalog/search.py:showcase": (
        "mall home page: newest and best-selling published products of active shops"
    ),
    "mall/catalog/sitemap.py:sitemap_size": (
        "sitemap: counts published products of active shops (and their latest change)"
    ),
    "mall/catalog/sitemap.py:sitemap_entries": (
        "sitemap: lists published products of active shops (slug and lastmod only)"
    ),
    "mall/cart/services.py:buyable_variants": (
        "cart: a cart mixes shops; looks up the visitor's variant ids among published"
        " products of active shops"
    ),
    "mall/catalog/search_index.py:reindex_category": (
        "search index: which shops have products in a renamed category (ids only);"
        " each shop is then reindexed in its own context"
    ),
    "mall/catalog/categories.py:product_counts": (
        "operator: products per category (counts in the tree; deletion refused while any"
        " shop files a product there)"
    ),
    "mall/console/services.py:shop_preview": (
        "operator: one shop's product count and first few products (title, price, status),"
        " filtered on that shop, to review it before approving"
    ),
}


def _called_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def call_sites(root: Path) -> set[str]:
    sites = set()
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            tree = ast.parse(path.read_text())
            for function in ast.walk(tree):
                if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                for node in ast.walk(function):
                    if isinstance(node, ast.Call) and _called_name(node) == "all_tenants":
                        sites.add(f"{path.relative_to(root)}:{function.name}")
    return sites


def test_every_all_tenants_call_site_is_listed():
    assert call_sites(ROOT) == set(ALLOWED), "review the cross-tenant read and list it in ALLOWED"


def test_the_scan_finds_calls(tmp_path):
    """The scanner itself works (so an empty list means there are no calls)."""
    (tmp_path / "mall").mkdir()
    (tmp_path / "mall" / "x.py").write_text(
        "def sweep():\n    with all_tenants('why'):\n        pass\n"
        "def doc():\n    '''all_tenants(reason) is mentioned, not called'''\n"
    )
    assert call_sites(tmp_path) == {"mall/x.py:sweep"}
    assert sys.modules[__name__]
