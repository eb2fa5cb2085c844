"""Orders keep the quote's sums: for random carts, every shop's order adds up to the cent."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mall.catalog.models import Variant
from mall.checkout.models import Checkout
from mall.extensions import db
from mall.money import Party
from mall.orders.models import OrderDiscount, OrderLine
from mall.orders.services import Contact, create_order
from mall.pricing.quote import Destination, QuoteLine, quote
from tenants.context import tenant_context
from tests.mall.test_pricing_quote import coupon, inclusive, method, rate
from tests.support.shopping import stock_shop

carts = st.lists(
    st.tuples(
        st.integers(0, 2),  # shop
        st.integers(1, 10**7),  # unit price
        st.integers(1, 99),  # quantity
    ),
    min_size=1,
    max_size=8,
)
percents = st.lists(st.integers(1, 10_000), min_size=0, max_size=2)


@pytest.fixture
def shops(make_shop):
    made = []
    for n in range(3):
        stocked = stock_shop(make_shop(), shipping=None, quantity=0)
        shop = stocked.shop
        if n == 1:
            inclusive(shop)
        method(shop, kind="flat", price=495 + n)
        rate(shop, 1900 + n)
        rate(shop, 700 + n, tax_class="shipping")
        made.append((shop, stocked.variant_id, stocked.product_id))
    return made


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cart=carts, mall_percents=percents)
def test_orders_add_up_exactly(app_ctx, shops, cart, mall_percents):
    lines = {}
    for index, unit, quantity in cart:
        shop, variant_id, product_id = shops[index]
        lines[(shop.id, variant_id)] = QuoteLine(
            variant_id=variant_id,
            tenant_id=shop.id,
            product_id=product_id,
            category_id=None,
            title="Thing",
            tax_class="standard",
            unit_price=unit,
            quantity=quantity,
        )
    rules = [coupon(f"M{n}", percent=bp) for n, bp in enumerate(mall_percents)] + [
        coupon("S0", shop=shops[0][0], percent=1234)
    ]
    priced = quote(
        list(lines.values()), destination=Destination("DE"), shipping_choice={}, coupons=rules
    )
    nested = db.session.begin_nested()
    try:
        checkout = Checkout(token_digest=os.urandom(32), currency="USD")
        db.session.add(checkout)
        db.session.flush()
        for part in priced.shops:
            shop = next(s for s, _, _ in shops if s.id == part.tenant_id)
            with tenant_context(shop):
                variants = {v.id: v for v in db.session.scalars(sa.select(Variant))}
                order = create_order(
                    part,
                    shop=shop,
                    checkout_id=checkout.id,
                    contact=Contact("a@example.com", None, None),
                    variants=variants,
                    payment_method="test",
                    currency="USD",
                )
                rows = db.session.scalars(
                    sa.select(OrderLine).where(OrderLine.order_id == order.id)
                ).all()
                discounts = db.session.scalars(
                    sa.select(OrderDiscount).where(OrderDiscount.order_id == order.id)
                ).all()
                extra = 0 if order.prices_include_tax else order.shipping_tax
                assert order.total == sum(r.total for r in rows) + order.shipping_amount + extra
                assert order.total == part.total
                assert order.subtotal == sum(r.subtotal for r in rows)
                assert order.tax == sum(r.tax for r in rows) + order.shipping_tax
                by_party = {
                    party: sum(d.amount for d in discounts if d.funded_by is party)
                    for party in Party
                }
                assert (
                    by_party[Party.SHOP]
                    == order.discount_shop
                    == sum(r.discount_shop for r in rows)
                )
                assert (
                    by_party[Party.PLATFORM]
                    == order.discount_platform
                    == sum(r.discount_platform for r in rows)
                )
                for row in rows:
                    assert row.total >= 0 and row.tax_country == "DE"
    finally:
        nested.rollback()
