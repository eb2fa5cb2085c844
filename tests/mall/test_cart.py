"""The cart in the database: add from any shop, change, remove; a token's digest only;
merged at sign-in; the same on every device; idle carts expire; idempotent adds;
re-checked on every view; htmx changes answer with the cart."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from uuid import uuid4

import pytest
import sqlalchemy as sa

from mall.cart import services as cart_services
from mall.cart.models import Cart, CartLine
from mall.catalog.models import Product, ProductStatus, StockReason, Variant
from mall.catalog.stock import adjust_stock
from mall.db import utcnow
from mall.extensions import db
from mall.pricing.models import ShippingKind, ShippingMethod
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


def session_token(client) -> str | None:
    with client.session_transaction() as session:
        return session.get("cart_token")


def stored_cart(client=None, *, user=None) -> Cart | None:
    """The cart the database holds for ``client``'s guest token, or for ``user``."""
    db.session.expire_all()
    if user is not None:
        return db.session.scalar(sa.select(Cart).where(Cart.user_id == user.id))
    token = session_token(client)
    if token is None:
        return None
    digest = hashlib.sha256(token.encode()).digest()
    return db.session.scalar(sa.select(Cart).where(Cart.token_digest == digest))


def cart_in_db(client=None, *, user=None) -> dict:
    """``{variant id hex: quantity}`` of the visitor's stored cart."""
    cart = stored_cart(client, user=user)
    return {line.variant_id.hex: line.quantity for line in cart.lines} if cart else {}


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


def test_the_cart_is_in_the_database_and_the_session_holds_a_token_only(client, shop_a, no_csrf):
    made = make_product(shop_a, "Mug")
    add(client, made.variant_ids[0], 3)
    assert cart_in_db(client) == {made.variant_ids[0].hex: 3}
    with client.session_transaction() as session:
        assert set(session) - {"_flashes", "csrf_token"} == {"cart_token", "cart_items"}
        token = session["cart_token"]
    cart = stored_cart(client)
    stored = [
        value
        for row in db.session.execute(sa.select(Cart.__table__)).all()
        for value in row
        if isinstance(value, str | bytes)
    ]
    assert token not in stored and token.encode() not in stored
    assert cart.token_digest == hashlib.sha256(token.encode()).digest()
    line = cart.lines[0]
    assert (line.tenant_id, line.seen_unit_price) == (shop_a.id, 1000)


def test_a_visitor_without_a_cart_costs_no_query_for_the_badge(client, count_queries):
    client.get("/privacy")
    with count_queries() as counter:
        assert client.get("/privacy").status_code == 200
    assert counter.count == 0


def test_adds_merge_and_cap_at_99(client, shop_a, no_csrf):
    made = make_product(shop_a, "Mug", track_stock=False)
    add(client, made.variant_ids[0], 60)
    add(client, made.variant_ids[0], 30)
    assert cart_in_db(client) == {made.variant_ids[0].hex: 90}
    add(client, made.variant_ids[0], 50)
    assert cart_in_db(client) == {made.variant_ids[0].hex: 99}


def test_add_is_idempotent_per_form(client, shop_a, no_csrf):
    made = make_product(shop_a, "Mug", variants=2)
    first, second = made.variant_ids
    add(client, first, 1, nonce="form-one-abc")
    add(client, first, 1, nonce="form-one-abc")  # double click
    assert cart_in_db(client) == {first.hex: 1}
    add(client, first, 1, nonce="form-two-abc")  # a new form: a new add
    assert cart_in_db(client) == {first.hex: 2}
    add(client, second, 1, nonce="form-two-abc")  # same form, another variant picked
    assert cart_in_db(client) == {first.hex: 2, second.hex: 1}


def test_only_the_last_20_nonces_are_kept(client, shop_a, no_csrf):
    made = make_product(shop_a, "Mug", stock=50)
    for n in range(25):
        add(client, made.variant_ids[0], 1, nonce=f"nonce-{n:04d}")
    assert len(stored_cart(client).add_nonces) == 20
    assert cart_in_db(client) == {made.variant_ids[0].hex: 25}
    add(client, made.variant_ids[0], 1, nonce="nonce-0024")  # still remembered
    assert cart_in_db(client) == {made.variant_ids[0].hex: 25}


def test_product_page_form_adds_once_when_submitted_twice(client, shop_a):
    made = make_product(shop_a, "Mug")
    page = body(client.get(f"/shop/shop-a/products/{made.slug}"))
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]+)">', page))
    form["quantity"] = "2"
    for _ in range(2):
        assert client.post("/cart/add", data=form).status_code == 303
    assert cart_in_db(client) == {made.variant_ids[0].hex: 2}


