"""One cart across shops, one checkout, one payment: orders per shop, holds, idempotency."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from mall.catalog.models import ProductKind, ProductStatus, StockMovement, StockReason, Variant
from mall.catalog.services import ProductInput, VariantInput, create_product
from mall.checkout.completion import complete_checkout, expire_overdue
from mall.checkout.models import Checkout, CheckoutStatus
from mall.db import utcnow
from mall.extensions import db
from mall.orders.models import HoldStatus, Order, OrderEvent, OrderStatus, PaymentStatus, StockHold
from mall.payments.models import OfflineCard
from tenants.context import all_tenants, tenant_context
from tests.support.mail import clear_outbox, sent_to, text_of
from tests.support.shopping import (
    ADDRESS,
    accept_manual_payments,
    add_to_cart,
    fill_checkout,
    place,
    stock_shop,
)


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


@pytest.fixture
def two_shops(make_shop):
    acme = stock_shop(make_shop("acme", name="Acme Tools"), price=333, quantity=5)
    bolt = stock_shop(make_shop("bolt", name="Bolt & Co"), price=1250, quantity=5, shipping=700)
    return acme, bolt


def orders() -> list[Order]:
    with all_tenants("test: every order"):
        return list(db.session.scalars(sa.select(Order).order_by(Order.number)))


def stock_of(stocked) -> int:
    with tenant_context(stocked.shop):
        return db.session.get(Variant, (stocked.shop.id, stocked.variant_id)).stock_quantity


def checkouts() -> list[Checkout]:
    return list(db.session.scalars(sa.select(Checkout)))


def test_a_guest_pays_once_and_each_shop_gets_its_order(app, client, two_shops, no_csrf):
    acme, bolt = two_shops
    clear_outbox(app)
    add_to_cart(client, acme.variant_id, 3)
    add_to_cart(client, bolt.variant_id, 1)
    review = fill_checkout(client)
    assert "Acme Tools" in review and "Bolt &amp; Co" in review
    assert "test mode" in review
    response = place(client, review)
    assert response.status_code == 303
    assert "/checkout/thanks/" in response.headers["Location"]

    made = orders()
    assert [o.number for o in made] == ["ACME-1001", "BOLT-1001"]
    by_shop = {o.tenant_id: o for o in made}
    first, second = by_shop[acme.shop.id], by_shop[bolt.shop.id]
    assert (first.subtotal, first.shipping_amount, first.total) == (999, 500, 1499)
    assert (second.subtotal, second.shipping_amount, second.total) == (1250, 700, 1950)
    assert all(o.status is OrderStatus.PAID for o in made)
    assert all(o.payment_status is PaymentStatus.PAID for o in made)
    (checkout,) = checkouts()
    assert checkout.status is CheckoutStatus.PAID and checkout.total == 1499 + 1950
    assert {o.checkout_id for o in made} == {checkout.id}
    assert (stock_of(acme), stock_of(bolt)) == (2, 4)

    confirmation = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "ACME-1001" in confirmation and "BOLT-1001" in confirmation
    (mail,) = sent_to(app, "ada@example.com")
    assert "ACME-1001" in text_of(mail) and "BOLT-1001" in text_of(mail)
    with client.session_transaction() as session:
        assert "cart_items" not in session  # the header's badge counts nothing now
    assert client.get("/cart/").get_data(as_text=True).count("ACME") == 0


def test_each_shop_reads_only_its_own_sealed_copy(client, two_shops, no_csrf):
    acme, bolt = two_shops
    add_to_cart(client, acme.variant_id)
    add_to_cart(client, bolt.variant_id)
    place(client, fill_checkout(client, email="grace@example.com"))
    for stocked in (acme, bolt):
        with tenant_context(stocked.shop):
            (order,) = db.session.scalars(sa.select(Order)).all()
            assert order.tenant_id == stocked.shop.id
            assert order.email == "grace@example.com"
            assert "Ada Lovelace" in order.shipping_address_json
    # The two copies are different ciphertexts under different keys.
    first, second = orders()
    assert first.email_ct != second.email_ct
    assert b"grace" not in first.email_ct + second.email_ct


def test_placing_twice_makes_one_set_of_orders(client, two_shops, no_csrf):
    acme, _ = two_shops
    add_to_cart(client, acme.variant_id, 2)
    review = fill_checkout(client)
    first = place(client, review)
    second = place(client, review)
    assert first.status_code == second.status_code == 303
    assert len(orders()) == 1 and len(checkouts()) == 1
    assert stock_of(acme) == 3


def test_completion_repeated_by_every_path_changes_nothing(client, two_shops, no_csrf):
    acme, bolt = two_shops
    add_to_cart(client, acme.variant_id)
    add_to_cart(client, bolt.variant_id)
    place(client, fill_checkout(client))
    (checkout,) = checkouts()
    for _ in range(3):
        assert complete_checkout(checkout.id) is False
    assert len(orders()) == 2
    with tenant_context(acme.shop):
        paid_events = db.session.scalar(
            sa.select(sa.func.count()).select_from(OrderEvent).where(OrderEvent.kind == "paid")
        )
    assert paid_events == 1


def test_a_changed_price_after_review_places_nothing(client, two_shops, no_csrf):
    acme, _ = two_shops
    add_to_cart(client, acme.variant_id)
    review = fill_checkout(client)
    with tenant_context(acme.shop):
        db.session.get(Variant, (acme.shop.id, acme.variant_id)).price = 400
        db.session.commit()
    response = place(client, review)
    assert response.status_code == 303 and response.headers["Location"].endswith("/checkout/review")
    assert orders() == [] and stock_of(acme) == 5
    (checkout,) = checkouts()
    assert checkout.status is CheckoutStatus.OPEN


def test_the_last_units_gone_before_placing_place_nothing(client, two_shops, no_csrf):
    acme, bolt = two_shops
    add_to_cart(client, acme.variant_id, 2)
    add_to_cart(client, bolt.variant_id, 1)
    review = fill_checkout(client)
    with tenant_context(bolt.shop):
        from mall.catalog.stock import adjust_stock

        adjust_stock(
            db.session.get(Variant, (bolt.shop.id, bolt.variant_id)),
            -5,
            reason=StockReason.ADJUSTMENT,
        )
    db.session.commit()
    response = place(client, review)
    assert response.status_code == 303
    assert orders() == [] and stock_of(acme) == 5 and stock_of(bolt) == 0


def test_bank_transfer_waits_then_expires_and_returns_stock_once(app, client, two_shops, no_csrf):
    acme, _ = two_shops
    accept_manual_payments(acme.shop)
    add_to_cart(client, acme.variant_id, 2)
    review = fill_checkout(client, method="bank_transfer")
    place(client, review)
    (order,) = orders()
    assert order.status is OrderStatus.AWAITING_PAYMENT and stock_of(acme) == 3
    (checkout,) = checkouts()
    assert checkout.status is CheckoutStatus.AWAITING
    later = utcnow() + timedelta(days=30)
    assert expire_overdue(now=later) == 1
    assert expire_overdue(now=later) == 0
    db.session.commit()
    (order,) = orders()
    assert order.status is OrderStatus.CANCELLED and stock_of(acme) == 5
    with tenant_context(acme.shop):
        released = db.session.scalars(
            sa.select(StockMovement).where(StockMovement.reason == StockReason.HOLD_RELEASED)
        ).all()
        holds = db.session.scalars(sa.select(StockHold)).all()
    assert [m.delta for m in released] == [2]
    assert [h.status for h in holds] == [HoldStatus.RELEASED]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"ship-country": "XX"}, "Choose a country from the list."),
        ({"ship-name": ""}, "Enter the name of the person or company"),
        ({"ship-line1": "12\x00 Road"}, "control character"),
        ({"ship-postal_code": "123"}, "not a valid postal code in United Kingdom"),
        (
            {"ship-country": "US", "ship-region": "NY", "ship-postal_code": "94105"},
            "94105 is not a ZIP code of New York (NY); check the ZIP code or the state.",
        ),
        (
            {"ship-country": "US", "ship-region": "new york", "ship-postal_code": "ABCDE"},
            "ABCDE is not a valid ZIP code in United States (for example 95014).",
        ),
    ],
)
def test_bad_addresses_are_messages(client, two_shops, no_csrf, change, message):
    acme, _ = two_shops
    add_to_cart(client, acme.variant_id)
    client.post("/checkout/contact", data={"email": "ada@example.com"})
    response = client.post("/checkout/address", data={**ADDRESS, **change})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    (checkout,) = checkouts()
    assert checkout.country is None and checkout.shipping_address_ct is None


def test_an_empty_cart_has_no_checkout(client, no_csrf):
    response = client.get("/checkout/")
    assert response.status_code == 303 and response.headers["Location"].endswith("/cart/")
    assert client.post("/checkout/place", data={"reviewed": "x"}).status_code == 303
    assert checkouts() == []


def test_a_bad_email_is_a_message(client, two_shops, no_csrf):
    acme, _ = two_shops
    add_to_cart(client, acme.variant_id)
    response = client.post("/checkout/contact", data={"email": "not an email"})
    assert response.status_code == 400
    assert "Enter a valid email address." in response.get_data(as_text=True)


def test_steps_cannot_be_skipped(client, two_shops, no_csrf):
    acme, _ = two_shops
    add_to_cart(client, acme.variant_id)
    response = client.get("/checkout/review")
    assert response.status_code == 303 and response.headers["Location"].endswith("/contact")


def test_a_shop_that_does_not_ship_there_blocks_the_shipping_step(client, make_shop, no_csrf):
    stocked = stock_shop(make_shop("island"), shipping=None)
    add_to_cart(client, stocked.variant_id)
    client.post("/checkout/contact", data={"email": "ada@example.com"})
    client.post("/checkout/address", data=ADDRESS)
    page = client.get("/checkout/shipping").get_data(as_text=True)
    assert "Remove its items from your cart" in page
    assert client.post("/checkout/shipping", data={}).status_code == 400


def test_another_visitor_sees_nothing_of_a_checkout(app, client, two_shops, no_csrf):
    acme, _ = two_shops
    add_to_cart(client, acme.variant_id)
    confirmation = place(client, fill_checkout(client, email="ada@example.com"))
    (checkout,) = checkouts()
    stranger = app.test_client()
    for path in ("/checkout/", "/checkout/review", "/checkout/contact"):
        response = stranger.get(path)
        assert response.status_code == 303 and response.headers["Location"].endswith("/cart/")
    response = stranger.get(f"/checkout/return/{checkout.id}?session_id=cs_guess")
    assert response.status_code == 303
    assert "ada@example.com" not in stranger.get("/cart/").get_data(as_text=True)
    forged = confirmation.headers["Location"].rsplit("/", 1)[0] + "/forged-token"
    assert stranger.get(forged).status_code == 404
    # The signed link is the customer's own: it shows the orders, never the address.
    page = stranger.get(confirmation.headers["Location"]).get_data(as_text=True)
    assert "ACME-1001" in page and "Marylebone" not in page


def test_an_offline_card_goes_to_every_shop_sealed_under_its_own_key(client, two_shops, no_csrf):
    acme, bolt = two_shops
    for stocked in two_shops:
        accept_manual_payments(stocked.shop, bank=False, card=True)
    add_to_cart(client, acme.variant_id)
    add_to_cart(client, bolt.variant_id)
    review = fill_checkout(client, method="offline_card")
    assert "Card number" in review
    bad = place(
        client, review, card_number="4242 4242 4242 4241", card_expiry="12/39", card_cvc="123"
    )
    assert bad.headers["Location"].endswith("/checkout/review") and orders() == []
    good = place(
        client, review, card_number="4242 4242 4242 4242", card_expiry="12/39", card_cvc="123"
    )
    assert "/checkout/thanks/" in good.headers["Location"]
    assert all(o.status is OrderStatus.AWAITING_PAYMENT for o in orders())
    with all_tenants("test: every card"):
        cards = db.session.scalars(sa.select(OfflineCard)).all()
        assert len(cards) == 2 and {c.tenant_id for c in cards} == {acme.shop.id, bolt.shop.id}
        assert all(b"4242424242424242" not in c.number_ct for c in cards)
        assert cards[0].number_ct != cards[1].number_ct
    # The card never comes back to the page.
    assert "4242 4242" not in client.get(good.headers["Location"]).get_data(as_text=True)


def test_a_signed_in_customer_keeps_an_address_for_next_time(
    client, two_shops, no_csrf, make_user, sign_in
):
    acme, _ = two_shops
    customer = make_user("carl@example.com", name="Carl")
    sign_in(customer)
    add_to_cart(client, acme.variant_id)
    contact = client.get("/checkout/contact").get_data(as_text=True)
    assert 'value="carl@example.com"' in contact
    client.post("/checkout/contact", data={"email": "carl@example.com"})
    client.post("/checkout/address", data={**ADDRESS, "save": "y"})
    page = client.get("/checkout/shipping")
    assert page.status_code == 200
    add_to_cart(client, acme.variant_id)
    place(client, fill_checkout(client, email="carl@example.com"))
    (order,) = orders()
    assert order.user_id == customer.id
    # The next checkout offers the saved address.
    add_to_cart(client, acme.variant_id)
    client.post("/checkout/contact", data={"email": "carl@example.com"})
    assert "12 Marylebone Road" in client.get("/checkout/address").get_data(as_text=True)


def test_a_country_chosen_in_the_cart_does_not_skip_the_address(client, two_shops, no_csrf):
    acme, _ = two_shops
    add_to_cart(client, acme.variant_id)
    client.post("/cart/country", data={"country": "GB"})
    client.post("/checkout/contact", data={"email": "ada@example.com"})
    response = client.get("/checkout/review")
    assert response.status_code == 303 and response.headers["Location"].endswith("/address")
    page = client.get("/checkout/address").get_data(as_text=True)
    assert '<option selected value="GB">' in page or 'value="GB" selected' in page


def test_digital_items_only_ask_for_a_billing_address_and_no_shipping(client, make_shop, no_csrf):
    shop = make_shop("fonts")
    with tenant_context(shop):
        product = create_product(
            ProductInput(
                title="Serif Font",
                slug="serif-font",
                kind=ProductKind.DIGITAL,
                status=ProductStatus.PUBLISHED,
                variants=[VariantInput(sku="FONT-1", price=2500, track_stock=False)],
            )
        )
        variant_id = product.variants[0].id
        db.session.commit()
    add_to_cart(client, variant_id)
    client.post("/checkout/contact", data={"email": "ada@example.com"})
    page = client.get("/checkout/address").get_data(as_text=True)
    assert "Billing address" in page and "Shipping address" not in page
    response = client.post("/checkout/address", data=ADDRESS)
    assert response.headers["Location"].endswith("/checkout/payment")
    client.post("/checkout/payment", data={"method": "test"})
    review = client.get("/checkout/review").get_data(as_text=True)
    place(client, review)
    (order,) = orders()
    with tenant_context(shop):
        assert order.shipping_address_json is None and not order.needs_shipping
        assert "Marylebone" in order.billing_address_json
    assert order.total == 2500 and order.shipping_amount == 0
