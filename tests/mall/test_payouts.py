"""Payouts: shops are paid once per released order (Stripe) or per run (manual batch), debts are
netted exactly, returned payouts and reversals give the money back once; shops see only their
own payouts; the operator's pages are the operator's."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mall.extensions import db
from mall.jobs import run_job
from mall.ledger.models import (
    Account,
    BatchStatus,
    PayoutBatch,
    PayoutItem,
    PayoutMethod,
    PayoutStatus,
    TransferReversal,
    UnattributedRefund,
)
from mall.ledger.payouts import (
    export_batch,
    get_payout,
    mark_batch_paid,
    mark_returned,
    run_payouts,
    set_shop_controls,
)
from mall.orders.models import Order
from mall.orders.refunds import RefundRequest, refund_order
from mall.payments.models import Payment, PaymentRefund, RefundStatus
from tenants.context import tenant_context
from tenants.settings import put_setting
from tests.support import payouts as kit
from tests.support.payouts import (
    assert_ledger_invariant,
    connect,
    owed,
    pay_by_card,
    payouts_of,
    release_later,
    ship_all,
    webhook,
)
from tests.support.shopping import stock_shop

ACCT = "acct_1ShopAcmeTest"
stub_server = kit.stub_server
stripe_on = kit.stripe_on


@pytest.fixture
def acme(app_ctx, make_shop, stripe_on):
    """A shop paid by Stripe transfers (its account can receive them), selling at 20.00."""
    put_setting("commission.default_bp", 1000)
    shop = make_shop("acme", name="Acme Tools")
    stocked = stock_shop(shop, price=2000, quantity=20)
    connect(shop, stripe_on, ACCT)
    return shop, stocked


def sell_and_release(client, stub, stocked, quantity: int = 1):
    """A card sale of ``quantity`` units, shipped and past its holding period."""
    (order,) = pay_by_card(client, stub, (stocked.variant_id, quantity))
    ship_all(order)
    release_later()
    return order


def run():
    """A payout run, committed: the transfers are made by jobs after the commit."""
    result = run_payouts()
    db.session.commit()
    return result


def transfers(stub):
    return stub.posts("/v1/transfers")


def test_running_the_payout_job_twice_pays_once(client, acme, stripe_on):
    shop, stocked = acme
    first = sell_and_release(client, stripe_on, stocked, 1)
    second = sell_and_release(client, stripe_on, stocked, 2)
    owed_before = owed(shop.id, Account.SHOP_AVAILABLE)
    assert owed_before > 0
    assert run_job("mall.ledger.jobs:run_payouts", None) == 2
    assert run_job("mall.ledger.jobs:run_payouts", None) == 0
    sent = transfers(stripe_on)
    assert len(sent) == 2  # one per released order, once
    for request, order in zip(sent, (first, second), strict=True):
        assert request.params["destination"] == ACCT
        assert request.params["transfer_group"] == str(order.checkout_id)
        assert request.params["source_transaction"].startswith("ch_test_")
        assert request.idempotency_key
    assert sent[0].params["source_transaction"] != sent[1].params["source_transaction"]
    assert sum(int(r.params["amount"]) for r in sent) == owed_before
    payouts = payouts_of(shop.id)
    assert [p.status for p in payouts] == [PayoutStatus.PAID, PayoutStatus.PAID]
    assert owed(shop.id, Account.SHOP_AVAILABLE) == 0
    assert owed(shop.id, Account.PAYOUTS_IN_TRANSIT) == 0
    # A send job run again for a paid payout asks Stripe nothing.
    assert run_job("mall.ledger.jobs:send_payout", str(shop.id), str(payouts[0].id)) is False
    assert len(transfers(stripe_on)) == 2
    assert_ledger_invariant()


def test_a_retried_transfer_reuses_its_idempotency_key(client, acme, stripe_on):
    shop, stocked = acme
    sell_and_release(client, stripe_on, stocked)
    run()
    (payout,) = payouts_of(shop.id)
    (sent,) = transfers(stripe_on)
    with tenant_context(shop):
        item = db.session.scalar(sa.select(PayoutItem).where(PayoutItem.payout_id == payout.id))
    assert sent.idempotency_key == f"mall-payout-item-{item.id.hex}-transfer"
    assert item.stripe_transfer_id in stripe_on.transfers
    assert item.source_transaction == sent.params["source_transaction"]


def test_a_balance_below_the_minimum_waits(client, acme, stripe_on):
    _shop, stocked = acme
    put_setting("payouts.minimum", 100_000)
    db.session.commit()
    sell_and_release(client, stripe_on, stocked)
    result = run()
    assert result.payouts == 0
    assert not transfers(stripe_on)
    put_setting("payouts.minimum", 1000)
    db.session.commit()
    assert run().stripe == 1


def test_a_held_shop_is_paid_once_the_hold_ends(client, acme, stripe_on):
    shop, stocked = acme
    sell_and_release(client, stripe_on, stocked)
    set_shop_controls(
        shop, reserve_bp=0, reserve_days=0, held=True, hold_reason="Checking", actor_id=None
    )
    db.session.commit()
    assert run().skipped == {"held": 1}
    set_shop_controls(shop, reserve_bp=0, reserve_days=0, held=False, hold_reason="", actor_id=None)
    db.session.commit()
    assert run().stripe == 1
    assert len(transfers(stripe_on)) == 1


def refund_units(order, units: int = 1, key: str = "r1"):
    with tenant_context(order.tenant_id):
        found = db.session.get(Order, (order.tenant_id, order.id))
        line = found.lines[0]
        refund, _ = refund_order(
            found, RefundRequest(quantities={line.id: units}), actor_id=None, key=key
        )
        refund_amount = refund.amount
    db.session.commit()  # the reversal job runs now (inline)
    return refund_amount


def test_a_refund_after_payout_takes_the_money_back_from_the_transfer(client, acme, stripe_on):
    shop, stocked = acme
    order = sell_and_release(client, stripe_on, stocked, 2)
    run()
    refund_units(order)
    (asked,) = [r for r in stripe_on.requests if r.path.endswith("/reversals")]
    assert int(asked.params["amount"]) > 0
    with tenant_context(shop):
        (reversal,) = db.session.scalars(sa.select(TransferReversal)).all()
        assert reversal.succeeded and reversal.stripe_reversal_id
    assert owed(shop.id, Account.SHOP_AVAILABLE) == 0  # taken back: no debt left
    assert_ledger_invariant()


def test_a_refused_reversal_leaves_a_debt_the_next_transfer_nets_exactly(client, acme, stripe_on):
    shop, stocked = acme
    first = sell_and_release(client, stripe_on, stocked, 2)
    run()
    stripe_on.refuse_reversals = True
    refund_units(first)
    with tenant_context(shop):
        (reversal,) = db.session.scalars(sa.select(TransferReversal)).all()
        assert not reversal.succeeded and "Insufficient" in reversal.failure
    debt = -owed(shop.id, Account.SHOP_AVAILABLE)
    assert debt == 1800  # 20.00 refunded, less the 10 % commission given back
    second = sell_and_release(client, stripe_on, stocked, 3)
    earned = owed(shop.id, Account.SHOP_AVAILABLE) + debt  # the second order's part
    assert run().stripe == 1
    last = transfers(stripe_on)[-1]
    assert int(last.params["amount"]) == earned - debt
    assert last.params["transfer_group"] == str(second.checkout_id)
    assert owed(shop.id, Account.SHOP_AVAILABLE) == 0  # the debt is recovered, exactly
    payout = payouts_of(shop.id)[-1]
    with tenant_context(shop):
        items = db.session.scalars(
            sa.select(PayoutItem).where(PayoutItem.payout_id == payout.id)
        ).all()
    assert sorted(item.amount for item in items) == [-debt, earned]
    assert {item.order_id for item in items} == {first.id, second.id}
    assert_ledger_invariant()


def test_a_transfer_reversed_on_stripe_returns_the_payout_once(client, acme, stripe_on):
    shop, stocked = acme
    sell_and_release(client, stripe_on, stocked)
    run()
    (payout,) = payouts_of(shop.id)
    (transfer_id,) = stripe_on.transfers
    transfer = stripe_on.transfers[transfer_id]
    stripe_on._create_reversal(transfer_id, {})  # the whole transfer, on Stripe's dashboard
    for _ in range(2):
        answer = webhook(client, "transfer.reversed", transfer, event_id="evt_reversed_1")
        assert answer.status_code == 200
    answer = webhook(client, "transfer.reversed", transfer, event_id="evt_reversed_2")
    assert answer.status_code == 200
    (payout,) = payouts_of(shop.id)
    assert payout.status is PayoutStatus.FAILED
    assert owed(shop.id, Account.SHOP_AVAILABLE) == payout.amount  # owed again, once
    assert_ledger_invariant()
    assert run().stripe == 1  # and paid again
    assert_ledger_invariant()


def test_a_refused_transfer_fails_the_payout_and_restores_the_balance(client, acme, stripe_on):
    shop, stocked = acme
    order = sell_and_release(client, stripe_on, stocked)
    stripe_on.accounts[ACCT]["capabilities"]["transfers"] = "inactive"  # Mall does not know yet
    available = owed(shop.id, Account.SHOP_AVAILABLE)
    run()
    (payout,) = payouts_of(shop.id)
    assert payout.status is PayoutStatus.FAILED
    assert "transfers capability" in payout.failure_reason
    assert owed(shop.id, Account.SHOP_AVAILABLE) == available
    assert owed(shop.id, Account.PAYOUTS_IN_TRANSIT) == 0
    assert order.id
    assert_ledger_invariant()


def test_an_unassigned_outside_refund_holds_that_checkouts_payout(client, acme, stripe_on):
    shop, stocked = acme
    held = sell_and_release(client, stripe_on, stocked)
    free = sell_and_release(client, stripe_on, stocked)
    payment = db.session.scalar(sa.select(Payment).where(Payment.checkout_id == held.checkout_id))
    refund = PaymentRefund(
        payment_id=payment.id,
        amount=100,
        status=RefundStatus.SUCCEEDED,
        idempotency_key="stripe:re_outside",
        provider_ref="re_outside",
    )
    db.session.add(refund)
    db.session.flush()
    db.session.add(
        UnattributedRefund(
            payment_refund_id=refund.id,
            checkout_id=held.checkout_id,
            amount=100,
            provider_ref="re_outside",
        )
    )
    db.session.commit()
    assert run().stripe == 1
    (sent,) = transfers(stripe_on)
    assert sent.params["transfer_group"] == str(free.checkout_id)
    assert owed(shop.id, Account.SHOP_AVAILABLE) > 0  # the held order's part waits
    assert_ledger_invariant()


# ---------------------------------------------------------------- manual payouts


@pytest.fixture
def bolt(app_ctx, make_shop, stripe_on):
    """A shop without a Stripe account: paid by the mall's manual batches."""
    put_setting("commission.default_bp", 1000)
    shop = make_shop("bolt", name="Bolt & Nut")
    return shop, stock_shop(shop, price=3000, quantity=20)


