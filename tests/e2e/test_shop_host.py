"""A shopper on a shop's own subdomain: its pages stay there, the cart and the mall are one."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect


@pytest.fixture
def mall_hosts(live_app, live_server):
    """The live mall answers as mall.test and <slug>.mall.test, with one session for both."""
    port = urlsplit(live_server).port
    saved = {key: live_app.config.get(key) for key in ("PUBLIC_URL", "SESSION_COOKIE_DOMAIN")}
    live_app.config.update(PUBLIC_URL=f"http://mall.test:{port}", SESSION_COOKIE_DOMAIN="mall.test")
    yield f"http://mall.test:{port}", f"http://green-thumb.mall.test:{port}"
    live_app.config.update(saved)


def test_shopper_on_a_shop_subdomain_fills_the_malls_cart(page, mall_hosts):
    mall, shop = mall_hosts
    page.goto(f"{shop}/")
    expect(page.get_by_role("heading", name="Green Thumb Garden Supply", level=1)).to_be_visible()

    page.locator(".product-card .card-title a").first.click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(shop)}/products/"))  # still the shop's host
    title = page.get_by_role("heading", level=1).inner_text()
    page.get_by_role("button", name="Add to cart").click()

    # The cart is the mall's page, and the same cart.
    expect(page).to_have_url(f"{mall}/cart/")
    expect(page.locator("tr.cart-line")).to_contain_text(title)

    page.goto(f"{shop}/")
    expect(page.get_by_role("link", name=re.compile(r"^Cart 1"))).to_be_visible()
    page.locator(".navbar-brand").click()
    expect(page).to_have_url(f"{mall}/")
