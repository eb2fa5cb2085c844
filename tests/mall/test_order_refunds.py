"""Refunds: by lines, by amount, shipping, restock; once per key; the ledger posts each once."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mall.catalog.models import Variant
from mall.extensions import db
from mall.ledger.chain import verify_chain
from mall.ledger.models import Account, EntryKind, LedgerEntry, OrderCommission
from mall.orders.errors import OrderError
from mall.orders.models import OrderRefund, OrderStatus, PaymentStatus
from mall.orders.refunds import RefundRequest, cancel_paid_order, refund_order
from tenants.context import tenant_context
from tenants.guard import scoped_get
from tenants.settings import put_setting
from tests.support.money import account_total, buy, shop_owed
from tests.support.shopping import stock_shop


@pytest.fixture
def paid(app, app_ctx, client, shop_a, monkeypatch):
    """Shop A sold 3 x 9.99 (+ 5.00 shipping) at 10 % commission."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    put_setting("commission.default_bp", 1000)
    db.session.commit()
    stocked = stock_shop(shop_a, price=999, quantity=10)
    (order,) = buy(client, (stocked.variant_id, 3))
    assert order.status is OrderStatus.PAID
    with tenant_context(shop_a):
        assert order.lines  # loaded now: the tests read them outside the shop's context
    return order, stocked


def test_payment_posts_sale_and_commission_once(paid):
    order, _ = paid
    assert order.total == 3 * 999 + 500
    entries = db.session.scalars(
        sa.select(LedgerEntry).where(LedgerEntry.kind == EntryKind.PAYMENT)
    ).all()
    assert len(entries) == 1
    assert order.commission == 300  # 10 % of 29.97, half-up
    # The shop is owed its sales and shipping, less the commission.
    assert shop_owed(order.tenant_id) == 2997 + 500 - 300
    assert account_total(Account.PROCESSOR) == order.total
    assert account_total(Account.COMMISSION) == -300
    assert verify_chain().ok


def test_refund_one_unit_then_the_rest_reverses_exactly(paid):
    order, stocked = paid
    with tenant_context(order.shop):
        line = order.lines[0]
        first, made = refund_order(
            order, RefundRequest(quantities={line.id: 1}), actor_id=None, key="r1"
        )
        assert made and first.amount == 999
        assert order.payment_status is PaymentStatus.PARTIALLY_REFUNDED
        again, made = refund_order(
            order, RefundRequest(quantities={line.id: 1}), actor_id=None, key="r1"
        )
        assert not made and again.id == first.id
        refund_order(
            order,
            RefundRequest(quantities={line.id: 2}, shipping=500, restock=True),
            actor_id=None,
            key="r2",
        )
        assert order.payment_status is PaymentStatus.REFUNDED
        assert order.status is OrderStatus.REFUNDED
        assert scoped_get(Variant, stocked.variant_id).stock_quantity == 7 + 2
        row = db.session.scalar(sa.select(OrderCommission))
        assert row.reversed == row.amount
    assert shop_owed(order.tenant_id) == 0
    assert account_total(Account.PROCESSOR) == 0
    assert account_total(Account.COMMISSION) == 0
    assert verify_chain().ok


def test_many_odd_partial_refunds_never_create_or_lose_a_cent(paid):
    order, _ = paid
    with tenant_context(order.shop):
        left = order.total
        n = 0
        while left:
            amount = min(left, 7 + n * 13)
            on_lines = min(amount, sum(line.total - line.amount_refunded for line in order.lines))
            refund_order(
                order,
                RefundRequest(amount=on_lines, shipping=amount - on_lines),
                actor_id=None,
                key=f"odd-{n}",
            )
            left -= amount
            n += 1
        assert order.refunded_amount == order.total
    assert shop_owed(order.tenant_id) == 0
    assert account_total(Account.COMMISSION) == 0
    assert account_total(Account.TAX_PAYABLE) == 0
    assert account_total(Account.PROCESSOR) == 0


