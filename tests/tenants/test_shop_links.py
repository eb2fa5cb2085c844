"""A shop's own host is not an island: its pages stay there, everything else is the mall's."""

from __future__ import annotations

import re

import pytest

from config import ProductionConfig
from tests.mall.test_storefront import make_product

SHOP_HOST = {"Host": "shop-a.mall.test"}
MALL = "http://mall.test"


def hrefs(response) -> list[str]:
    return re.findall(r'(?:href|src|action)="([^"]+)"', response.get_data(as_text=True))


def test_on_a_shop_host_the_mall_and_other_shops_are_absolute_links(client, shop_a, shop_b):
    ours = make_product(shop_a, "Lantern Oil", images=1)
    theirs = make_product(shop_b, "Lantern Wick", images=1)
    response = client.get("/search?q=lantern", headers=SHOP_HOST)
    assert response.status_code == 200
    links = hrefs(response)
    assert f"{MALL}/" in links  # the mall's name leads to the mall
    assert f"{MALL}/shop/shop-b/products/{theirs.slug}" in links
    assert any(link.startswith(f"{MALL}/shop/shop-b/media/") for link in links)
    # the shop's own product stays on its host, without the /shop/<slug> prefix
    assert f"/products/{ours.slug}" in links
    assert not any(link.startswith("/shop/shop-b/") for link in links)  # would 404 here
    assert f"img-src 'self' data: {MALL}" in response.headers["Content-Security-Policy"]
    assert f"form-action 'self' {MALL}" in response.headers["Content-Security-Policy"]


def test_a_shops_own_pages_link_within_its_host(client, shop_a):
    product = make_product(shop_a, "Tea Caddy", images=1)
    home = client.get("/", headers=SHOP_HOST)
    assert f"/products/{product.slug}" in hrefs(home)
    page = client.get(f"/products/{product.slug}", headers=SHOP_HOST)
    assert page.status_code == 200
    links = hrefs(page)
    assert "/cart/add" in links  # the form posts on this host: same session, same CSRF origin
    assert f"{MALL}/cart/" in links  # the cart page is the mall's
    assert f"{MALL}/account/login" in links
    # its own pictures are served here (the media path is the mall's logo route without it)
    assert any(link.startswith("/shop/shop-a/media/") for link in links)


def test_the_mall_host_builds_links_as_before(client, shop_a):
    product = make_product(shop_a, "Tea Caddy")
    response = client.get("/search?q=caddy")
    assert f"/shop/shop-a/products/{product.slug}" in hrefs(response)
    assert "img-src 'self' data:;" in response.headers["Content-Security-Policy"]


def test_the_cart_is_one_cart_on_the_mall_and_its_shops_subdomains(app, client, shop_a):
    product = make_product(shop_a, "Tea Caddy", stock=5)
    app.config["SESSION_COOKIE_DOMAIN"] = "mall.test"
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        added = client.post(
            "http://shop-a.mall.test/cart/add",
            data={"variant_id": str(product.variant_ids[0]), "quantity": "2"},
        )
        assert added.status_code == 303
        assert added.headers["Location"] == f"{MALL}/cart/"
        cart = client.get(f"{MALL}/cart/")
        assert "Tea Caddy" in cart.get_data(as_text=True)
    finally:
        app.config["SESSION_COOKIE_DOMAIN"] = None
        app.config["WTF_CSRF_ENABLED"] = True


@pytest.mark.parametrize(("base", "shared"), [("mall.example.com", True), ("localhost", False)])
def test_production_shares_the_session_with_the_shops_subdomains(base, shared):
    config = ProductionConfig({"MALL_BASE_DOMAIN": base})
    expected = base if shared else None
    assert getattr(config, "SESSION_COOKIE_DOMAIN", None) == expected
    assert getattr(config, "REMEMBER_COOKIE_DOMAIN", None) == expected


def test_signing_out_from_a_shop_host_goes_through_the_malls_account_page(
    app, client, shop_a, make_user
):
    user = make_user("ada@example.com")
    app.config["SESSION_COOKIE_DOMAIN"] = "mall.test"
    try:
        with client.session_transaction(base_url=MALL) as session:  # signed in on the mall
            session["_user_id"] = user.get_id()
        page = client.get("http://shop-a.mall.test/").get_data(as_text=True)
    finally:
        app.config["SESSION_COOKIE_DOMAIN"] = None
    assert f'href="{MALL}/account/">Sign out…' in page
    assert "/account/logout" not in page
