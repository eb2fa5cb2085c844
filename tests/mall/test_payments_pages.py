"""Payment methods offered, the test provider, the shop's payment settings, the operator's
providers page, and bank transfers marked paid in the back office."""

from __future__ import annotations

import os
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from mall.db import utcnow
from mall.extensions import db
from mall.orders.models import Order, OrderStatus
from mall.payments import services
from mall.payments.models import Payment, PaymentSettings, PaymentStatus
from mall.payments.providers import forget_banner, payments_test_mode, set_platform_providers
from mall.signals import payment_succeeded
from tenants.context import tenant_context
from tests.crawl.orders import place_order

SETTINGS = "/shop/shop-a/admin/payments"


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


@pytest.fixture(autouse=True)
def fresh_banner(app):
    with app.app_context():
        forget_banner()
    yield
    with app.app_context():
        forget_banner()


def accept(shop, *, bank: bool = False, card: bool = False) -> None:
    with tenant_context(shop):
        services.update_shop_settings(
            services.shop_settings(),
            bank_transfer_enabled=bank,
            bank_instructions="IBAN XX00 1234; reference: your order number" if bank else "",
            offline_card_enabled=card,
        )
        db.session.commit()


def names(methods) -> list[str]:
    return [m.name for m in methods]


# ---------------------------------------------------------------- methods offered


def test_manual_methods_only_when_every_shop_accepts_them(app_ctx, shop_a, shop_b, count_queries):
    accept(shop_a, bank=True, card=True)
    accept(shop_b, bank=True)
    a, b = shop_a.id, shop_b.id
    assert names(services.available_methods([a])) == ["test", "bank_transfer", "offline_card"]
    with count_queries() as one:
        services.available_methods([a])
    with count_queries() as two:
        both = services.available_methods([a, b])
    assert names(both) == ["test", "bank_transfer"]
    assert one.count == two.count == 2


def test_stripe_is_offered_only_when_configured(app_ctx, app, shop_a, monkeypatch):
    assert "stripe" not in names(services.available_methods([shop_a.id]))
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_x")
    assert names(services.available_methods([shop_a.id]))[:2] == ["stripe", "test"]


# ---------------------------------------------------------------- the test provider


def make_checkout():
    from mall.checkout.models import Checkout

    checkout = Checkout(token_digest=os.urandom(32), currency="USD", total=1_000)
    db.session.add(checkout)
    db.session.flush()
    return checkout.id


def test_request(checkout_id):
    return services.PaymentRequest(
        checkout_id=checkout_id,
        amount=1_000,
        currency="USD",
        parts=[services.PaymentPart(shop_name="Shop A", lines=[("Mug", 1, 1_000)], total=1_000)],
        success_url="http://mall.test/ok",
        cancel_url="http://mall.test/no",
        expires_at=utcnow() + timedelta(hours=1),
    )


test_request.__test__ = False  # a helper, not a test


def test_the_test_provider_pays_at_once_and_announces_it_once(app_ctx):
    checkout_id = make_checkout()
    calls = []

    def receiver(sender, **kwargs):
        calls.append(kwargs)

    payment_succeeded.connect(receiver)
    try:
        first = services.start_payment(test_request(checkout_id), method="test")
        again = services.start_payment(test_request(checkout_id), method="test")
    finally:
        payment_succeeded.disconnect(receiver)
    assert first.completed and again.completed and first.payment.id == again.payment.id
    assert first.payment.status is PaymentStatus.SUCCEEDED
    assert calls == [{"checkout_id": checkout_id}]
    made = services.refund(checkout_id, 400, reason="short", key="t-1")
    assert made.status.value == "succeeded" and first.payment.refunded_amount == 400


