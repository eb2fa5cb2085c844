"""Affiliate payouts through the operator's pages: who is payable, "Make a payout batch" (once
per form, whatever the clicks), the PayPal CSV download, "Mark the PayPal payouts paid" and a
payout's "failed"; everyone but an operator refused."""

from __future__ import annotations

import re
from uuid import uuid4

import pytest
import sqlalchemy as sa

from affiliates.models import AffiliatePayout, AffiliatePayoutBatch, AffiliatePayoutStatus
from mall.extensions import db
from tenants.settings import put_setting
from tests.affiliates.test_payouts import an_affiliate, available, earn, stripe_on, stub_server

__all__ = ["stripe_on", "stub_server"]  # fixtures

BASE = "/admin/affiliates/payouts/"


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def text(response) -> str:
    return response.get_data(as_text=True)


def batches() -> list[AffiliatePayoutBatch]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AffiliatePayoutBatch)))


def test_only_operators_reach_the_payout_pages(client, make_user, sign_in, shop_a, no_csrf):
    put_setting("affiliates.min_payout", 1000)
    ada = an_affiliate(make_user, "ADA-P1")
    earn(shop_a, ada, 2000)
    batch_id, payout_id = uuid4(), uuid4()
    paths = [
        ("get", BASE),
        ("post", BASE),
        ("get", f"{BASE}batches/{batch_id}"),
        ("get", f"{BASE}batches/{batch_id}/paypal.csv"),
        ("post", f"{BASE}batches/{batch_id}/paid"),
        ("post", f"{BASE}{payout_id}/failed"),
        ("post", f"{BASE}{payout_id}/paid"),
    ]
    for method, path in paths:
        assert getattr(client, method)(path).status_code == 302  # sign in first
    sign_in(make_user())
    for method, path in paths:
        response = getattr(client, method)(path, data={"batch_key": "abc", "reason": "x"})
        assert response.status_code == 403
    assert batches() == [] and available(ada) == 2000


