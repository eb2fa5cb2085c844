"""PostgreSQL's ``mall.tenant_id`` is set once per change, not on every switch of context."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mall.extensions import db
from tenants.models import Tenant
from tests.mall.test_storefront import make_product


@pytest.fixture(autouse=True)
def postgres_only(backend):
    if backend != "postgresql":
        pytest.skip("row-level security (and its setting) exists on PostgreSQL only")


def as_a_new_transaction() -> None:
    """Leave the setting as a new transaction has it (the test's writes ran in one outer
    transaction, whose savepoints keep what the last of them set)."""
    db.session.execute(sa.select(Tenant.id).limit(1))  # no scope: sets ''
    db.session.commit()


def test_a_product_page_sets_the_scope_once(client, shop_a, count_queries):
    made = make_product(shop_a, "Blue Mug")
    as_a_new_transaction()
    with count_queries() as counted:
        assert client.get(f"/shop/shop-a/products/{made.slug}").status_code == 200
    assert counted.scope_sets == 1
    # The shop, the product, its variants, its images, its shop's return policy.
    assert counted.count <= 5


def test_pages_of_platform_rows_only_never_set_it(client, count_queries):
    with count_queries() as counted:
        assert client.get("/account/login").status_code == 200
    assert counted.scope_sets == 0


def test_the_home_page_sets_it_once_for_every_shop(client, shop_a, count_queries):
    make_product(shop_a, "Blue Mug")
    as_a_new_transaction()
    with count_queries() as counted:
        assert client.get("/").status_code == 200
    assert counted.scope_sets == 1
