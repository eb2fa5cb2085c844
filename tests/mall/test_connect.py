"""Shops' Stripe Connect accounts: set on the shop's payout page, kept fresh by the Connect
webhook (its own secret, each event once, stale ones ignored) and by polling; a shop that
cannot receive transfers is "payable — blocked" and is paid once unblocked."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from mall.extensions import db
from mall.jobs import run_job
from mall.ledger.connect import Route, account_of, payout_state
from mall.ledger.models import Account, PayoutAccount
from mall.ledger.payouts import run_payouts
from mall.payments.models import PaymentEvent
from mall.shops.models import Membership, Role
from tenants.settings import put_setting
from tests.support import stripe_checkout as stripe
from tests.support.payouts import (
    assert_ledger_invariant,
    connect,
    owed,
    pay_by_card,
    release_later,
    ship_all,
)
from tests.support.shopping import stock_shop
from tests.support.stripe_checkout import CONNECT_WEBHOOK, connect_event, webhook

stub_server = stripe.stub_server
stripe_on = stripe.stripe_on
ACCT = "acct_1BlockedShop01"
PAGE = "/shop/shop-a/admin/payouts"


@pytest.fixture
def owner(shop_a, make_user, sign_in):
    user = make_user("owner-a@example.com", name="Owner A")
    db.session.add(Membership(user_id=user.id, tenant_id=shop_a.id, role=Role.OWNER))
    db.session.commit()
    sign_in(user)
    return user


def state_of(shop_id):
    db.session.expire_all()
    return payout_state(account_of(shop_id))


def test_the_shop_connects_its_account_on_its_payout_page(client, shop_a, owner, stripe_on):
    stripe_on.account(ACCT)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "manual payouts" in page.get_data(as_text=True)
    answer = client.post(PAGE, data={"stripe_account_id": ACCT})
    assert answer.status_code == 303
    # The job after the commit asked Stripe about the account.
    assert [r.path for r in stripe_on.requests] == [f"/v1/accounts/{ACCT}"]
    assert state_of(shop_a.id).route is Route.STRIPE
    page = client.get(PAGE).get_data(as_text=True)
    assert ACCT in page and "By transfers to your Stripe account" in page
    # Saving the same again changes nothing and asks Stripe nothing.
    client.post(PAGE, data={"stripe_account_id": ACCT})
    assert len(stripe_on.requests) == 1
    assert account_of(shop_a.id).stripe_account_id == ACCT


def test_a_malformed_or_taken_account_id_is_refused(client, shop_a, shop_b, owner, stripe_on):
    answer = client.post(PAGE, data={"stripe_account_id": "javascript:alert(1)"})
    assert answer.status_code == 400
    assert "looks like acct_" in answer.get_data(as_text=True)
    connect(shop_b, stripe_on, ACCT)
    answer = client.post(PAGE, data={"stripe_account_id": ACCT})
    assert answer.status_code == 409
    assert "another shop" in answer.get_data(as_text=True)
    assert account_of(shop_a.id) is None or account_of(shop_a.id).stripe_account_id is None


def test_account_updated_events_are_verified_applied_once_and_never_go_back(
    client, shop_a, stripe_on
):
    connect(shop_a, stripe_on, ACCT, transfers="inactive", currently_due=("external_account",))
    assert state_of(shop_a.id).route is Route.BLOCKED
    enabled = stripe_on.account(ACCT)
    forged = client.post(
        CONNECT_WEBHOOK,
        data=b"{}",
        headers={"Stripe-Signature": "t=1,v1=bad"},
        content_type="application/json",
    )
    assert forged.status_code == 400
    # Signed with the platform's webhook secret, not the Connect one: refused.
    wrong = webhook(client, "account.updated", enabled, event_id="evt_x", path=CONNECT_WEBHOOK)
    assert wrong.status_code == 400
    assert state_of(shop_a.id).route is Route.BLOCKED
    for _ in range(2):
        assert connect_event(client, enabled, event_id="evt_enabled").status_code == 200
    assert state_of(shop_a.id).route is Route.STRIPE
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(PaymentEvent)
            .where(PaymentEvent.event_id == "evt_enabled")
        )
        == 1
    )
    # An older event arriving late does not undo what is known.
    old = stripe_on.account(ACCT, transfers="inactive")
    answer = connect_event(client, old, event_id="evt_old", created=int(time.time()) - 3600)
    assert answer.get_json()["outcome"] == "stale"
    assert state_of(shop_a.id).route is Route.STRIPE


def test_polling_keeps_accounts_fresh(client, shop_a, stripe_on):
    connect(shop_a, stripe_on, ACCT)
    assert state_of(shop_a.id).route is Route.STRIPE
    stripe_on.account(ACCT, transfers="pending", disabled_reason="requirements.past_due")
    assert run_job("mall.ledger.jobs:sync_connect_accounts", None) == 1
    state = state_of(shop_a.id)
    assert state.route is Route.BLOCKED
    assert any("requirements.past_due" in reason for reason in state.reasons)


def test_a_blocked_account_accrues_payable_blocked_and_is_paid_once_unblocked(
    app_ctx, client, make_shop, shop_a, owner, stripe_on
):
    put_setting("commission.default_bp", 1000)
    stocked = stock_shop(shop_a, price=2000, quantity=5)
    connect(shop_a, stripe_on, ACCT, transfers="inactive", currently_due=("individual.id_number",))
    (order,) = pay_by_card(client, stripe_on, (stocked.variant_id, 1))
    ship_all(order)
    release_later()
    available = owed(shop_a.id, Account.SHOP_AVAILABLE)
    assert available > 0
    assert run_payouts().skipped == {"blocked": 1}
    db.session.commit()
    assert not stripe_on.posts("/v1/transfers")
    page = client.get(PAGE).get_data(as_text=True)
    assert "Payable — blocked" in page and "individual.id_number" in page
    assert connect_event(client, stripe_on.account(ACCT), event_id="evt_ok").status_code == 200
    assert run_payouts().stripe == 1
    db.session.commit()
    (sent,) = stripe_on.posts("/v1/transfers")
    assert int(sent.params["amount"]) == available
    assert owed(shop_a.id, Account.SHOP_AVAILABLE) == 0
    assert_ledger_invariant()


def test_removing_the_account_means_manual_payouts(client, shop_a, owner, stripe_on):
    connect(shop_a, stripe_on, ACCT)
    assert client.post(PAGE, data={"stripe_account_id": ""}).status_code == 303
    assert state_of(shop_a.id).route is Route.MANUAL
    row = db.session.scalar(sa.select(PayoutAccount).where(PayoutAccount.shop_id == shop_a.id))
    assert row.stripe_account_id is None and row.synced_at is None


def test_the_payout_page_opens_when_the_operator_saved_controls_first(
    client, shop_a, owner, stripe_on
):
    from mall.ledger.payouts import set_shop_controls

    # The operator saves the shop's reserve and hold (even empty): a row with no Stripe id.
    set_shop_controls(
        shop_a, reserve_bp=0, reserve_days=0, held=False, hold_reason="", actor_id=None
    )
    db.session.commit()
    assert account_of(shop_a.id).stripe_account_id is None
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "manual payouts" in page.get_data(as_text=True)


def test_the_payout_page_opens_after_the_owner_clears_the_account(client, shop_a, owner, stripe_on):
    from mall.ledger.payout_forms import ConnectAccountForm

    stripe_on.account(ACCT)
    assert client.post(PAGE, data={"stripe_account_id": ACCT}).status_code == 303
    assert client.post(PAGE, data={"stripe_account_id": "  "}).status_code == 303
    assert account_of(shop_a.id).stripe_account_id is None
    page = client.get(PAGE)
    assert page.status_code == 200
    assert 'value=""' in page.get_data(as_text=True) or ACCT not in page.get_data(as_text=True)
    # Built with a None column, the form's filters leave it alone.
    with client.application.test_request_context():
        form = ConnectAccountForm(formdata=None, stripe_account_id=None)
        assert form.stripe_account_id.data is None