def test_a_manual_payout_is_batched_exported_and_marked_paid_once(client, bolt, stripe_on):
    shop, stocked = bolt
    sell_and_release(client, stripe_on, stocked)
    available = owed(shop.id, Account.SHOP_AVAILABLE)
    result = run()
    assert result.manual == 1 and run().payouts == 0
    assert not transfers(stripe_on)
    db.session.commit()
    (payout,) = payouts_of(shop.id)
    assert payout.method is PayoutMethod.MANUAL and payout.amount == available
    assert owed(shop.id, Account.PAYOUTS_IN_TRANSIT) == available
    batch = db.session.get(PayoutBatch, payout.batch_id)
    assert export_batch(batch, actor_id=None) and not export_batch(batch, actor_id=None)
    assert mark_batch_paid(batch, actor_id=None) and not mark_batch_paid(batch, actor_id=None)
    db.session.commit()
    assert batch.status is BatchStatus.PAID
    (payout,) = payouts_of(shop.id)
    assert payout.status is PayoutStatus.PAID
    assert owed(shop.id, Account.PAYOUTS_IN_TRANSIT) == 0
    assert owed(shop.id, Account.SHOP_AVAILABLE) == 0
    assert_ledger_invariant()


def test_a_returned_payout_restores_the_balance_once(client, bolt, stripe_on):
    shop, stocked = bolt
    sell_and_release(client, stripe_on, stocked)
    available = owed(shop.id, Account.SHOP_AVAILABLE)
    run()
    (payout,) = payouts_of(shop.id)
    batch = db.session.get(PayoutBatch, payout.batch_id)
    export_batch(batch, actor_id=None)
    mark_batch_paid(batch, actor_id=None)
    db.session.commit()
    with tenant_context(shop):
        found = get_payout(payout.id)
        assert mark_returned(found, reason="Account closed", actor_id=None)
        assert not mark_returned(found, reason="Account closed", actor_id=None)
    db.session.commit()
    (payout,) = payouts_of(shop.id)
    assert payout.status is PayoutStatus.FAILED and payout.failure_reason == "Account closed"
    assert owed(shop.id, Account.SHOP_AVAILABLE) == available
    assert_ledger_invariant()
    # Paid again at the next run, in a new batch.
    assert run().manual == 1
    db.session.commit()
    assert len(payouts_of(shop.id)) == 2
    assert_ledger_invariant()


