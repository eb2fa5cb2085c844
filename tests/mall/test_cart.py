"""The cart: add from any shop, merge, change, remove; ids only in the session; idempotent adds."""

from __future__ import annotations

import re
from uuid import uuid4

import pytest

from mall.cart import services as cart_services
from mall.catalog.models import ProductStatus, StockReason, Variant
from mall.catalog.stock import adjust_stock
from mall.extensions import db
from tenants.context import tenant_context
from tenants.models import TenantStatus
from tenants.services import set_status
from tests.mall.test_storefront import body, make_product, queries_for


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def add(client, variant_id, quantity="1", nonce=None):
    data = {"variant_id": str(variant_id), "quantity": str(quantity)}
    if nonce is not None:
        data["nonce"] = nonce
    return client.post("/cart/add", data=data)


def cart_in_session(client) -> dict:
    with client.session_transaction() as session:
        return dict(session.get("cart", {}))


def test_empty_cart(client):
    response = client.get("/cart/")
    assert response.status_code == 200
    assert "Your cart is empty" in body(response)


def test_old_cart_address_redirects(client):
    response = client.get("/cart")
    assert response.status_code in (301, 308)
    assert response.headers["Location"].endswith("/cart/")


def test_add_shows_the_line_with_prices(client, shop_a, no_csrf):
    made = make_product(shop_a, "Rain Shell", variants=2, prices=[1250, 1500])
    response = add(client, made.variant_ids[1], 2)
    assert response.status_code == 303 and response.headers["Location"].endswith("/cart/")
    page = body(client.get("/cart/"))
    assert "Added “Rain Shell” to your cart." in page
    # The line links to the product page showing the variant in the cart.
    link = f'href="/shop/shop-a/products/{made.slug}?variant={made.variant_ids[1]}">Rain Shell</a>'
    assert link in page
    assert "Size: S1" in page
    assert "$15.00" in page and "$30.00" in page  # unit price, line total
    assert "Subtotal from Shop A" in page
    assert re.search(r"Total: <strong>\$30\.00</strong>", page)


def test_session_holds_ids_and_quantities_only(client, shop_a, no_csrf):
    made = make_product(shop_a, "Mug")
    add(client, made.variant_ids[0], 3)
    assert cart_in_session(client) == {made.variant_ids[0].hex: 3}


def test_adds_merge_and_cap_at_99(client, shop_a, no_csrf):
    made = make_product(shop_a, "Mug", track_stock=False)
    add(client, made.variant_ids[0], 60)
    add(client, made.variant_ids[0], 30)
    assert cart_in_session(client) == {made.variant_ids[0].hex: 90}
    add(client, made.variant_ids[0], 50)
    assert cart_in_session(client) == {made.variant_ids[0].hex: 99}


def test_add_is_idempotent_per_form(client, shop_a, no_csrf):
    made = make_product(shop_a, "Mug", variants=2)
    first, second = made.variant_ids
    add(client, first, 1, nonce="form-one-abc")
    add(client, first, 1, nonce="form-one-abc")  # double click
    assert cart_in_session(client) == {first.hex: 1}
    add(client, first, 1, nonce="form-two-abc")  # a new form: a new add
    assert cart_in_session(client) == {first.hex: 2}
    add(client, second, 1, nonce="form-two-abc")  # same form, another variant picked
    assert cart_in_session(client) == {first.hex: 2, second.hex: 1}


def test_only_the_last_20_nonces_are_kept(client, shop_a, no_csrf):
    made = make_product(shop_a, "Mug")
    for n in range(25):
        add(client, made.variant_ids[0], 1, nonce=f"nonce-{n:04d}")
    with client.session_transaction() as session:
        assert len(session["cart_nonces"]) == 20
    assert cart_in_session(client) == {made.variant_ids[0].hex: 25}


def test_product_page_form_adds_once_when_submitted_twice(client, shop_a):
    made = make_product(shop_a, "Mug")
    page = body(client.get(f"/shop/shop-a/products/{made.slug}"))
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]+)">', page))
    form["quantity"] = "2"
    for _ in range(2):
        assert client.post("/cart/add", data=form).status_code == 303
    assert cart_in_session(client) == {made.variant_ids[0].hex: 2}


def test_add_without_csrf_token_is_refused(client, shop_a):
    made = make_product(shop_a, "Mug")
    assert add(client, made.variant_ids[0]).status_code == 400
    assert cart_in_session(client) == {}


