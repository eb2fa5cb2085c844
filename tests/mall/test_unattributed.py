"""Refunds made on Stripe's dashboard that no single order can take: queued, held, assigned once."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mall.extensions import db
from mall.ledger.chain import verify_chain
from mall.ledger.models import Account, EntryKind, LedgerEntry, LedgerLine, UnattributedRefund
from mall.orders.models import OrderRefund, RefundSource
from tenants.context import all_tenants
from tenants.models import AuditEvent
from tests.support import stripe_checkout as stripe
from tests.support.money import account_total, shop_owed
from tests.support.stripe_checkout import pay_with_stripe, send_event
from tests.support.stripe_stub import StripeStub

stub_server = stripe.stub_server
stripe_on = stripe.stripe_on
shops = stripe.three_shops
paid = stripe.paid_by_card


def dashboard_refund(client, paid, amount: int, ref: str = "re_dash_1", event_id: str = "evt_r1"):
    refund = {
        "id": ref,
        "object": "refund",
        "amount": amount,
        "status": "succeeded",
        "payment_intent": paid.intent,
    }
    send_event(client, "refund.created", refund, event_id=event_id)


def queued() -> list[UnattributedRefund]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(UnattributedRefund)))


def order_refunds() -> list[OrderRefund]:
    with all_tenants("test: every order refund"):
        return list(db.session.scalars(sa.select(OrderRefund)))


@pytest.fixture
def as_operator(client, operator, sign_in):
    sign_in(operator)
    return operator


def test_a_refund_no_order_can_take_is_queued_once_and_held(client, stripe_on, paid):
    owed = {order.tenant_id: shop_owed(order.tenant_id) for order in paid.orders}
    total = sum(order.total for order in paid.orders)
    for event_id in ("evt_r1", "evt_r1", "evt_r2"):  # replayed, then delivered again
        dashboard_refund(client, paid, 1000, event_id=event_id)
    (row,) = queued()
    assert row.amount == 1000 and row.checkout_id == paid.checkout_id
    assert row.assigned_at is None
    assert account_total(Account.UNATTRIBUTED) == 1000
    assert account_total(Account.PROCESSOR) == total - StripeStub.fee_for(total) - 1000
    # No order was touched and no shop was charged: the refund waits for the operator.
    assert order_refunds() == []
    assert {shop_id: shop_owed(shop_id) for shop_id in owed} == owed
    assert verify_chain().ok


def test_the_queue_page_shows_orders_and_amounts_without_personal_data(
    client, stripe_on, paid, as_operator
):
    dashboard_refund(client, paid, 1000)
    page = client.get("/admin/money/unattributed").get_data(as_text=True)
    assert "re_dash_1" in page and "$10.00" in page
    for order in paid.reload().orders:
        assert order.number in page
    for personal in ("Ada", "Lovelace", "ada@example.com", "Marylebone"):
        assert personal not in page


def test_assigning_to_one_order_posts_once_and_the_ledger_balances(
    client, stripe_on, paid, shops, as_operator
):
    dashboard_refund(client, paid, 1000)
    (row,) = queued()
    acme = paid.reload().order_of(shops[0].shop)
    order_id, shop_id = acme.id, acme.tenant_id
    processor = account_total(Account.PROCESSOR)
    owed = shop_owed(shop_id)
    path = f"/admin/money/unattributed/{row.id}"
    assert client.get(path).status_code == 200
    for _ in range(2):
        response = client.post(path, data={f"part-{order_id.hex}": "10.00"})
        assert response.status_code == 303
    (row,) = queued()
    assert row.assigned_at is not None and row.assigned_order_id == order_id
    (refund,) = order_refunds()
    assert refund.amount == 1000 and refund.source is RefundSource.PROVIDER
    assert refund.payment_refund_id == row.payment_refund_id
    assert account_total(Account.UNATTRIBUTED) == 0
    assert account_total(Account.PROCESSOR) == processor  # the processor's side was posted before
    assert shop_owed(shop_id) < owed  # the shop bears its refund (less commission back)
    (entry,) = db.session.scalars(
        sa.select(LedgerEntry).where(LedgerEntry.kind == EntryKind.REFUND)
    ).all()
    accounts = {line.account for line in entry.lines}
    assert Account.UNATTRIBUTED in accounts and Account.PROCESSOR not in accounts
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "refund.assigned")
        )
        == 1
    )
    assert client.get("/admin/money/unattributed").get_data(as_text=True).count("re_dash_1") == 0
    assert verify_chain().ok


def test_a_full_dashboard_refund_is_split_over_the_orders(client, stripe_on, paid, as_operator):
    total = sum(order.total for order in paid.reload().orders)
    dashboard_refund(client, paid, total)
    (row,) = queued()
    page = client.get(f"/admin/money/unattributed/{row.id}").get_data(as_text=True)
    for order in paid.reload().orders:  # the suggested split: what is left on each
        assert f'value="{order.total / 100:.2f}"' in page
    parts = {f"part-{order.id.hex}": f"{order.total / 100:.2f}" for order in paid.orders}
    shop_ids = [order.tenant_id for order in paid.orders]
    assert client.post(f"/admin/money/unattributed/{row.id}", data=parts).status_code == 303
    assert len(order_refunds()) == 3
    paid.reload()
    assert all(order.refunded_amount == order.total for order in paid.orders)
    assert account_total(Account.UNATTRIBUTED) == 0
    assert account_total(Account.PROCESSOR) == -StripeStub.fee_for(total)  # Stripe kept it
    assert all(shop_owed(shop_id) == 0 for shop_id in shop_ids)
    assert account_total(Account.COMMISSION) == 0
    assert verify_chain().ok


def test_a_wrong_split_is_refused_with_a_message(client, stripe_on, paid, shops, as_operator):
    dashboard_refund(client, paid, 1000)
    (row,) = queued()
    paid.reload()
    acme, bolt = paid.order_of(shops[0].shop).id.hex, paid.order_of(shops[1].shop).id.hex
    path = f"/admin/money/unattributed/{row.id}"
    short = client.post(path, data={f"part-{acme}": "4.00", f"part-{bolt}": "5.00"})
    assert short.status_code == 422
    assert "must add up to the refund" in short.get_data(as_text=True)
    too_much = client.post(path, data={f"part-{acme}": "16.00"})
    assert too_much.status_code == 422
    assert "left to refund" in too_much.get_data(as_text=True)
    bad = client.post(path, data={f"part-{acme}": "ten"})
    assert bad.status_code == 422
    assert queued()[0].assigned_at is None
    assert order_refunds() == []
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(LedgerLine)
            .where(LedgerLine.kind == "refund_attributed")
        )
        == 0
    )


def test_only_operators_see_the_queue(client, stripe_on, paid, member_of_a):
    dashboard_refund(client, paid, 1000)
    (row,) = queued()
    assert client.get("/admin/money/unattributed").status_code == 403
    assert client.post(f"/admin/money/unattributed/{row.id}", data={}).status_code == 403


def test_the_queue_costs_the_same_whatever_its_length(
    client, stripe_on, shops, as_operator, count_queries
):
    counts = []
    for n in range(3):
        paid = pay_with_stripe(client, stripe_on, *[(stocked.variant_id, 1) for stocked in shops])
        dashboard_refund(client, paid, 1000, ref=f"re_{n}", event_id=f"evt_{n}")
        with count_queries() as q:
            assert client.get("/admin/money/unattributed").status_code == 200
        counts.append(q.count)
    assert counts[0] == counts[-1]
