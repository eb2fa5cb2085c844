"""Coupons through checkout: who funds each share, parts that sum to the whole, limits."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from mall.checkout.models import Checkout, CheckoutStatus
from mall.coupons import editing
from mall.coupons.editing import CouponInput
from mall.coupons.models import MallCoupon
from mall.db import utcnow
from mall.extensions import db
from mall.money import Party
from mall.orders.models import Order, OrderDiscount, OrderLine
from tenants.context import all_tenants, tenant_context
from tests.support.shopping import add_to_cart, fill_checkout, place, stock_shop


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def mall_coupon(code="MALL10", **kw):
    kw.setdefault("kind", "percent")
    kw.setdefault("percent_bp", 1000)
    coupon = editing.create_mall_coupon(
        CouponInput(code=code, starts_at=utcnow() - timedelta(days=1), **kw), actor_id=None
    )
    db.session.commit()
    return coupon


def shop_coupon(shop, code="SHOP1", **kw):
    kw.setdefault("kind", "fixed")
    kw.setdefault("amount", 100)
    with tenant_context(shop):
        coupon = editing.create_shop_coupon(
            CouponInput(code=code, starts_at=utcnow() - timedelta(days=1), **kw)
        )
    db.session.commit()
    return coupon


def apply_codes(client, codes: str):
    return client.post("/cart/coupons", data={"codes": codes})


def all_rows(model):
    with all_tenants("test: rows of every shop"):
        return list(db.session.scalars(sa.select(model)))


def test_three_times_033_with_ten_percent_adds_up_exactly(client, make_shop, no_csrf):
    acme = stock_shop(make_shop("acme"), price=33, quantity=10, shipping=0)
    bolt = stock_shop(make_shop("bolt"), price=33, quantity=10, shipping=0)
    mall_coupon()
    shop_coupon(bolt.shop, code="BOLT1", amount=1)
    add_to_cart(client, acme.variant_id, 3)
    add_to_cart(client, bolt.variant_id, 3)
    apply_codes(client, "mall10, bolt1")
    place(client, fill_checkout(client))
    orders = {o.tenant_id: o for o in all_rows(Order)}
    assert len(orders) == 2
    for order in orders.values():
        lines = [line for line in all_rows(OrderLine) if line.order_id == order.id]
        discounts = [d for d in all_rows(OrderDiscount) if d.order_id == order.id]
        assert sum(line.total for line in lines) + order.shipping_amount == order.total
        assert sum(line.discount_shop + line.discount_platform for line in lines) == sum(
            d.amount for d in discounts
        )
        assert order.discount_shop == sum(d.amount for d in discounts if d.funded_by is Party.SHOP)
    # 99 + 99 = 198 at 10 %: 19.8 -> 20 cents of the platform's, spread 10 + 10; bolt's
    # own coupon takes 1 cent first, so the platform's share there is on 98.
    platform = sum(d.amount for d in all_rows(OrderDiscount) if d.funded_by is Party.PLATFORM)
    shop_funded = sum(d.amount for d in all_rows(OrderDiscount) if d.funded_by is Party.SHOP)
    assert shop_funded == 1
    assert platform == 20
    (checkout,) = db.session.scalars(sa.select(Checkout)).all()
    assert checkout.total == sum(o.total for o in orders.values()) == 198 - 1 - 20
    assert db.session.scalar(sa.select(MallCoupon.times_used)) == 1


def test_a_coupon_used_up_before_placing_places_nothing(client, make_shop, no_csrf):
    acme = stock_shop(make_shop("acme"), price=1000)
    coupon = mall_coupon(code="ONCE", usage_limit=1)
    add_to_cart(client, acme.variant_id)
    apply_codes(client, "ONCE")
    review = fill_checkout(client)
    assert "ONCE" in review
    # Someone else uses the last one meanwhile.
    db.session.execute(sa.update(MallCoupon).where(MallCoupon.id == coupon.id).values(times_used=1))
    db.session.commit()
    response = place(client, review)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/checkout/review")
    assert all_rows(Order) == []
    (checkout,) = db.session.scalars(sa.select(Checkout)).all()
    assert checkout.status is CheckoutStatus.OPEN


def test_an_expired_code_is_said_and_not_applied(client, make_shop, no_csrf):
    acme = stock_shop(make_shop("acme"), price=1000)
    mall_coupon(code="OLD", ends_at=utcnow() - timedelta(hours=1))
    add_to_cart(client, acme.variant_id)
    page = apply_codes(client, "OLD")
    page = client.get("/cart/").get_data(as_text=True)
    assert "expired" in page
    review = fill_checkout(client)
    assert "expired" in review
    place(client, review)
    (order,) = all_rows(Order)
    assert order.discount_platform == 0 and order.total == 1000 + 500


def test_an_order_the_coupons_pay_for_in_full_is_paid_at_once(client, make_shop, no_csrf):
    acme = stock_shop(make_shop("acme"), price=1000, shipping=0)
    mall_coupon(code="FREE", percent_bp=10_000)
    add_to_cart(client, acme.variant_id)
    apply_codes(client, "FREE")
    response = place(client, fill_checkout(client))
    assert "/checkout/thanks/" in response.headers["Location"]
    (order,) = all_rows(Order)
    assert order.total == 0 and order.discount_platform == 1000
    assert order.status.value == "paid"
