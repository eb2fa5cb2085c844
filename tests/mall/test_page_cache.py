"""The page cache: public pages from cached fragments; never stale, another shop's or personal.

Each test runs with the in-process store and with Redis (the store production uses).
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from mall.catalog.categories import update_category
from mall.catalog.models import Product, ProductImage, ProductStatus, Variant
from mall.catalog.services import set_status as set_product_status
from mall.catalog.stock import StockReason, adjust_stock
from mall.extensions import db
from mall.pagecache.store import MemoryStore, RedisStore
from tenants.context import tenant_context
from tenants.models import Tenant, TenantStatus
from tenants.services import set_status
from tests.mall.test_accounts import login
from tests.mall.test_storefront import body, make_category, make_product


@pytest.fixture(params=["memory", "redis"])
def store(request, app):
    """The app's page cache store for this test: in-process, or Redis."""
    if request.param == "redis":
        chosen = RedisStore(request.getfixturevalue("redis_url"), ttl=600)
    else:
        chosen = MemoryStore(ttl=600)
    chosen.clear()
    kept = app.extensions["mall.pagecache"]
    app.extensions["mall.pagecache"] = chosen
    yield chosen
    chosen.clear()
    app.extensions["mall.pagecache"] = kept


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return body(response)


def product_url(made) -> str:
    shop = db.session.get(Tenant, made.tenant_id)
    return f"/shop/{shop.slug}/products/{made.slug}"


def edit(made, change) -> None:
    """Apply ``change(product)`` inside the product's shop and commit."""
    with tenant_context(made.tenant_id):
        product = db.session.scalar(sa.select(Product).where(Product.id == made.id))
        change(product)
        db.session.commit()


# ---------------------------------------------------------------- hits


def test_a_cached_product_page_costs_no_query(client, shop_a, store, count_queries):
    made = make_product(shop_a, "Blue Mug")
    url = product_url(made)
    first = page(client, url)
    with count_queries(cold=False) as counted:
        again = page(client, url)
    assert counted.round_trips == 0
    assert "Blue Mug" in again
    # The visitor's own parts are filled in each time: a fresh one-time form token.
    nonce = re.compile(r'name="nonce" value="([0-9a-f]{16})"')
    assert nonce.search(first).group(1) != nonce.search(again).group(1)
    assert 'name="csrf_token" value="' in again and "mall:csrf-token" not in again


def test_every_cached_list_is_served_again_without_a_query(client, shop_a, store, count_queries):
    lamps = make_category("Lamps")
    make_product(shop_a, "Desk Lamp", category=lamps)
    for url in ("/", "/categories/lamps", "/shop/shop-a/", "/search?q=lamp"):
        page(client, url)
        with count_queries(cold=False) as counted:
            assert "Desk Lamp" in page(client, url)
        assert counted.round_trips == 0, url


# ---------------------------------------------------------------- every write shows next time


def _price(made):
    def change(product):
        for variant in product.variants:
            variant.price = 4321
        product.price_min = product.price_max = 4321

    edit(made, change)
    return "$43.21"


def _sold_out(made):
    with tenant_context(made.tenant_id):
        variant = db.session.get(Variant, (made.tenant_id, made.variant_ids[0]))
        adjust_stock(variant, -variant.stock_quantity, reason=StockReason.SALE)
        db.session.commit()
    return "Out of stock"


def _variant_added(made):
    def change(product):
        product.variants.append(
            Variant(
                sku="ADDED-XL",
                price=999,
                option_values={"Size": "XL"},
                option_key="Size=XL",
                stock_quantity=3,
            )
        )

    edit(made, change)
    return "ADDED-XL"


def _image_added(made):
    def change(product):
        db.session.add(
            ProductImage(
                product_id=product.id,
                storage_key=f"images/{product.tenant_id.hex}/added.png",
                content_type="image/png",
                width=10,
                height=10,
                alt_text="Picture added later",
                position=0,
            )
        )

    edit(made, change)
    return "Picture added later"


def _shop_renamed(made):
    shop = db.session.get(Tenant, made.tenant_id)
    shop.name = "Renamed Shop Co"
    db.session.commit()
    return "Renamed Shop Co"


WRITES = {"price": _price, "stock reaches 0": _sold_out, "variant added": _variant_added}
WRITES |= {"image": _image_added, "shop renamed": _shop_renamed}


@pytest.mark.parametrize("write", WRITES)
def test_the_next_request_shows_each_write(client, shop_a, store, write):
    lamps = make_category("Lamps")
    made = make_product(shop_a, "Brass Lamp", category=lamps)
    pages = [product_url(made), "/shop/shop-a/", "/categories/lamps", "/"]
    for url in pages:
        page(client, url)
    shown = WRITES[write](made)
    assert shown in page(client, product_url(made))
    if write in ("price", "shop renamed"):
        for url in pages[1:]:
            assert shown in page(client, url), url