def test_the_operator_pays_a_batch_through_the_pages(
    client, make_user, operator, sign_in, shop_a, no_csrf
):
    put_setting("affiliates.min_payout", 1000)
    ada = an_affiliate(make_user, "ADA-P2", email="ada@pay.example.net")
    bea = an_affiliate(make_user, "BEA-P2", email="bea@pay.example.net")
    low = an_affiliate(make_user, "LOW-P2")
    earn(shop_a, ada, 2500)
    earn(shop_a, bea, 1200)
    earn(shop_a, low, 999)
    sign_in(operator)
    page = text(client.get(BASE))
    assert "2 affiliates can be paid $37.00" in page
    assert "ADA-P2" in page and "BEA-P2" in page and "LOW-P2" not in page
    key = re.search(r'name="batch_key" type="hidden" value="(\w+)"', page).group(1)

    made = client.post(BASE, data={"batch_key": key})
    again = client.post(BASE, data={"batch_key": key})  # a double click
    (batch,) = batches()
    assert made.status_code == again.status_code == 303
    assert made.headers["Location"].endswith(f"/batches/{batch.id}")
    shown = text(client.get(made.headers["Location"]))
    assert "Payout batch made: $37.00" in shown and batch.total == 3700

    csv = client.get(f"{BASE}batches/{batch.id}/paypal.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert "attachment" in csv.headers["Content-Disposition"]
    rows = text(csv).strip().split("\r\n")
    assert [row.split(",")[:3] for row in rows] == [
        ["ada@pay.example.net", "25.00", "USD"],
        ["bea@pay.example.net", "12.00", "USD"],
    ]

    bea_payout = db.session.scalar(
        sa.select(AffiliatePayout).where(AffiliatePayout.affiliate_id == bea.id)
    )
    refused = client.post(f"{BASE}{bea_payout.id}/failed", data={"reason": "  "})
    assert refused.status_code == 400 and "Say what happened" in text(refused)
    failed = client.post(f"{BASE}{bea_payout.id}/failed", data={"reason": "unknown receiver"})
    assert failed.status_code == 303 and available(bea) == 1200

    paid = client.post(f"{BASE}batches/{batch.id}/paid")
    assert paid.status_code == 303
    assert "1 PayPal payout marked paid" in text(client.get(paid.headers["Location"]))
    second = client.post(f"{BASE}batches/{batch.id}/paid")
    assert "nothing changed" in text(client.get(second.headers["Location"]))
    db.session.expire_all()
    statuses = {p.affiliate_id: p.status for p in db.session.scalars(sa.select(AffiliatePayout))}
    assert statuses == {ada.id: AffiliatePayoutStatus.PAID, bea.id: AffiliatePayoutStatus.FAILED}
    index = text(client.get(BASE))
    assert "closed" in index and "BEA-P2" in index  # Bea is payable again


def test_nothing_payable_and_unknown_ids_answer_clearly(client, operator, sign_in, no_csrf):
    sign_in(operator)
    refused = client.post(BASE, data={"batch_key": "k-1"})
    assert refused.status_code == 409 and "No affiliate can be paid" in text(refused)
    expired = client.post(BASE, data={})
    assert expired.status_code == 400 and "form expired" in text(expired)
    for path in (f"{BASE}batches/{uuid4()}", f"{BASE}batches/{uuid4()}/paypal.csv"):
        assert client.get(path).status_code == 404
    assert client.post(f"{BASE}{uuid4()}/failed", data={"reason": "x"}).status_code == 404
    assert client.post(f"{BASE}{uuid4()}/paid").status_code == 404
    assert client.get(f"{BASE}batches/not-an-id").status_code == 404
    assert client.get(f"{BASE}?page=banana").status_code == 200


def made_message(client, key: str) -> str:
    """The flash a new batch shows, and (checked here) the batch page's own advice agrees."""
    made = client.post(BASE, data={"batch_key": key})
    assert made.status_code == 303
    page = text(client.get(made.headers["Location"]))
    message = re.search(r"(Payout batch made:[^<]*)", page).group(1)
    if "PayPal CSV" in message:  # the page's PayPal advice names Stripe only when it is there
        assert ("Stripe transfers are paid by themselves" in page) == ("by Stripe" in message)
    return message


def test_a_paypal_only_batch_says_nothing_of_stripe(
    client, make_user, operator, sign_in, shop_a, no_csrf
):
    put_setting("affiliates.min_payout", 1000)
    earn(shop_a, an_affiliate(make_user, "ADA-P4"), 2500)
    earn(shop_a, an_affiliate(make_user, "BEA-P4"), 1200)
    sign_in(operator)
    message = made_message(client, "paypal-only")
    assert message == (
        "Payout batch made: $37.00 to 2 affiliates. 2 payouts in the PayPal CSV ($37.00): "
        "download it, pay it on PayPal, then mark the PayPal payouts paid."
    )
    assert "Stripe" not in message


def test_a_mixed_batch_says_what_goes_by_stripe_and_what_by_paypal(
    client, make_user, operator, sign_in, shop_a, no_csrf, stripe_on
):
    put_setting("affiliates.min_payout", 1000)
    stripe_on.account("acct_1AdaPages")
    ada = an_affiliate(make_user, "ADA-P5", stripe="acct_1AdaPages")
    ada.stripe_transfers_active = True  # its onboarding is done
    db.session.commit()
    earn(shop_a, ada, 2500)
    earn(shop_a, an_affiliate(make_user, "BEA-P5"), 1200)
    sign_in(operator)
    assert made_message(client, "mixed") == (
        "Payout batch made: $37.00 to 2 affiliates. 1 payout by Stripe transfer ($25.00): "
        "sent by Stripe, nothing to do. 1 payout in the PayPal CSV ($12.00): download it, "
        "pay it on PayPal, then mark the PayPal payouts paid."
    )


def test_a_stripe_only_batch_asks_for_no_csv(
    client, make_user, operator, sign_in, shop_a, no_csrf, stripe_on
):
    put_setting("affiliates.min_payout", 1000)
    stripe_on.account("acct_1CyPages")
    cy = an_affiliate(make_user, "CY-P6", stripe="acct_1CyPages")
    cy.stripe_transfers_active = True
    db.session.commit()
    earn(shop_a, cy, 2500)
    sign_in(operator)
    message = made_message(client, "stripe-only")
    assert message == (
        "Payout batch made: $25.00 to 1 affiliate. 1 payout by Stripe transfer ($25.00): "
        "sent by Stripe, nothing to do."
    )
    assert "PayPal" not in message
    payout = db.session.scalar(
        sa.select(AffiliatePayout).where(AffiliatePayout.affiliate_id == cy.id)
    )
    by_hand = client.post(f"{BASE}{payout.id}/paid")
    assert by_hand.status_code == 409 and "paid through Stripe, not by hand" in text(by_hand)