def test_a_payout_the_bank_never_paid_leaves_the_batch(client, bolt, stripe_on):
    shop, stocked = bolt
    sell_and_release(client, stripe_on, stocked)
    available = owed(shop.id, Account.SHOP_AVAILABLE)
    run()
    (payout,) = payouts_of(shop.id)
    batch = db.session.get(PayoutBatch, payout.batch_id)
    export_batch(batch, actor_id=None)
    with tenant_context(shop):
        assert mark_returned(get_payout(payout.id), reason="Wrong IBAN", actor_id=None)
    db.session.commit()
    db.session.refresh(batch)
    assert batch.total == 0 and batch.payouts_count == 0
    assert owed(shop.id, Account.SHOP_AVAILABLE) == available
    mark_batch_paid(batch, actor_id=None)  # the failed payout stays failed
    db.session.commit()
    (payout,) = payouts_of(shop.id)
    assert payout.status is PayoutStatus.FAILED
    assert_ledger_invariant()


# ---------------------------------------------------------------- planning


def test_debts_are_netted_from_the_oldest_transfers_first():
    from uuid import uuid4

    from mall.ledger.payouts.balances import Part
    from mall.ledger.payouts.run import plan_transfers

    a, b, c, debt = (uuid4() for _ in range(4))
    plans = plan_transfers(
        [
            Part(a, 500, None, 1),
            Part(debt, -700, None, 2),
            Part(b, 900, None, 3),
            Part(c, 50, None, 4),
        ]
    )
    assert [plan.amount for plan in plans] == [0, 700, 50]
    assert [[part.amount for part in plan.parts] for plan in plans] == [
        [500, -500],
        [900, -200],
        [50],
    ]
    assert sum(plan.amount for plan in plans) == 500 - 700 + 900 + 50