def test_add_without_csrf_token_is_refused(client, shop_a):
    made = make_product(shop_a, "Mug")
    assert add(client, made.variant_ids[0]).status_code == 400
    assert cart_in_db(client) == {}


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
    assert cart_in_db(client) == {}


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
    assert cart_in_db(client) == {first.hex: 7, second.hex: 1}
    client.post("/cart/update", data={"variant_id": str(first), "quantity": "0"})
    assert cart_in_db(client) == {second.hex: 1}
    response = client.post("/cart/update", data={"variant_id": str(second), "quantity": "x"})
    assert response.status_code == 303 and cart_in_db(client) == {second.hex: 1}
    client.post("/cart/remove", data={"variant_id": str(second)})
    assert cart_in_db(client) == {}
    assert client.post("/cart/remove", data={"variant_id": "junk"}).status_code == 404


def test_update_of_a_line_not_in_the_cart_changes_nothing(client, shop_a, no_csrf):
    made = make_product(shop_a, "Mug")
    response = client.post(
        "/cart/update", data={"variant_id": str(made.variant_ids[0]), "quantity": "3"}
    )
    assert response.status_code == 303
    assert cart_in_db(client) == {}


def test_cart_holds_at_most_50_lines(client, shop_a, no_csrf, monkeypatch):
    monkeypatch.setattr(cart_services, "MAX_LINES", 2)
    made = make_product(shop_a, "Mug", variants=3)
    for variant_id in made.variant_ids:
        add(client, variant_id)
    assert len(cart_in_db(client)) == 2
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
    assert "Closing Shop is not taking orders now, so “Lamp” left your cart." in page
    assert ">Lamp</a>" not in page and ">Mug</a>" in page
    assert cart_in_db(client) == {mug.variant_ids[0].hex: 1}


@pytest.mark.parametrize("token", ["x", "a" * 500, "\x00" * 30, "A" * 43])
def test_a_tampered_or_unknown_token_is_an_empty_cart(client, token):
    with client.session_transaction() as session:
        session["cart_token"] = token
        session["cart_items"] = "lots"
    response = client.get("/cart/")
    assert response.status_code == 200 and "Your cart is empty" in body(response)


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
    # The cart, its lines, their variants (with product and shop), their pictures, and
    # what the pricing quote reads (per shop settings, in one query each whatever the lines).
    assert queries_for(client, count_queries, "/cart/") == few <= 8


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
    assert cart_in_db(client) == {made.variant_ids[0].hex: 30}
    # Said once: the line now holds what is left.
    assert "you asked for" not in body(client.get("/cart/"))
    # Asking for more again (adding, or typing a quantity) lowers it again, and says so.
    client.post("/cart/update", data={"variant_id": str(made.variant_ids[0]), "quantity": "45"})
    assert "(you asked for 45)" in body(client.get("/cart/"))
    assert cart_in_db(client) == {made.variant_ids[0].hex: 30}


@pytest.mark.parametrize("kwargs", [{"track_stock": False}, {"stock": None, "backorder": True}])
def test_untracked_or_backordered_variants_are_not_capped(client, shop_a, no_csrf, kwargs):
    made = make_product(shop_a, "Made To Order", **kwargs)
    add(client, made.variant_ids[0], 99)
    page = body(client.get("/cart/"))
    assert "you asked for" not in page and 'value="99"' in page
    assert cart_in_db(client) == {made.variant_ids[0].hex: 99}


def test_an_out_of_stock_variant_is_not_added(client, shop_a, no_csrf):
    made = make_product(shop_a, "Boots", stock=None)
    response = add(client, made.variant_ids[0], 1)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(
        f"/shop/shop-a/products/{made.slug}?variant={made.variant_ids[0]}"
    )
    assert cart_in_db(client) == {}
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
    assert cart_in_db(client) == {mug.variant_ids[0].hex: 1}


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


# ---------------------------------------------------------------- re-checked on every view


def test_a_price_change_is_said_once_and_the_new_price_kept(client, shop_a, no_csrf):
    made = make_product(shop_a, "Kettle", price=2000)
    add(client, made.variant_ids[0], 2)
    with tenant_context(shop_a):
        db.session.get(Variant, (shop_a.id, made.variant_ids[0])).price = 2500
        db.session.commit()
    page = body(client.get("/cart/"))
    assert "The price of “Kettle” changed from $20.00 to $25.00." in page
    assert re.search(r"Total: <strong>\$50\.00</strong>", page)
    assert stored_cart(client).lines[0].seen_unit_price == 2500
    assert "changed from" not in body(client.get("/cart/"))


