"""The shop cache: public pages find their shop without a query; a change reaches every worker."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mall.extensions import db
from tenants import shop_cache
from tenants.models import Tenant, TenantStatus
from tenants.services import set_status
from tenants.shop_cache import ShopCache


@pytest.fixture
def clock(monkeypatch):
    """The shop cache's clock, moved by hand."""
    now = [1000.0]
    monkeypatch.setattr(shop_cache, "_clock", lambda: now[0])
    return now


def suspend_behind_the_caches_back(shop: Tenant) -> None:
    """What another worker's commit looks like from here: the row changes, no event fires."""
    table = Tenant.__table__  # a Core statement: the ORM's hooks do not see it
    db.session.execute(
        sa.update(table).where(table.c.id == shop.id).values(status=TenantStatus.SUSPENDED)
    )
    db.session.commit()


def test_the_shop_is_found_without_a_query_the_second_time(client, shop_a, count_queries):
    assert client.get("/shop/shop-a/").status_code == 200
    with count_queries(cold=False) as counted:
        assert client.get("/shop/shop-a/").status_code == 200
    assert counted.round_trips == 0


def test_a_change_made_here_empties_the_cache_at_once(client, shop_a):
    assert client.get("/shop/shop-a/").status_code == 200
    set_status(db.session.get(Tenant, shop_a.id), TenantStatus.SUSPENDED)
    db.session.commit()
    assert client.get("/shop/shop-a/").status_code == 503


def test_without_word_from_other_workers_an_entry_lives_at_most_its_ttl(app, client, shop_a, clock):
    assert client.get("/shop/shop-a/").status_code == 200
    suspend_behind_the_caches_back(shop_a)
    assert client.get("/shop/shop-a/").status_code == 200  # still cached here
    clock[0] += app.config["SHOP_CACHE_TTL"] + 1
    assert client.get("/shop/shop-a/").status_code == 503


def test_a_change_in_another_worker_reaches_this_one_within_a_second(
    app, client, shop_a, clock, redis_url, monkeypatch
):
    here = ShopCache(ttl=30, check_every=1, redis_url=redis_url)
    elsewhere = ShopCache(ttl=30, check_every=1, redis_url=redis_url)
    monkeypatch.setitem(app.extensions, "mall.shop_cache", here)
    assert client.get("/shop/shop-a/").status_code == 200
    suspend_behind_the_caches_back(shop_a)
    elsewhere.announce_change()  # the other worker's commit hook
    clock[0] += 1.1
    assert client.get("/shop/shop-a/").status_code == 503
