"""Each shop chooses how long its order copies keep the person (1-30 years, the platform's
default otherwise) on its settings page, and the daily retention job uses each shop's period."""

from __future__ import annotations

import re

import pytest

from mall.accounts.retention import anonymise_orders_past_retention
from mall.extensions import db
from mall.orders.models import Order
from mall.shops.retention import shop_retention_years
from tenants.context import tenant_context
from tenants.keys import ERASED
from tests.mall.test_retention import aged_order

SETTINGS = "/shop/shop-a/admin/settings"


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def post(client, **extra):
    return client.post(SETTINGS, data={"name": "Shop A", **extra})


def test_the_settings_page_sets_the_shops_retention_period(
    app, client, shop_a, shop_b, member_of_a, no_csrf
):
    page = client.get(SETTINGS).get_data(as_text=True)
    assert re.search(r'<input[^>]*id="retention_years"[^>]*value="7"', page)
    assert "from 1 to 30 years (the mall&#39;s default: 7)" in page

    assert post(client, retention_years="10").status_code == 302
    assert shop_retention_years(shop_a.id) == 10
    assert shop_retention_years(shop_b.id) == 7  # another shop keeps the default
    assert post(client, retention_years="10").status_code == 302  # the same again: no change
    assert post(client).status_code == 302  # left out: stays as it is
    assert shop_retention_years(shop_a.id) == 10

    for bad in ("0", "31", "soon", "2.5"):
        refused = post(client, retention_years=bad)
        assert refused.status_code == 400
        assert shop_retention_years(shop_a.id) == 10
    assert "from 1 to 30" in post(client, retention_years="31").get_data(as_text=True)


def test_a_shop_that_never_chose_follows_the_default(app, shop_a, monkeypatch):
    assert shop_retention_years(shop_a.id) == 7
    monkeypatch.setitem(app.config, "RETENTION_YEARS", 10)
    assert shop_retention_years(shop_a.id) == 10


def test_the_retention_job_uses_each_shops_period(
    app, client, shop_a, shop_b, member_of_a, no_csrf
):
    assert post(client, retention_years="2").status_code == 302  # shop A: 2 years
    a_id, _ = aged_order(shop_a, days=365 * 3)
    b_id, _ = aged_order(shop_b, days=365 * 3)  # shop B: the default, 7 years

    assert anonymise_orders_past_retention() == 1
    db.session.commit()
    db.session.expire_all()
    with tenant_context(shop_a):
        assert db.session.get(Order, (shop_a.id, a_id)).email == ERASED
    with tenant_context(shop_b):
        assert db.session.get(Order, (shop_b.id, b_id)).email == "old.buyer@example.com"