def test_lines_from_several_shops_are_grouped(client, shop_a, shop_b, no_csrf):
    mug = make_product(shop_a, "Mug", price=500)
    kettle = make_product(shop_b, "Kettle", price=2000)
    add(client, mug.variant_ids[0], 2)
    add(client, kettle.variant_ids[0], 1)
    page = body(client.get("/cart/"))
    assert "Subtotal from Shop A" in page and "Subtotal from Shop B" in page
    assert page.index("Shop A") < page.index("Shop B")
    assert "$10.00" in page and "$20.00" in page
    assert re.search(r"Total: <strong>\$30\.00</strong>", page)


@pytest.mark.parametrize("quantity", ["0", "100", "abc", "-1", "1.5", ""])
def test_bad_quantity_is_refused_with_a_message(client, shop_a, no_csrf, quantity):
    made = make_product(shop_a, "Mug")
    response = add(client, made.variant_ids[0], quantity)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/shop/shop-a/products/{made.slug}")
    assert cart_in_session(client) == {}


def test_variant_of_a_draft_product_is_404(client, shop_a, no_csrf):
    made = make_product(shop_a, "Secret", status=ProductStatus.DRAFT)
    assert add(client, made.variant_ids[0]).status_code == 404


@pytest.mark.parametrize(
    "status", [TenantStatus.PENDING, TenantStatus.SUSPENDED, TenantStatus.CLOSED]
)
def test_variant_of_a_shop_not_open_is_404(client, make_shop, no_csrf, status):
    shop = make_shop("not-open")
    made = make_product(shop, "Lamp")
    set_status(shop, status)
    db.session.commit()
    assert add(client, made.variant_ids[0]).status_code == 404


@pytest.mark.parametrize("variant_id", [uuid4(), "not-a-uuid", "", "1" * 500])
def test_bogus_variant_is_404(client, shop_a, no_csrf, variant_id):
    make_product(shop_a, "Mug")
    assert add(client, variant_id).status_code == 404


def test_update_and_remove(client, shop_a, no_csrf):
    made = make_product(shop_a, "Mug", variants=2)
    first, second = made.variant_ids
    add(client, first, 1)
    add(client, second, 1)
    client.post("/cart/update", data={"variant_id": str(first), "quantity": "7"})
    assert cart_in_session(client) == {first.hex: 7, second.hex: 1}
    client.post("/cart/update", data={"variant_id": str(first), "quantity": "0"})
    assert cart_in_session(client) == {second.hex: 1}
    response = client.post("/cart/update", data={"variant_id": str(second), "quantity": "x"})
    assert response.status_code == 303 and cart_in_session(client) == {second.hex: 1}
    client.post("/cart/remove", data={"variant_id": str(second)})
    assert cart_in_session(client) == {}
    assert client.post("/cart/remove", data={"variant_id": "junk"}).status_code == 404


def test_update_of_a_line_not_in_the_cart_changes_nothing(client, shop_a, no_csrf):
    made = make_product(shop_a, "Mug")
    response = client.post(
        "/cart/update", data={"variant_id": str(made.variant_ids[0]), "quantity": "3"}
    )
    assert response.status_code == 303
    assert cart_in_session(client) == {}


def test_cart_holds_at_most_50_lines(client, shop_a, no_csrf, monkeypatch):
    monkeypatch.setattr(cart_services, "MAX_LINES", 2)
    made = make_product(shop_a, "Mug", variants=3)
    for variant_id in made.variant_ids:
        add(client, variant_id)
    assert len(cart_in_session(client)) == 2
    assert "at most 2 different items" in body(client.get("/cart/"))


def test_lines_no_longer_on_sale_drop_out(client, make_shop, shop_a, no_csrf):
    closing = make_shop("closing", name="Closing Shop")
    lamp = make_product(closing, "Lamp")
    mug = make_product(shop_a, "Mug")
    add(client, lamp.variant_ids[0])
    add(client, mug.variant_ids[0])
    set_status(closing, TenantStatus.SUSPENDED)
    db.session.commit()
    page = body(client.get("/cart/"))
    assert "no longer on sale" in page
    assert ">Lamp</a>" not in page and ">Mug</a>" in page
    assert cart_in_session(client) == {mug.variant_ids[0].hex: 1}


def test_tampered_session_is_ignored(client, shop_a):
    with client.session_transaction() as session:
        session["cart"] = {"zz": 3, uuid4().hex: "lots", "x" * 32: 1, uuid4().hex: 500}
        session["cart_nonces"] = "not a list"
    assert client.get("/cart/").status_code == 200


