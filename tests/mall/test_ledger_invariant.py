"""The ledger's invariant, for any sequence of sales, partial and full refunds and replays.

Every entry balances; posting an event again posts nothing; and each shop's
balance is exactly gross - discounts it funded - commission - refunds +
reversed commission (- payouts, once the payouts tests add them).

With affiliates (the real services of ``affiliates.commissions`` and
``affiliates.payouts``): sales through a recruit's link (two tiers), approvals, refunds
before and after payout (reductions, clawbacks), a lost dispute, payout batches and
failed payouts, in any order and replayed: the chain verifies, every entry balances,
and the ledger says what the commission rows say (each affiliate's pending, available
and in-transit balances; what the shops paid their affiliates).
"""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from affiliates.commissions.refunds import refunded_base
from affiliates.commissions.services import approve_due
from affiliates.errors import AffiliateError
from affiliates.models import (
    AffiliateCommission,
    AffiliatePayout,
    AffiliatePayoutStatus,
    CommissionKind,
    CommissionStatus,
)
from affiliates.payouts.services import fail_payout, make_batch
from affiliates.programs.settings import save_program_settings
from mall.db import utcnow
from mall.extensions import db
from mall.ledger.chain import verify_chain
from mall.ledger.disputes import close_dispute, freeze_share
from mall.ledger.models import (
    Account,
    Dispute,
    DisputeShare,
    LedgerEntry,
    LedgerLine,
    OrderCommission,
)
from mall.ledger.posting import balance
from mall.ledger.subscribers import on_order_paid, on_order_refunded
from mall.money import proportion
from mall.orders.errors import OrderError
from mall.orders.models import Order, OrderRefund
from mall.orders.models import PaymentStatus as OrderPaymentStatus
from mall.orders.refunds import (
    RefundRequest,
    refund_order,
    shipping_paid,
    shipping_refunded,
)
from mall.payments.models import Payment, PaymentStatus
from mall.signals import order_paid, order_refunded
from tenants.context import all_tenants, tenant_context
from tenants.settings import put_setting
from tests.affiliates.test_attribution import click_entry, paid_order
from tests.affiliates.test_payouts import an_affiliate
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


# ---------------------------------------------------------------- with affiliates

affiliate_operations = st.lists(
    st.one_of(
        st.tuples(st.just("sell"), st.integers(0, 1), st.integers(0, 1)),
        st.tuples(st.just("approve"), st.just(0), st.just(0)),
        st.tuples(st.just("units"), st.integers(0, 20), st.just(1)),
        st.tuples(st.just("all"), st.integers(0, 20), st.just(0)),
        st.tuples(st.just("lost"), st.integers(0, 20), st.just(0)),
        st.tuples(st.just("payout"), st.just(0), st.just(0)),
        st.tuples(st.just("fail"), st.just(0), st.just(0)),
        st.tuples(st.just("replay"), st.integers(0, 20), st.just(0)),
    ),
    min_size=1,
    max_size=8,
)


@pytest.fixture
def program(app_ctx, make_user, shop_a, shop_b):
    """Two shops and two payable affiliates, the second recruited by the first (tier 2 on,
    every balance payable): the people and shops of the affiliate sequences."""

    put_setting("commission.default_bp", 1234)
    save_program_settings({"tier2_enabled": True, "tier2_bp": 1000, "min_payout": 1}, actor_id=None)
    recruiter = an_affiliate(make_user, f"R{uuid4().hex[:8].upper()}")
    recruit = an_affiliate(make_user, f"S{uuid4().hex[:8].upper()}")
    recruit.recruited_by_id = recruiter.id
    db.session.commit()
    return [shop_a, shop_b], [recruiter, recruit]


def _affiliate_orders(shops) -> list[Order]:
    with all_tenants("test: the affiliate sequence's orders"):
        return list(
            db.session.scalars(
                sa.select(Order)
                .where(Order.tenant_id.in_([shop.id for shop in shops]))
                .order_by(Order.placed_at, Order.number)
            )
        )


def _lose_dispute(order: Order) -> None:
    """A chargeback of the whole order, opened and lost (as the ledger does it)."""
    disputed = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(DisputeShare)
        .where(DisputeShare.order_id == order.id)
    )
    if disputed or order.total - order.refunded_amount <= 0:
        return  # one chargeback per payment; nothing left to take
    payment = Payment(
        checkout_id=order.checkout_id,
        provider="stripe",
        status=PaymentStatus.SUCCEEDED,
        amount=order.total,
        currency=order.currency,
    )
    db.session.add(payment)
    db.session.flush()
    dispute = Dispute(
        provider_ref=f"du_{uuid4().hex[:16]}",
        checkout_id=order.checkout_id,
        payment_id=payment.id,
        amount=order.total - order.refunded_amount,
    )
    db.session.add(dispute)
    db.session.flush()
    freeze_share(dispute, order, dispute.amount)
    close_dispute(dispute, won=False)


