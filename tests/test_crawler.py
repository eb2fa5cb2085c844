"""The cross-tenant crawler: every route, visited for shop A with shop B's ids, serves nothing of B.

Every endpoint must be classified in ``tests/crawl/`` (one module per area); a
new route fails ``test_every_route_is_classified`` until it is. Then:

1. on shop A's own host, every shop route with shop B's slug answers 404;
2. signed in as the owner of shop A, every shop route with shop B's slug
   answers 403 or 404 and shows nothing of B;
3. signed in as the owner of shop A, every shop route with shop A's slug but
   shop B's object ids (``OBJECT_IDS``) answers 404.

Every method a route accepts is tried (CSRF off, so the guard itself answers).
"""

from __future__ import annotations

import pytest

from mall.extensions import db
from tests.crawl import MALL_ROUTES, OBJECT_IDS, SHOP_ROUTES

REFUSED = (403, 404)


def app_endpoints(app) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}


def test_every_route_is_classified(app):
    unclassified = app_endpoints(app) - (MALL_ROUTES | SHOP_ROUTES)
    assert not unclassified, f"add these routes to tests/crawl/: {sorted(unclassified)}"
    stale = (MALL_ROUTES | SHOP_ROUTES) - app_endpoints(app)
    assert not stale, f"routes listed in tests/crawl/ but gone: {sorted(stale)}"


def test_shop_routes_all_live_under_the_shop_prefix(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SHOP_ROUTES:
            assert rule.rule.startswith("/shop/<shop>"), rule.rule
        elif rule.endpoint in MALL_ROUTES:
            assert not rule.rule.startswith("/shop/<shop>"), rule.rule


def shop_rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint in SHOP_ROUTES]


def methods(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


@pytest.fixture
def crawl_client(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    yield client
    app.config["WTF_CSRF_ENABLED"] = True


@pytest.fixture
def owner_of_a(shop_a, make_user, sign_in):
    from mall.shops.models import Membership, Role

    owner = make_user("owner-a@example.com", name="Owner A")
    db.session.add(Membership(user_id=owner.id, tenant_id=shop_a.id, role=Role.OWNER))
    db.session.commit()
    sign_in(owner)
    return owner


def object_values(rule, shop) -> dict:
    values = {}
    for argument in rule.arguments - {"shop"}:
        assert argument in OBJECT_IDS, f"crawler: no way to make a {argument!r} for {rule}"
        values[argument] = OBJECT_IDS[argument](shop)
    return values


def test_shop_a_host_never_serves_shop_b(app, crawl_client, shop_a, shop_b, owner_of_a):
    for rule in shop_rules(app):
        path = rule.build({"shop": shop_b.slug, **object_values(rule, shop_b)})[1]
        for method in methods(rule):
            response = crawl_client.open(path, method=method, headers={"Host": "shop-a.mall.test"})
            assert response.status_code == 404, f"{method} {path} on shop A's host"
            assert shop_b.name not in response.get_data(as_text=True)


def test_owner_of_a_cannot_reach_shop_b_admin(app, crawl_client, shop_a, shop_b, owner_of_a):
    for rule in shop_rules(app):
        if "/admin" not in rule.rule:
            continue
        path = rule.build({"shop": shop_b.slug, **object_values(rule, shop_b)})[1]
        for method in methods(rule):
            response = crawl_client.open(path, method=method)
            assert response.status_code in REFUSED, f"{method} {path}: {response.status_code}"
            assert shop_b.name not in response.get_data(as_text=True)


def test_owner_of_a_cannot_reach_shop_b_objects_through_a(
    app, crawl_client, shop_a, shop_b, owner_of_a
):
    for rule in shop_rules(app):
        if not rule.arguments - {"shop"}:
            continue
        path = rule.build({"shop": shop_a.slug, **object_values(rule, shop_b)})[1]
        for method in methods(rule):
            response = crawl_client.open(path, method=method)
            assert response.status_code == 404, f"{method} {path}: {response.status_code}"