def test_header_counts_items_not_lines(client, shop_a, no_csrf):
    made = make_product(shop_a, "Mug", variants=2)
    add(client, made.variant_ids[0], 2)
    add(client, made.variant_ids[1], 3)
    page = body(client.get("/"))
    badge = (
        r'href="/cart/"[^>]*>Cart <span class="badge[^"]*">5<span class="visually-hidden"> items<'
    )
    assert re.search(badge, page)
    client.post("/cart/update", data={"variant_id": str(made.variant_ids[1]), "quantity": "0"})
    client.post("/cart/update", data={"variant_id": str(made.variant_ids[0]), "quantity": "1"})
    assert '>1<span class="visually-hidden"> item<' in body(client.get("/"))


def test_cart_page_query_count_is_flat(client, shop_a, shop_b, no_csrf, count_queries):
    first = make_product(shop_a, "Mug")
    add(client, first.variant_ids[0])
    few = queries_for(client, count_queries, "/cart/")
    for shop in (shop_a, shop_b):
        made = make_product(shop, "Many", variants=10)
        for variant_id in made.variant_ids:
            add(client, variant_id)
    assert queries_for(client, count_queries, "/cart/") == few <= 2  # lines, their pictures


# ---------------------------------------------------------------- never more than can be sold


def set_stock(made, quantity: int, shop) -> None:
    """Bring the first variant of ``made`` to ``quantity`` on hand (an adjustment)."""
    with tenant_context(shop):
        variant = db.session.get(Variant, (made.tenant_id, made.variant_ids[0]))
        adjust_stock(variant, quantity - variant.stock_quantity, reason=StockReason.ADJUSTMENT)
        db.session.commit()


def test_a_line_is_lowered_to_what_is_left_and_says_so(client, shop_a, no_csrf):
    made = make_product(shop_a, "Seed Tray", price=200, stock=30)
    assert add(client, made.variant_ids[0], 99).status_code == 303
    page = body(client.get("/cart/"))
    line = page.split('class="cart-line"', 1)[1].split("</tr>", 1)[0]
    assert "Only 30 left, so this line holds 30 (you asked for 99)." in line
    assert 'max="30" value="30"' in line
    assert re.search(r"Total: <strong>\$60\.00</strong>", page)
    assert cart_in_session(client) == {made.variant_ids[0].hex: 30}
    # Said once: the line now holds what is left.
    assert "you asked for" not in body(client.get("/cart/"))
    # Asking for more again (adding, or typing a quantity) lowers it again, and says so.
    client.post("/cart/update", data={"variant_id": str(made.variant_ids[0]), "quantity": "45"})
    assert "(you asked for 45)" in body(client.get("/cart/"))
    assert cart_in_session(client) == {made.variant_ids[0].hex: 30}


@pytest.mark.parametrize("kwargs", [{"track_stock": False}, {"stock": None, "backorder": True}])
def test_untracked_or_backordered_variants_are_not_capped(client, shop_a, no_csrf, kwargs):
    made = make_product(shop_a, "Made To Order", **kwargs)
    add(client, made.variant_ids[0], 99)
    page = body(client.get("/cart/"))
    assert "you asked for" not in page and 'value="99"' in page
    assert cart_in_session(client) == {made.variant_ids[0].hex: 99}


def test_an_out_of_stock_variant_is_not_added(client, shop_a, no_csrf):
    made = make_product(shop_a, "Boots", stock=None)
    response = add(client, made.variant_ids[0], 1)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(
        f"/shop/shop-a/products/{made.slug}?variant={made.variant_ids[0]}"
    )
    assert cart_in_session(client) == {}
    page = body(client.get(response.headers["Location"]))
    assert "“Boots” is out of stock: nothing was added." in page


def test_a_line_sold_out_since_it_was_added_leaves_with_a_message(client, shop_a, no_csrf):
    boots = make_product(shop_a, "Boots", stock=5)
    mug = make_product(shop_a, "Mug", stock=5)
    add(client, boots.variant_ids[0], 2)
    add(client, mug.variant_ids[0], 1)
    set_stock(boots, 0, shop_a)
    page = body(client.get("/cart/"))
    assert "Sold out, so taken out of your cart: “Boots”." in page
    assert ">Boots</a>" not in page and ">Mug</a>" in page
    assert cart_in_session(client) == {mug.variant_ids[0].hex: 1}


def test_each_line_shows_its_products_first_picture(client, shop_a, no_csrf):
    pictured = make_product(shop_a, "Lamp", images=2)
    plain = make_product(shop_a, "Mug")
    add(client, pictured.variant_ids[0])
    add(client, plain.variant_ids[0])
    page = body(client.get("/cart/"))
    thumbs = re.findall(r'<img class="cart-thumb[^>]*src="([^"]+)"', page)
    assert len(thumbs) == 1
    assert thumbs[0].startswith("/shop/shop-a/media/") and thumbs[0].endswith("-0-thumb.png")
    assert page.count('class="cart-thumb product-card-placeholder') == 1  # the mug has none