def _apply_affiliate(shops, people, op) -> None:

    kind, index, value = op
    if kind == "sell":
        paid_order(shops[index], referral=[click_entry(people[value], days_ago=1)])
        return
    if kind == "approve":
        while approve_due(now=utcnow() + timedelta(days=400)).more:
            pass
    elif kind == "payout":
        try:
            with db.session.begin_nested():
                make_batch(batch_key=uuid4().hex, actor_id=None)
        except AffiliateError:
            pass  # nobody payable: no batch
    elif kind == "fail":
        newest = db.session.scalar(
            sa.select(AffiliatePayout)
            .where(AffiliatePayout.status != AffiliatePayoutStatus.FAILED)
            .order_by(AffiliatePayout.created_at.desc(), AffiliatePayout.id.desc())
            .limit(1)
        )
        if newest is not None:
            fail_payout(newest, reason="bounced", actor_id=None)
    else:
        orders = _affiliate_orders(shops)
        if not orders:
            return
        order = orders[index % len(orders)]
        with tenant_context(order.tenant_id):
            if kind == "replay":
                order_paid.send(order)
                for refund in db.session.scalars(
                    sa.select(OrderRefund).where(OrderRefund.order_id == order.id)
                ):
                    order_refunded.send(order, refund_id=refund.id, full=False)
            elif kind == "lost":
                _lose_dispute(order)
            else:
                line = order.lines[0]
                request = (
                    RefundRequest(quantities={line.id: value})
                    if kind == "units"
                    else RefundRequest(
                        quantities={line.id: line.quantity - line.quantity_refunded},
                        shipping=shipping_paid(order) - shipping_refunded(order),
                    )
                )
                try:
                    with db.session.begin_nested():
                        refund_order(order, request, actor_id=None, key=uuid4().hex)
                except OrderError:
                    pass  # refused (nothing left to refund): nothing changed
    db.session.commit()


def _assert_affiliate_ledger(shops, people) -> None:

    with all_tenants("test: every commission of the sequence"):
        rows = list(db.session.scalars(sa.select(AffiliateCommission)))
    for person in people:
        mine = [row for row in rows if row.affiliate_id == person.id]

        def rows_in(status, mine=mine) -> int:
            return sum(row.amount for row in mine if row.status is status)

        in_transit = db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(AffiliatePayout.amount), 0)).where(
                AffiliatePayout.affiliate_id == person.id,
                AffiliatePayout.status == AffiliatePayoutStatus.IN_TRANSIT,
            )
        )
        owed = {
            account: -balance(account, affiliate_id=person.id)
            for account in (
                Account.AFFILIATE_PENDING,
                Account.AFFILIATE_AVAILABLE,
                Account.AFFILIATE_IN_TRANSIT,
            )
        }
        assert owed == {
            Account.AFFILIATE_PENDING: rows_in(CommissionStatus.PENDING),
            Account.AFFILIATE_AVAILABLE: rows_in(CommissionStatus.APPROVED),
            Account.AFFILIATE_IN_TRANSIT: int(in_transit),
        }
    _assert_taken_back(rows)
    for shop in shops:  # what the shop paid its affiliates: the rows' amounts, net of clawbacks
        paid = db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(LedgerLine.amount), 0)).where(
                LedgerLine.shop_id == shop.id,
                LedgerLine.kind.in_(("affiliate_commission", "affiliate_reversal")),
            )
        )
        assert int(paid) == sum(row.amount for row in rows if row.tenant_id == shop.id)


def _assert_taken_back(rows) -> None:
    """What refunds, cancellations and lost disputes took from each sale commission (reduced
    before payout, clawed back after) is exactly the order's refunded share: never twice."""
    sales = [row for row in rows if row.kind is CommissionKind.SALE]
    for row in sales:
        clawed = -sum(
            other.amount
            for other in rows
            if other.kind is CommissionKind.CLAWBACK and other.clawback_of_id == row.id
        )
        tier1 = next(one for one in sales if one.order_id == row.order_id and one.tier == 1)
        with tenant_context(row.tenant_id):
            order = db.session.get(Order, (row.tenant_id, row.order_id))
            lost = db.session.scalar(
                sa.select(sa.func.count())
                .select_from(DisputeShare)
                .where(DisputeShare.order_id == order.id)
            )
            full = lost or order.payment_status is OrderPaymentStatus.REFUNDED
            expected = (
                row.original_amount
                if full
                else proportion(row.original_amount, refunded_base(order, tier1), tier1.base)
            )
        assert (row.original_amount - row.amount) + clawed == expected, (order.number, row.tier)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=affiliate_operations)
@example(  # every event at least once: two tiers, payout, clawback, dispute, failure
    ops=[
        ("sell", 0, 1),
        ("sell", 1, 0),
        ("approve", 0, 0),
        ("payout", 0, 0),
        ("units", 0, 1),
        ("lost", 1, 0),
        ("fail", 0, 0),
        ("sell", 0, 1),
        ("all", 2, 0),
        ("replay", 0, 0),
        ("approve", 0, 0),
        ("payout", 0, 0),
    ]
)
def test_every_affiliate_sequence_balances_and_matches_the_commissions(program, ops):
    shops, people = program
    for op in ops:
        _apply_affiliate(shops, people, op)
    unbalanced = db.session.execute(
        sa.select(LedgerLine.entry_id)
        .group_by(LedgerLine.entry_id)
        .having(sa.func.sum(LedgerLine.amount) != 0)
    ).all()
    assert unbalanced == []
    keys = db.session.scalars(sa.select(LedgerEntry.idempotency_key)).all()
    assert len(keys) == len(set(keys))
    _assert_affiliate_ledger(shops, people)
    found = verify_chain()
    assert found.ok, found.message