def test_a_refund_cannot_exceed_what_is_left(paid):
    order, _ = paid
    with tenant_context(order.shop):
        with pytest.raises(OrderError, match=r"At most \$5.00 of shipping"):
            refund_order(order, RefundRequest(shipping=501), actor_id=None, key="ship")
        line = order.lines[0]
        refund_order(order, RefundRequest(quantities={line.id: 1}), actor_id=None, key="one")
        with pytest.raises(OrderError, match=r"At most \$19.98 can be refunded for these items"):
            refund_order(order, RefundRequest(amount=1999), actor_id=None, key="too-much")
        with pytest.raises(OrderError, match="at most 2 of 3"):
            refund_order(order, RefundRequest(quantities={line.id: 3}), actor_id=None, key="x")
        with pytest.raises(OrderError, match="Choose items"):
            refund_order(order, RefundRequest(), actor_id=None, key="nothing")
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OrderRefund)) == 1


def test_cancel_a_paid_unshipped_order_refunds_and_restocks_once(paid):
    order, stocked = paid
    with tenant_context(order.shop):
        assert cancel_paid_order(order, actor_id=None, reason="Customer asked", key="c")
        assert not cancel_paid_order(order, actor_id=None, reason="Customer asked", key="c")
        assert order.status is OrderStatus.CANCELLED
        assert order.payment_status is PaymentStatus.REFUNDED
        assert scoped_get(Variant, stocked.variant_id).stock_quantity == 10
    assert shop_owed(order.tenant_id) == 0


# ---------------------------------------------------------------- the order page's refund form


def _refund_url(order) -> str:
    return f"/shop/{order.shop.slug}/admin/orders/{order.id}/refunds"


KEY = "0" * 31 + "1"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ({"amount": "abc"}, "Amount:"),
        ({"amount": "99999999999999"}, "Amount:"),
        ({"amount": "500"}, "can be refunded for these items"),
        ({"shipping": "5.01"}, "of shipping can be refunded"),
        ({"qty": "4"}, "at most 3 of 3"),
        ({"qty": "1.5"}, "whole number"),
        ({}, "Choose items"),
    ],
)
def test_bad_refund_input_is_a_422_with_what_was_typed(client, member_of_a, paid, typed, message):
    order, _ = paid
    typed = dict(typed)
    data = {"refund-key": KEY, "refund-reason": "Kept reason"}
    if "qty" in typed:
        data[f"qty-{order.lines[0].id.hex}"] = typed.pop("qty")
    data.update({f"refund-{name}": value for name, value in typed.items()})
    response = client.post(_refund_url(order), data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert "Kept reason" in page
    with tenant_context(order.shop):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OrderRefund)) == 0


def test_refund_through_the_page_once_per_form(client, member_of_a, paid):
    order, _ = paid
    data = {"refund-key": KEY, f"qty-{order.lines[0].id.hex}": "2", "refund-restock": "y"}
    first = client.post(_refund_url(order), data=data)
    assert first.status_code == 303
    again = client.post(_refund_url(order), data=data)
    assert again.status_code == 303
    page = client.get(first.headers["Location"]).get_data(as_text=True)
    assert "already made: nothing changed" in page
    with tenant_context(order.shop):
        (refund,) = db.session.scalars(sa.select(OrderRefund)).all()
        assert refund.amount == 1998 and refund.restocked
    assert "Refunded $19.98" in page


def test_refund_everything_left_from_the_page(client, member_of_a, paid):
    order, _ = paid
    response = client.post(_refund_url(order), data={"refund-key": KEY, "refund-everything": "1"})
    assert response.status_code == 303
    with tenant_context(order.shop):
        db.session.expire_all()
        refreshed = scoped_get(type(order), order.id)
        assert refreshed.payment_status is PaymentStatus.REFUNDED
        assert refreshed.refunded_amount == refreshed.total


def test_another_shops_order_cannot_be_refunded(client, paid, make_shop, make_user, sign_in):
    from mall.shops.models import Membership, Role

    order, _ = paid
    order_id, shop = order.id, order.shop
    other = make_shop("shop-z")
    intruder = make_user("z@example.com")
    db.session.add(Membership(user_id=intruder.id, tenant_id=other.id, role=Role.OWNER))
    db.session.commit()
    sign_in(intruder)
    response = client.post(
        f"/shop/shop-z/admin/orders/{order_id}/refunds",
        data={"refund-key": KEY, "refund-everything": "1"},
    )
    assert response.status_code == 404
    with tenant_context(shop):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OrderRefund)) == 0