def test_the_test_provider_is_refused_in_production(app_ctx, app, shop_a, monkeypatch):
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    assert "test" not in names(services.available_methods([shop_a.id]))
    assert payments_test_mode() is False
    with pytest.raises(services.PaymentError, match="not available"):
        services.start_payment(test_request(make_checkout()), method="test")
    with pytest.raises(services.PaymentError, match="production"):
        set_platform_providers(stripe=False, test=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 0


def test_every_page_says_test_mode_while_test_payments_are_on(client, app):
    assert "Test mode" in client.get("/privacy").text
    with app.app_context():
        set_platform_providers(stripe=False, test=False)
        db.session.commit()
    assert "Test mode" not in client.get("/privacy").text


# ---------------------------------------------------------------- the shop's settings page


def test_the_shop_saves_its_payment_settings(client, shop_a, member_of_a, no_csrf):
    page = client.get(SETTINGS)
    assert page.status_code == 200 and "Bank transfer instructions" in page.text
    saved = client.post(
        SETTINGS,
        data={
            "bank_transfer_enabled": "y",
            "bank_instructions": "Pay to IBAN XX00",
            "offline_card_enabled": "y",
        },
    )
    assert saved.status_code == 303
    again = client.post(
        SETTINGS,
        data={
            "bank_transfer_enabled": "y",
            "bank_instructions": "Pay to IBAN XX00",
            "offline_card_enabled": "y",
        },
    )
    assert again.status_code == 303
    with tenant_context(shop_a):
        rows = db.session.scalars(sa.select(PaymentSettings)).all()
    assert len(rows) == 1
    assert (rows[0].bank_transfer_enabled, rows[0].offline_card_enabled) == (True, True)
    assert services.bank_instructions([shop_a.id]) == {shop_a.id: "Pay to IBAN XX00"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"bank_transfer_enabled": "y", "bank_instructions": "  "}, "needs instructions"),
        ({"bank_instructions": "x" * 2001}, "under 2000"),
    ],
)
def test_bad_settings_are_refused_with_a_message(
    client, shop_a, member_of_a, no_csrf, data, message
):
    refused = client.post(SETTINGS, data=data)
    assert refused.status_code == 422 and message in refused.text
    with tenant_context(shop_a):
        assert db.session.scalars(sa.select(PaymentSettings)).all() == []


# ---------------------------------------------------------------- the operator


def test_the_operator_chooses_the_platform_providers(
    client, app, operator, sign_in, no_csrf, monkeypatch
):
    sign_in(operator)
    assert client.get("/admin/payments").status_code == 200
    refused = client.post("/admin/payments", data={"stripe": "y", "test": "y"})
    assert refused.status_code == 422 and "STRIPE_SECRET_KEY" in refused.text
    assert client.post("/admin/payments", data={}).status_code == 303
    with app.app_context():
        assert services.available_methods([]) == []
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    production = client.post("/admin/payments", data={"test": "y"})
    assert production.status_code == 422 and "production" in production.text


def test_the_providers_page_is_for_operators_only(client, member_of_a):
    assert client.get("/admin/payments").status_code in (403, 404)


# ---------------------------------------------------------------- bank transfer


def bank_order(shop) -> SimpleNamespace:
    with tenant_context(shop):
        order = place_order(shop, payment_method="bank_transfer")
        placed = SimpleNamespace(id=order.id, number=order.number)
        db.session.commit()
    return placed


def test_bank_transfer_is_marked_paid_in_the_back_office_once(
    client, shop_a, shop_b, member_of_a, no_csrf
):
    ours, theirs = bank_order(shop_a), bank_order(shop_b)
    assert client.post(f"/shop/shop-a/admin/orders/{theirs.id}/mark-paid").status_code == 404
    assert client.post(f"/shop/shop-a/admin/orders/{ours.id}/mark-paid").status_code == 303
    again = client.post(f"/shop/shop-a/admin/orders/{ours.id}/mark-paid", follow_redirects=True)
    assert "already marked paid" in again.text
    with tenant_context(shop_a):
        db.session.expire_all()
        status = db.session.scalars(sa.select(Order).where(Order.id == ours.id)).one().status
    assert status is OrderStatus.PAID
