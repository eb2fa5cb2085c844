"""The cross-tenant crawler: every route, visited for shop A with shop B's ids, serves nothing of B.

Every endpoint must be listed below; a new route fails ``test_every_route_is_classified``
until it is. Shop routes are requested on shop A's own host with shop B's slug
and shop B's object ids (``OBJECT_IDS`` says how to make one per URL argument),
with every method the route accepts; each must answer 404. When accounts land,
the crawler signs in as a member of shop A and adds A's admin paths with B's ids.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import pytest

# Mall-wide pages that show no shop's private data.
MALL_ROUTES = {"pages.home", "pages.search", "pages.cart", "pages.privacy", "pages.healthz"}
# Routes under /shop/<shop>/, resolved to one shop.
SHOP_ROUTES = {"storefront.shop_home"}
# Test-only routes from tests/support/probe.py.
TEST_ONLY = {"probe_admin.probe", "probe_admin.boom"}
# URL argument name -> how to make an object of that kind in a shop, returning its id.
OBJECT_IDS: dict[str, Callable[[object], UUID]] = {}


def app_endpoints(app) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}


def test_every_route_is_classified(app):
    unclassified = app_endpoints(app) - (MALL_ROUTES | SHOP_ROUTES | TEST_ONLY)
    assert not unclassified, f"add these routes to the crawler: {sorted(unclassified)}"
    stale = (MALL_ROUTES | SHOP_ROUTES | TEST_ONLY) - app_endpoints(app)
    assert not stale, f"routes listed in the crawler but gone: {sorted(stale)}"


def test_shop_routes_all_live_under_the_shop_prefix(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SHOP_ROUTES | TEST_ONLY:
            assert rule.rule.startswith("/shop/<shop>"), rule.rule


def shop_rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint in SHOP_ROUTES | TEST_ONLY]


@pytest.fixture
def crawl_client(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    yield client
    app.config["WTF_CSRF_ENABLED"] = True


def test_shop_a_host_never_serves_shop_b(app, crawl_client, shop_a, shop_b):
    visited = 0
    for rule in shop_rules(app):
        values = {"shop": shop_b.slug}
        for argument in rule.arguments - {"shop"}:
            assert argument in OBJECT_IDS, f"crawler: no way to make a {argument!r} for {rule}"
            values[argument] = OBJECT_IDS[argument](shop_b)
        path = rule.build(values)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = crawl_client.open(path, method=method, headers={"Host": "shop-a.mall.test"})
            assert response.status_code == 404, f"{method} {path} on shop A's host"
            assert shop_b.name not in response.get_data(as_text=True)
            visited += 1
    assert visited >= len(SHOP_ROUTES)