def test_an_unpublished_product_leaves_every_cached_page(client, shop_a, store):
    lamps = make_category("Lamps")
    made = make_product(shop_a, "Brass Lamp", category=lamps)
    pages = ["/shop/shop-a/", "/categories/lamps", "/", "/search?q=brass"]
    for url in [*pages, product_url(made)]:
        page(client, url)
    with tenant_context(shop_a):
        product = db.session.scalar(sa.select(Product).where(Product.id == made.id))
        set_product_status([product], ProductStatus.DRAFT)
        db.session.commit()
    assert client.get(product_url(made)).status_code == 404
    for url in pages:
        assert "Brass Lamp" not in page(client, url), url


@pytest.mark.parametrize(
    ("status", "answer"), [(TenantStatus.SUSPENDED, 503), (TenantStatus.CLOSED, 404)]
)
def test_a_suspended_or_closed_shop_stops_at_once(client, shop_a, store, status, answer):
    made = make_product(shop_a, "Brass Lamp")
    page(client, product_url(made))
    assert "Brass Lamp" in page(client, "/")
    set_status(db.session.get(Tenant, shop_a.id), status)
    db.session.commit()
    assert client.get(product_url(made)).status_code == answer
    assert client.get("/shop/shop-a/").status_code == answer
    assert "Brass Lamp" not in page(client, "/")


def test_a_renamed_category_shows_everywhere(client, shop_a, store, make_user):
    lamps = make_category("Lamps")
    made = make_product(shop_a, "Brass Lamp", category=lamps)
    for url in (product_url(made), "/categories/lamps", "/"):
        page(client, url)
    update_category(
        lamps, name="Lights and Lamps", slug="lamps", parent_id=None, actor_id=make_user().id
    )
    db.session.commit()
    for url in (product_url(made), "/categories/lamps", "/"):
        assert "Lights and Lamps" in page(client, url), url


# ---------------------------------------------------------------- never another shop's


def test_the_same_slug_in_two_shops_never_shares_a_fragment(client, make_shop, store):
    # Slugs chosen so that joining shop and product slugs with "-" or "/" would collide.
    first, second = make_shop("abc"), make_shop("abc-d")
    make_product(first, "Teapot of ABC", slug="d-teapot")
    make_product(second, "Teapot of ABCD", slug="teapot")
    one = page(client, "/shop/abc/products/d-teapot")
    two = page(client, "/shop/abc-d/products/teapot")
    assert "Teapot of ABC" in one and "Teapot of ABCD" not in one
    assert "Teapot of ABCD" in two
    make_product(second, "Teapot again", slug="d-teapot")
    assert "Teapot again" in page(client, "/shop/abc-d/products/d-teapot")
    assert "Teapot of ABC<" in page(client, "/shop/abc/products/d-teapot")


def test_a_shop_host_never_gets_the_mall_hosts_fragment(client, shop_a, store):
    made = make_product(shop_a, "Brass Lamp")
    on_mall = page(client, f"/shop/shop-a/products/{made.slug}")
    on_shop = body(client.get(f"/products/{made.slug}", headers={"Host": "shop-a.mall.test"}))
    assert 'href="/shop/shop-a/"' in on_mall
    assert 'href="/shop/shop-a/"' not in on_shop and 'href="/"' in on_shop


def test_another_host_is_not_cached(client, shop_a, store):
    make_product(shop_a, "Brass Lamp")
    assert "Brass Lamp" in body(client.get("/", headers={"Host": "unknown.example"}))
    assert not any(b"Brass Lamp" in value for value in store.values())


# ---------------------------------------------------------------- never personal data


def test_nothing_personal_reaches_the_cache(client, shop_a, store, make_user, monkeypatch, app):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    lamps = make_category("Lamps")
    made = make_product(shop_a, "Brass Lamp", category=lamps)
    make_user("grace.hopper@example.com", name="Grace Brewster Hopper")
    assert login(client, "grace.hopper@example.com").status_code in (302, 303)
    assert "Sign out" in page(client, "/")
    client.post("/cart/add", data={"variant_id": str(made.variant_ids[0]), "quantity": "1"})
    urls = [product_url(made), "/shop/shop-a/", "/categories/lamps", "/", "/search?q=brass"]
    for url in urls:
        assert "Brass Lamp" in page(client, url)
    values = list(store.values())
    assert values, "the pages were cached"
    for value in values:
        assert b"grace" not in value.lower() and b"hopper" not in value.lower()
        assert b"Sign out" not in value and b"badge" not in value  # the header is per visitor


# ---------------------------------------------------------------- HTTP caching


def test_anonymous_visitors_get_a_revalidatable_page(app, store):
    client = app.test_client(use_cookies=False)
    first = client.get("/")
    assert first.status_code == 200
    assert first.headers["Cache-Control"] in ("public, no-cache", "no-cache, public")
    assert first.headers["ETag"] and first.headers["Last-Modified"]
    assert "Set-Cookie" not in first.headers
    again = client.get("/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""


def test_a_visitor_with_a_session_gets_a_private_page(client, shop_a, store):
    made = make_product(shop_a, "Brass Lamp")
    response = client.get(product_url(made))  # the form's CSRF token starts a session
    assert "private" in response.headers["Cache-Control"]
    assert "Cookie" in response.headers["Vary"]
