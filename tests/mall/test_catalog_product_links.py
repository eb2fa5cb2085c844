"""The product pages' header: links other parts add (the product's vendors) shown to the
members allowed to follow them; the catalog itself names none of them and works without."""

from __future__ import annotations

import pytest

from mall.catalog.product_links import LINKS_KEY, add_product_link, product_links
from mall.shops.models import Role
from tests.mall.test_catalog_admin import CATALOG, make_product
from tests.mall.test_entry_documents import member

PAGES = ("", "/stock", "/images", "/files")


def vendors_href(product_id) -> str:
    return f'href="/shop/shop-a/admin/purchasing/products/{product_id}/vendors"'


def test_an_owner_sees_the_products_vendors_on_every_product_page(
    client, shop_a, make_user, sign_in
):
    product = make_product(shop_a)
    sign_in(member(shop_a, make_user, Role.OWNER))
    for page in PAGES:
        html = client.get(f"{CATALOG}/products/{product.id}{page}").get_data(as_text=True)
        assert vendors_href(product.id) in html and ">Vendors<" in html, page
    followed = client.get(f"/shop/shop-a/admin/purchasing/products/{product.id}/vendors")
    assert followed.status_code == 200
    assert "Vendors of Mug" in followed.get_data(as_text=True)


def test_staff_without_purchasing_see_no_vendors_link(client, shop_a, make_user, sign_in):
    product = make_product(shop_a)
    sign_in(member(shop_a, make_user, Role.STAFF))
    page = client.get(f"{CATALOG}/products/{product.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert vendors_href(product.id) not in html and ">Vendors<" not in html
    assert ">Stock<" in html  # the catalog's own sections still show
    vendors = f"/shop/shop-a/admin/purchasing/products/{product.id}/vendors"
    assert client.get(vendors).status_code == 403


def test_the_catalog_works_with_no_link_added(app, client, shop_a, member_of_a, monkeypatch):
    monkeypatch.setitem(app.extensions, LINKS_KEY, [])
    product = make_product(shop_a)
    for page in PAGES:
        response = client.get(f"{CATALOG}/products/{product.id}{page}")
        assert response.status_code == 200, page
        assert ">Vendors<" not in response.get_data(as_text=True)
    assert client.get(f"{CATALOG}/products/new").status_code == 200


def test_a_link_is_added_once_and_needs_a_known_permission(app, monkeypatch):
    monkeypatch.setitem(app.extensions, LINKS_KEY, [])
    with app.app_context():
        add_product_link(app, "catalog_admin.stock", "Again", permission="catalog.manage")
        add_product_link(app, "catalog_admin.stock", "Again", permission="catalog.manage")
        assert product_links() == [("catalog_admin.stock", "Again", "catalog.manage")]
        with pytest.raises(KeyError, match="unknown permission"):
            add_product_link(app, "catalog_admin.stock", "Nope", permission="no.such")