def test_a_transfer_the_debt_takes_whole_is_netted_without_asking_stripe(client, acme, stripe_on):
    shop, stocked = acme
    first = sell_and_release(client, stripe_on, stocked, 3)
    run()
    stripe_on.refuse_reversals = True
    refund_units(first, 3)  # everything back: the shop owes the whole part
    debt = -owed(shop.id, Account.SHOP_AVAILABLE)
    assert debt > 0
    put_setting("payouts.minimum", 0)
    db.session.commit()
    sell_and_release(client, stripe_on, stocked, 1)  # 1 x 20.00: less than the debt
    assert run().payouts == 0  # the shop is owed nothing: the debt carries over
    assert owed(shop.id, Account.SHOP_AVAILABLE) < 0
    sell_and_release(client, stripe_on, stocked, 4)
    before = len(transfers(stripe_on))
    result = run()
    assert result.amount > 0
    assert owed(shop.id, Account.SHOP_AVAILABLE) == 0
    netted = [p for p in payouts_of(shop.id) if p.amount == 0]
    assert netted and all(p.status is PayoutStatus.PAID for p in netted)
    assert len(transfers(stripe_on)) == before + result.payouts - len(netted)
    assert_ledger_invariant()


# ---------------------------------------------------------------- pages


@pytest.fixture
def as_operator(app, client, operator, sign_in, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    sign_in(operator)
    return client


@pytest.fixture
def member_of(make_user, sign_in):
    from mall.shops.models import Membership, Role

    def join(shop, role=Role.OWNER):
        user = make_user(f"{role.value}-{shop.slug}@example.com", name="Staff")
        db.session.add(Membership(user_id=user.id, tenant_id=shop.id, role=role))
        db.session.commit()
        sign_in(user)
        return user

    return join


def test_only_operators_reach_the_payout_console(
    app, client, make_user, sign_in, shop_a, monkeypatch
):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    pages = [
        ("GET", "/admin/payouts"),
        ("POST", "/admin/payouts/settings"),
        ("POST", "/admin/payouts/run"),
        ("GET", f"/admin/payouts/shops/{shop_a.id}"),
        ("POST", f"/admin/payouts/shops/{shop_a.id}/controls"),
    ]
    for method, path in pages:
        answer = client.open(path, method=method)
        assert answer.status_code == 302 and "/account/login" in answer.headers["Location"], path
    sign_in(make_user("someone@example.com"))
    for method, path in pages:
        assert client.open(path, method=method).status_code == 403, f"{method} {path}"


def test_a_shop_sees_its_own_payouts_and_never_another_shops(
    client, bolt, stripe_on, make_shop, member_of
):
    shop, stocked = bolt
    other = make_shop("other", name="Other Shop")
    other_stock = stock_shop(other, price=4000, quantity=5)
    sell_and_release(client, stripe_on, stocked)
    sell_and_release(client, stripe_on, other_stock)
    run()
    mine = payouts_of(shop.id)[0].id
    theirs = payouts_of(other.id)[0].id
    member_of(shop)
    page = client.get(f"/shop/bolt/admin/payouts/{mine}")
    assert page.status_code == 200
    assert "Bank transfer by the mall" in page.get_data(as_text=True)
    assert client.get(f"/shop/bolt/admin/payouts/{theirs}").status_code == 404
    assert client.get(f"/shop/other/admin/payouts/{theirs}").status_code in (403, 404)
    assert client.get("/shop/bolt/admin/payouts").status_code == 200


def test_staff_without_rights_cannot_change_payout_settings(client, bolt, member_of):
    from mall.shops.models import Role

    member_of(bolt[0], Role.STAFF)
    assert client.get("/shop/bolt/admin/payouts").status_code == 403
    answer = client.post("/shop/bolt/admin/payouts", data={"stripe_account_id": "acct_1Xxxxxxxx"})
    assert answer.status_code == 403


def test_the_operator_runs_exports_and_pays_a_batch_from_the_pages(as_operator, bolt, stripe_on):
    shop, stocked = bolt
    client = as_operator
    sell_and_release(client, stripe_on, stocked)
    page = client.get("/admin/payouts")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Bolt &amp; Nut" in text and "Run payouts now" in text
    assert "ada@example.com" not in text  # no customer's personal data
    answer = client.post("/admin/payouts/run", follow_redirects=True)
    assert "1 payout(s) made" in answer.get_data(as_text=True)
    (payout,) = payouts_of(shop.id)
    batch_path = f"/admin/payouts/batches/{payout.batch_id}"
    assert "Bank details are not in Mall" in client.get(batch_path).get_data(as_text=True)
    assert client.get(f"{batch_path}/csv").status_code == 303  # export first
    answer = client.post(f"{batch_path}/export")
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/csv")
    csv_text = client.get(f"{batch_path}/csv").get_data(as_text=True)
    header, row = csv_text.strip().splitlines()
    assert header == "shop,shop_address,amount,currency,reference,payout_id"
    assert row.startswith("Bolt & Nut,bolt,") and str(payout.id) in row
    assert client.post(f"{batch_path}/paid").status_code == 303
    again = client.post(f"{batch_path}/paid", follow_redirects=True)
    assert "already" in again.get_data(as_text=True)
    (payout,) = payouts_of(shop.id)
    assert payout.status is PayoutStatus.PAID
    shop_page = client.get(f"/admin/payouts/shops/{shop.id}").get_data(as_text=True)
    assert "Mark returned" in shop_page
    answer = client.post(
        f"/admin/payouts/shops/{shop.id}/payouts/{payout.id}/returned",
        data={"reason": "Account closed"},
        follow_redirects=True,
    )
    assert "the shop is owed it again" in answer.get_data(as_text=True)
    assert owed(shop.id, Account.SHOP_AVAILABLE) == payout.amount
    assert_ledger_invariant()


def test_the_operator_sets_a_reserve_and_a_hold(as_operator, bolt):
    shop, _ = bolt
    path = f"/admin/payouts/shops/{shop.id}/controls"
    bad = as_operator.post(path, data={"reserve_percent": "150", "reserve_days": "10"})
    assert bad.status_code == 400
    no_reason = as_operator.post(path, data={"payouts_held": "y", "hold_reason": ""})
    assert no_reason.status_code == 400
    done = as_operator.post(
        path,
        data={
            "reserve_percent": "12.5",
            "reserve_days": "30",
            "payouts_held": "y",
            "hold_reason": "Many disputes",
        },
    )
    assert done.status_code == 303
    from mall.ledger.connect import account_of

    db.session.expire_all()
    account = account_of(shop.id)
    assert (account.reserve_bp, account.reserve_days, account.payouts_held) == (1250, 30, True)
    assert account.hold_reason == "Many disputes"
    page = as_operator.get(f"/admin/payouts/shops/{shop.id}").get_data(as_text=True)
    assert "held by the mall" in page and "Many disputes" in page


def test_the_operator_changes_the_holding_period_and_the_minimum(as_operator):
    from mall.ledger.payouts import payout_minimum
    from mall.ledger.release import holding_days

    bad = as_operator.post("/admin/payouts/settings", data={"holding_days": "-1", "minimum": "x"})
    assert bad.status_code == 400
    done = as_operator.post("/admin/payouts/settings", data={"holding_days": "14", "minimum": "25"})
    assert done.status_code == 303
    db.session.expire_all()
    assert holding_days() == 14 and payout_minimum() == 2500


def test_the_overview_costs_the_same_queries_for_more_shops(as_operator, make_shop, count_queries):
    make_shop("first", name="First")
    as_operator.get("/admin/payouts")  # warm
    with count_queries() as few:
        assert as_operator.get("/admin/payouts").status_code == 200
    for n in range(6):
        make_shop(f"more-{n}", name=f"More {n}")
    with count_queries() as many:
        assert as_operator.get("/admin/payouts").status_code == 200
    assert many.count == few.count


# ---------------------------------------------------------------- fixes (h6b)


def test_a_payout_never_sent_is_taken_out_of_its_batch_not_marked_returned(client, bolt, stripe_on):
    from mall.ledger.errors import LedgerError
    from mall.ledger.payouts import cancel_payout

    shop, stocked = bolt
    sell_and_release(client, stripe_on, stocked)
    available = owed(shop.id, Account.SHOP_AVAILABLE)
    run()
    (payout,) = payouts_of(shop.id)
    assert payout.status is PayoutStatus.PENDING
    batch = db.session.get(PayoutBatch, payout.batch_id)
    assert (batch.status, batch.total, batch.payouts_count) == (BatchStatus.OPEN, available, 1)
    with tenant_context(shop), pytest.raises(LedgerError, match="never sent"):
        mark_returned(get_payout(payout.id), reason="Bounced", actor_id=None)
    db.session.rollback()
    with tenant_context(shop):
        assert cancel_payout(get_payout(payout.id), actor_id=None)
        assert not cancel_payout(get_payout(payout.id), actor_id=None)  # once
    db.session.commit()
    (payout,) = payouts_of(shop.id)
    assert payout.status is PayoutStatus.CANCELLED
    assert owed(shop.id, Account.SHOP_AVAILABLE) == available
    assert owed(shop.id, Account.PAYOUTS_IN_TRANSIT) == 0
    db.session.refresh(batch)
    assert (batch.total, batch.payouts_count) == (0, 0)
    assert_ledger_invariant()
    # Exported, a batch's payout can no longer be taken out: the bank may pay it.
    assert run().manual == 1
    (_, again) = payouts_of(shop.id)
    export_batch(db.session.get(PayoutBatch, again.batch_id), actor_id=None)
    db.session.commit()
    with tenant_context(shop), pytest.raises(LedgerError, match="exported"):
        cancel_payout(get_payout(again.id), actor_id=None)
    db.session.rollback()
    assert_ledger_invariant()


def test_a_paid_batchs_total_leaves_out_a_payout_returned_after(
    as_operator, bolt, make_shop, stripe_on
):
    from mall.money import format_money

    shop, stocked = bolt
    other = make_shop("other", name="Other Shop")
    sell_and_release(as_operator, stripe_on, stocked)
    sell_and_release(as_operator, stripe_on, stock_shop(other, price=4000, quantity=5))
    run()
    (payout,) = payouts_of(shop.id)
    payout_id, returned_amount, batch_id = payout.id, payout.amount, payout.batch_id
    kept = payouts_of(other.id)[0].amount
    batch = db.session.get(PayoutBatch, batch_id)
    assert batch.total == kept + returned_amount
    export_batch(batch, actor_id=None)
    mark_batch_paid(batch, actor_id=None)
    db.session.commit()
    with tenant_context(shop):
        assert mark_returned(get_payout(payout_id), reason="Account closed", actor_id=None)
    db.session.commit()
    batch = db.session.get(PayoutBatch, batch_id, populate_existing=True)
    assert (batch.total, batch.payouts_count) == (kept, 1)
    page = as_operator.get(f"/admin/payouts/batches/{batch_id}").get_data(as_text=True)
    assert f"{format_money(kept)} <span" in page
    assert "Returned after payment" in page and format_money(returned_amount) in page
    assert format_money(kept + returned_amount) in page  # what left the bank
    assert_ledger_invariant()


def test_the_overview_shows_what_is_payable_and_debts_apart(as_operator, acme, bolt, stripe_on):
    from mall.money import format_money

    shop, stocked = acme
    first = sell_and_release(as_operator, stripe_on, stocked, 2)
    run()
    stripe_on.refuse_reversals = True
    refund_units(first)
    debt = -owed(shop.id, Account.SHOP_AVAILABLE)
    assert debt == 1800
    manual_shop, manual_stock = bolt
    sell_and_release(as_operator, stripe_on, manual_stock)
    payable = owed(manual_shop.id, Account.SHOP_AVAILABLE)
    assert payable > 0
    page = as_operator.get("/admin/payouts").get_data(as_text=True)
    start = page.index('id="payout-totals"')
    totals = page[start : page.index("</dl>", start)]
    assert f'id="total-payable">{format_money(payable)}<' in totals
    assert f'id="total-debts">{format_money(debt)} ' in totals
    assert format_money(payable - debt) not in totals  # not summed together any more
    set_shop_controls(
        manual_shop, reserve_bp=0, reserve_days=0, held=True, hold_reason="Check", actor_id=None
    )
    db.session.commit()
    page = as_operator.get("/admin/payouts").get_data(as_text=True)
    assert f'id="total-payable">{format_money(0)}<' in page
    assert f'id="total-waiting">{format_money(payable)}<' in page


def test_run_payouts_now_releases_what_is_due_first(as_operator, bolt, stripe_on):
    shop, stocked = bolt
    put_setting("ledger.holding_days", 0)
    db.session.commit()
    (order,) = pay_by_card(as_operator, stripe_on, (stocked.variant_id, 1))
    ship_all(order)
    assert owed(shop.id, Account.SHOP_AVAILABLE) == 0  # the hourly job has not run
    pending = owed(shop.id, Account.SHOP_PENDING)
    answer = as_operator.post("/admin/payouts/run", follow_redirects=True)
    text = answer.get_data(as_text=True)
    assert "1 order(s) whose holding period is over released first" in text
    assert "1 payout(s) made" in text
    (payout,) = payouts_of(shop.id)
    assert payout.amount == pending
    assert owed(shop.id, Account.SHOP_PENDING) == 0
    assert owed(shop.id, Account.PAYOUTS_IN_TRANSIT) == pending
    again = as_operator.post("/admin/payouts/run", follow_redirects=True).get_data(as_text=True)
    assert "released first" not in again and len(payouts_of(shop.id)) == 1
    assert_ledger_invariant()


def test_mark_returned_with_a_bad_reason_is_refused_with_the_text_kept(
    as_operator, bolt, stripe_on
):
    shop, stocked = bolt
    sell_and_release(as_operator, stripe_on, stocked)
    run()
    (payout,) = payouts_of(shop.id)
    path = f"/admin/payouts/shops/{shop.id}/payouts/{payout.id}/returned"
    # Never sent: refused, with what to do instead.
    refused = as_operator.post(path, data={"reason": "Bounced"})
    assert refused.status_code == 409
    text = refused.get_data(as_text=True)
    assert "never sent" in text and "Take PO-" in text
    export_batch(db.session.get(PayoutBatch, payout.batch_id), actor_id=None)
    db.session.commit()
    empty = as_operator.post(path, data={"reason": "   "})
    assert empty.status_code == 400
    assert "Say what the bank said about the payout." in empty.get_data(as_text=True)
    typed = "The bank said: " + "x" * 300
    long = as_operator.post(path, data={"reason": typed})
    assert long.status_code == 400
    text = long.get_data(as_text=True)
    assert "at most 300 characters" in text
    assert f'value="{typed}"' in text  # what the operator typed is kept
    (payout,) = payouts_of(shop.id)
    assert payout.status is PayoutStatus.SENT
    done = as_operator.post(path, data={"reason": "Wrong IBAN"})
    assert done.status_code == 303
    (payout,) = payouts_of(shop.id)
    assert payout.status is PayoutStatus.FAILED and payout.failure_reason == "Wrong IBAN"
    assert_ledger_invariant()


def test_the_operator_takes_a_payout_out_of_the_open_batch_from_the_page(
    as_operator, bolt, stripe_on
):
    shop, stocked = bolt
    sell_and_release(as_operator, stripe_on, stocked)
    available = owed(shop.id, Account.SHOP_AVAILABLE)
    run()
    (payout,) = payouts_of(shop.id)
    page = as_operator.get(f"/admin/payouts/shops/{shop.id}").get_data(as_text=True)
    assert "Take out of the batch" in page and "Mark returned" not in page
    path = f"/admin/payouts/shops/{shop.id}/payouts/{payout.id}/cancel"
    answer = as_operator.post(path, follow_redirects=True)
    assert "taken out of its batch" in answer.get_data(as_text=True)
    again = as_operator.post(path, follow_redirects=True)
    assert "already" in again.get_data(as_text=True)
    assert owed(shop.id, Account.SHOP_AVAILABLE) == available
    (payout,) = payouts_of(shop.id)
    assert payout.status is PayoutStatus.CANCELLED
    assert_ledger_invariant()
