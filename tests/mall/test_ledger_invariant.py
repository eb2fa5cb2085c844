"""The ledger's invariant, for any sequence of sales, partial and full refunds and replays.

Every entry balances; posting an event again posts nothing; and each shop's
balance is exactly gross - discounts it funded - commission - refunds +
reversed commission (- payouts, once the payouts tests add them).
"""

from __future__ import annotations

from uuid import uuid4

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mall.extensions import db
from mall.ledger.chain import verify_chain
from mall.ledger.models import LedgerEntry, LedgerLine, OrderCommission
from mall.ledger.subscribers import on_order_paid, on_order_refunded
from mall.orders.errors import OrderError
from mall.orders.models import Order, OrderRefund
from mall.orders.refunds import (
    RefundRequest,
    refund_order,
    shipping_paid,
    shipping_refunded,
)
from tenants.context import all_tenants, tenant_context
from tenants.settings import put_setting
from tests.support.money import buy, shop_owed
from tests.support.shopping import stock_shop

operations = st.lists(
    st.one_of(
        st.tuples(st.just("buy"), st.integers(0, 1), st.integers(1, 7)),
        st.tuples(st.just("units"), st.integers(0, 20), st.integers(1, 3)),
        st.tuples(st.just("amount"), st.integers(0, 20), st.integers(1, 4999)),
        st.tuples(st.just("all"), st.integers(0, 20), st.just(0)),
        st.tuples(st.just("replay"), st.integers(0, 20), st.just(0)),
    ),
    min_size=1,
    max_size=8,
)


@pytest.fixture
def market(app, app_ctx, client, make_shop, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    put_setting("commission.default_bp", 1234)  # 12.34 %: odd on purpose
    db.session.commit()
    return client, [
        stock_shop(make_shop(), price=price, quantity=10**6, shipping=shipping)
        for price, shipping in ((999, 495), (1333, 0))
    ]


def _orders() -> list[Order]:
    with all_tenants("test: every order"):
        return list(db.session.scalars(sa.select(Order).order_by(Order.placed_at, Order.number)))


def _apply(client, stocked, op, n: int) -> None:
    kind, index, value = op
    if kind == "buy":
        buy(client, (stocked[index].variant_id, value))
        return
    orders = _orders()
    if not orders:
        return
    order = orders[index % len(orders)]
    with tenant_context(order.shop):
        if kind == "replay":
            on_order_paid(order)
            for refund in db.session.scalars(
                sa.select(OrderRefund).where(OrderRefund.order_id == order.id)
            ):
                on_order_refunded(order, refund_id=refund.id)
            return
        line = order.lines[0]
        request = {
            "units": RefundRequest(quantities={line.id: value}),
            "amount": RefundRequest(amount=value),
            "all": RefundRequest(
                quantities={line.id: line.quantity - line.quantity_refunded},
                shipping=shipping_paid(order) - shipping_refunded(order),
            ),
        }[kind]
        try:
            with db.session.begin_nested():
                refund_order(order, request, actor_id=None, key=uuid4().hex)
        except OrderError:
            pass  # refused (more than is left): nothing changed
    db.session.commit()


def _expected_owed(shop_id) -> int:
    with all_tenants("test: what the shop should be owed"):
        orders = db.session.scalars(sa.select(Order).where(Order.tenant_id == shop_id)).all()
        refunded = sum(order.refunded_amount for order in orders)
        gross = sum(order.total for order in orders)  # no coupons or tax in this market
        commission = sum(order.commission for order in orders)
        reversed_ = db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(OrderCommission.reversed), 0)).where(
                OrderCommission.tenant_id == shop_id
            )
        )
    return gross - commission - refunded + int(reversed_)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_every_sequence_balances_and_adds_up(market, ops):
    client, stocked = market
    for n, op in enumerate(ops):
        _apply(client, stocked, op, n)
    db.session.commit()
    unbalanced = db.session.execute(
        sa.select(LedgerLine.entry_id)
        .group_by(LedgerLine.entry_id)
        .having(sa.func.sum(LedgerLine.amount) != 0)
    ).all()
    assert unbalanced == []
    keys = db.session.scalars(sa.select(LedgerEntry.idempotency_key)).all()
    assert len(keys) == len(set(keys))
    for shop in stocked:
        assert shop_owed(shop.shop_id) == _expected_owed(shop.shop_id)
    found = verify_chain()
    assert found.ok, found.message