def test_an_unpublished_product_leaves_with_a_message(client, shop_a, no_csrf):
    lamp = make_product(shop_a, "Lamp")
    mug = make_product(shop_a, "Mug")
    add(client, lamp.variant_ids[0])
    add(client, mug.variant_ids[0])
    with tenant_context(shop_a):
        db.session.get(Product, (shop_a.id, lamp.id)).status = ProductStatus.DRAFT
        db.session.commit()
    page = body(client.get("/cart/"))
    assert "No longer on sale, so taken out of your cart: “Lamp”." in page
    assert cart_in_db(client) == {mug.variant_ids[0].hex: 1}
    assert "No longer on sale" not in body(client.get("/cart/"))


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("quantity", ["0", "-1", "100", "10" * 10, "\x00", "1\x002", "²"])
def test_bad_quantities_are_a_message_not_an_error(client, shop_a, no_csrf, quantity):
    made = make_product(shop_a, "Mug")
    add(client, made.variant_ids[0], 2)
    response = client.post(
        "/cart/update", data={"variant_id": str(made.variant_ids[0]), "quantity": quantity}
    )
    if quantity == "0":
        assert response.status_code == 303 and cart_in_db(client) == {}
        return
    if "\x00" in quantity:  # refused before any view sees it, with a message (mall.security)
        assert response.status_code == 400 and "control character" in body(response)
        assert cart_in_db(client) == {made.variant_ids[0].hex: 2}
        return
    assert response.status_code == 303
    assert "Choose a quantity from 0 to 99." in body(client.get("/cart/"))
    assert cart_in_db(client) == {made.variant_ids[0].hex: 2}
    response = client.post(
        "/cart/update",
        data={"variant_id": str(made.variant_ids[0]), "quantity": quantity},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert "Choose a quantity from 0 to 99." in body(response)


@pytest.mark.parametrize("variant_id", ["junk", "1" * 500, ""])
def test_update_of_a_bogus_variant_id_is_404(client, no_csrf, variant_id):
    response = client.post("/cart/update", data={"variant_id": variant_id, "quantity": "1"})
    assert response.status_code == 404


# ---------------------------------------------------------------- htmx


def test_an_htmx_change_answers_with_the_cart_and_the_header_link(client, shop_a, no_csrf):
    made = make_product(shop_a, "Mug", price=500)
    add(client, made.variant_ids[0], 1)
    response = client.post(
        "/cart/update",
        data={"variant_id": str(made.variant_ids[0]), "quantity": "3"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = body(response)
    assert html.lstrip().startswith('<div id="cart">') and "<html" not in html
    assert "Your cart was updated." in html and "$15.00" in html
    assert 'id="cart-nav" hx-swap-oob="true"' in html
    assert '>3<span class="visually-hidden"> items<' in html
    assert cart_in_db(client) == {made.variant_ids[0].hex: 3}
    # Without htmx the same form answers 303 to the cart page.
    plain = client.post(
        "/cart/update", data={"variant_id": str(made.variant_ids[0]), "quantity": "4"}
    )
    assert plain.status_code == 303 and plain.headers["Location"].endswith("/cart/")


def test_the_cart_page_loads_htmx_and_posts_every_change_with_it(client, shop_a, no_csrf):
    made = make_product(shop_a, "Mug")
    add(client, made.variant_ids[0])
    page = body(client.get("/cart/"))
    assert "vendor/htmx-2.0.11/htmx.min.js" in page
    assert 'hx-post="/cart/update"' in page and 'hx-post="/cart/remove"' in page
    assert '"includeIndicatorStyles": false' in page  # no inline style: the CSP allows none


# ---------------------------------------------------------------- sign-in, devices, sign-out


def login(client, email, password="correct horse battery"):
    return client.post("/account/login", data={"email": email, "password": password})


def test_a_guest_cart_merges_into_the_account_cart_capped_by_stock(
    app, client, make_user, shop_a, shop_b, no_csrf
):
    ada = make_user("ada@example.com")
    tray = make_product(shop_a, "Tray", stock=5)
    kettle = make_product(shop_b, "Kettle", stock=10)
    other = app.test_client()
    assert login(other, "ada@example.com").status_code == 302
    add(other, tray.variant_ids[0], 3)  # the account's cart, from another device
    add(client, tray.variant_ids[0], 4)  # a guest here
    add(client, kettle.variant_ids[0], 2)
    guest_id = stored_cart(client).id
    assert login(client, "ada@example.com").status_code == 302
    assert session_token(client) is None  # the account's cart is found by the account
    assert cart_in_db(user=ada) == {tray.variant_ids[0].hex: 5, kettle.variant_ids[0].hex: 2}
    assert db.session.get(Cart, guest_id) is None
    # Both devices show the same cart; the header counts it.
    for device in (client, other):
        page = body(device.get("/cart/"))
        assert ">Tray</a>" in page and ">Kettle</a>" in page
        assert '>7<span class="visually-hidden"> items<' in page


def test_an_account_without_a_cart_takes_the_guest_cart_over(client, make_user, shop_a, no_csrf):
    ada = make_user("ada@example.com")
    mug = make_product(shop_a, "Mug")
    add(client, mug.variant_ids[0], 2)
    guest_id = stored_cart(client).id
    login(client, "ada@example.com")
    cart = stored_cart(user=ada)
    assert cart.id == guest_id and cart.token_digest is None
    assert '>2<span class="visually-hidden"> items<' in body(client.get("/"))


def test_sign_out_starts_an_empty_guest_cart_and_the_account_keeps_its_own(
    client, make_user, shop_a, no_csrf
):
    ada = make_user("ada@example.com")
    mug = make_product(shop_a, "Mug")
    login(client, "ada@example.com")
    add(client, mug.variant_ids[0], 2)
    client.post("/account/logout")
    assert "Your cart is empty" in body(client.get("/cart/"))
    assert cart_in_db(user=ada) == {mug.variant_ids[0].hex: 2}
    login(client, "ada@example.com")
    assert 'value="2"' in body(client.get("/cart/"))


# ---------------------------------------------------------------- expiry


def test_the_expiry_job_deletes_idle_carts_only(app, app_ctx, shop_a, make_user):
    made = make_product(shop_a, "Mug")
    ada = make_user("ada@example.com")
    now = utcnow()
    carts = {
        "idle guest": Cart(token_digest=b"1" * 32, updated_at=now - timedelta(days=31)),
        "idle account": Cart(user_id=ada.id, updated_at=now - timedelta(days=40)),
        "fresh guest": Cart(token_digest=b"2" * 32, updated_at=now - timedelta(days=29)),
    }
    for cart in carts.values():
        cart.lines.append(
            CartLine(
                tenant_id=shop_a.id, variant_id=made.variant_ids[0], quantity=1, seen_unit_price=1
            )
        )
        db.session.add(cart)
    db.session.commit()
    ids = {name: cart.id for name, cart in carts.items()}
    assert cart_services.expire_idle_carts(now=now) == 2
    db.session.commit()
    db.session.expire_all()
    left = set(db.session.scalars(sa.select(Cart.id)))
    assert ids["fresh guest"] in left and not {ids["idle guest"], ids["idle account"]} & left
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CartLine)) == 1
    app.config["CART_IDLE_DAYS"] = 5
    try:
        assert cart_services.expire_idle_carts(now=now) == 1
    finally:
        app.config["CART_IDLE_DAYS"] = 30


# ---------------------------------------------------------------- country, shipping, coupons


def test_country_and_coupon_codes_are_kept_and_checked(client, shop_a, no_csrf):
    made = make_product(shop_a, "Mug")
    add(client, made.variant_ids[0])
    assert client.post("/cart/country", data={"country": "FR"}).status_code == 303
    assert stored_cart(client).country == "FR"
    assert client.post("/cart/country", data={"country": "XX"}).status_code == 303
    assert "Choose a country from the list." in body(client.get("/cart/"))
    assert stored_cart(client).country == "FR"
    client.post("/cart/coupons", data={"codes": "save10, spring  save10"})
    assert stored_cart(client).coupon_codes == ["SAVE10", "SPRING"]
    client.post("/cart/coupons", data={"codes": "a b c d e f"})
    assert "at most 5 coupon codes" in body(client.get("/cart/"))
    assert stored_cart(client).coupon_codes == ["SAVE10", "SPRING"]
    response = client.post(
        "/cart/shipping", data={"tenant_id": str(uuid4()), "method_id": str(uuid4())}
    )
    assert response.status_code == 303
    assert "That shop has nothing in your cart." in body(client.get("/cart/"))
    client.post("/cart/shipping", data={"tenant_id": str(shop_a.id), "method_id": "\x00"})
    assert stored_cart(client).shipping_choice == {}


def test_a_shipping_choice_must_be_a_method_the_shop_offers_there(client, shop_a, shop_b, no_csrf):
    made = make_product(shop_a, "Mug")
    add(client, made.variant_ids[0])
    client.post("/cart/country", data={"country": "US"})
    methods = {}
    for shop, name, countries in ((shop_a, "Express DE", ["DE"]), (shop_b, "Courier", [])):
        with tenant_context(shop):
            method = ShippingMethod(
                name=name, kind=ShippingKind.FLAT, price=500, countries=countries
            )
            db.session.add(method)
            db.session.commit()
            methods[name] = method.id
    for name, message in (
        ("Express DE", "does not go to your country"),
        ("Courier", "does not offer"),
    ):
        client.post(
            "/cart/shipping", data={"tenant_id": str(shop_a.id), "method_id": str(methods[name])}
        )
        assert message in body(client.get("/cart/"))
        assert stored_cart(client).shipping_choice == {}
