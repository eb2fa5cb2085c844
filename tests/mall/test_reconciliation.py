"""The daily reconciliation: the ledger's processor side per checkout against the payment records;
a difference is listed for the operator, never corrected."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mall.extensions import db
from mall.ledger.chain import verify_chain
from mall.ledger.models import LedgerEntry, ReconciliationDifference, ReconciliationRun
from mall.ledger.reconciliation import reconcile
from mall.orders.refunds import RefundRequest, refund_order
from mall.payments.models import PaymentRefund
from mall.schedule import periodic_jobs
from tenants.context import tenant_context
from tests.support import stripe_checkout as stripe
from tests.support.money import buy
from tests.support.shopping import accept_manual_payments, stock_shop
from tests.support.stripe_checkout import pay_with_stripe, send_event

stub_server = stripe.stub_server
stripe_on = stripe.stripe_on


@pytest.fixture
def shops(make_shop):
    return [
        stock_shop(make_shop("acme", name="Acme"), price=1000, quantity=10, shipping=500),
        stock_shop(make_shop("bolt", name="Bolt"), price=2500, quantity=10, shipping=700),
    ]


def entry_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry))


def test_matching_records_give_no_difference(client, stripe_on, shops):
    acme, bolt = shops
    paid = pay_with_stripe(client, stripe_on, (acme.variant_id, 1), (bolt.variant_id, 2))
    with tenant_context(acme.shop_id):  # a refund through Mall: both sides record it
        refund_order(paid.order_of(acme.shop), RefundRequest(amount=400), actor_id=None, key="r")
    db.session.commit()
    buy(client, (acme.variant_id, 1))  # the test provider
    accept_manual_payments(bolt.shop)
    buy(client, (bolt.variant_id, 1), method="bank_transfer")  # no processor side at all
    run = reconcile()
    assert run.checkouts == 2
    assert run.differences == 0
    assert verify_chain().ok


def test_a_difference_is_listed_and_never_corrected(client, stripe_on, shops, operator, sign_in):
    acme, _ = shops
    paid = pay_with_stripe(client, stripe_on, (acme.variant_id, 2))
    with tenant_context(acme.shop_id):
        made, _ = refund_order(
            paid.order_of(acme.shop), RefundRequest(amount=700), actor_id=None, key="r"
        )
        refund_id = made.payment_refund_id
    db.session.commit()
    provider_ref = db.session.get(PaymentRefund, refund_id).provider_ref
    failed = dict(stripe_on.refunds[provider_ref], status="failed")
    send_event(client, "refund.updated", failed, event_id="evt_refund_failed")  # Stripe gave up
    before = entry_count()

    for _ in range(2):  # every run lists it again: nothing was corrected in between
        run = reconcile()
        db.session.commit()
        assert run.differences == 1
        (difference,) = db.session.scalars(
            sa.select(ReconciliationDifference).where(ReconciliationDifference.run_id == run.id)
        ).all()
        assert difference.checkout_id == paid.checkout_id
        assert difference.kind == "refund"
        assert (difference.ledger_amount, difference.provider_amount) == (-700, 0)
    assert entry_count() == before
    assert verify_chain().ok

    sign_in(operator)
    page = client.get("/admin/money/reconciliation").get_data(as_text=True)
    assert str(paid.checkout_id) in page and "-$7.00" in page and "1 difference" in page


def test_the_operator_runs_it_now_and_it_runs_daily(
    app, client, stripe_on, shops, operator, sign_in
):
    assert ("mall.ledger.reconciliation:reconcile_daily", 24 * 3600) in [
        (job.ref, job.interval) for job in periodic_jobs(app)
    ]
    acme, _ = shops
    pay_with_stripe(client, stripe_on, (acme.variant_id, 1))
    sign_in(operator)
    assert "No reconciliation has run yet" in client.get("/admin/money/reconciliation").get_data(
        as_text=True
    )
    assert client.post("/admin/money/reconciliation/run").status_code == 303
    db.session.expire_all()
    (run,) = db.session.scalars(sa.select(ReconciliationRun)).all()
    assert run.checkouts == 1 and run.differences == 0
    assert "0 differences" in client.get("/admin/money/reconciliation").get_data(as_text=True)


def test_only_operators_see_or_run_it(client, stripe_on, member_of_a):
    assert client.get("/admin/money/reconciliation").status_code == 403
    assert client.post("/admin/money/reconciliation/run").status_code == 403
