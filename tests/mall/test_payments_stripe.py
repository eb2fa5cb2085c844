"""Stripe: the Checkout Session Mall asks for, the webhook, the return URL, refunds.

The real ``stripe`` library talks to ``tests/support/stripe_stub.py`` on loopback
(``STRIPE_API_BASE``); webhook payloads are signed as Stripe signs them and
verified by ``stripe.Webhook.construct_event``.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import timedelta
from uuid import UUID

import pytest
import sqlalchemy as sa

from mall.db import utcnow
from mall.extensions import db
from mall.payments import services
from mall.payments.models import Payment, PaymentEvent, PaymentRefund, PaymentStatus
from mall.signals import payment_expired, payment_refunded, payment_succeeded
from tests.support import stripe_checkout as stripe
from tests.support.stripe_checkout import WEBHOOK, webhook

stub_server = stripe.stub_server
stripe_on = stripe.stripe_on


@contextmanager
def counting(signal):
    calls = []

    def receiver(sender, **kwargs):
        calls.append((sender.id, kwargs))  # the id: the row's session ends with its request

    signal.connect(receiver)
    try:
        yield calls
    finally:
        signal.disconnect(receiver)


def make_checkout(total: int = 4_250) -> UUID:
    from mall.checkout.models import Checkout

    checkout = Checkout(token_digest=os.urandom(32), currency="USD", total=total)
    db.session.add(checkout)
    db.session.commit()
    return checkout.id


def payment_request(checkout_id: UUID, *, expires_in=timedelta(minutes=60), attempt: int = 1):
    return services.PaymentRequest(
        checkout_id=checkout_id,
        amount=4_250,
        currency="USD",
        parts=[
            services.PaymentPart(
                shop_name="Shop A",
                lines=[("Blue Teapot", 2, 2_500)],
                shipping=500,
                tax=250,
                total=3_250,
            ),
            services.PaymentPart(shop_name="Shop B", lines=[("Mug", 1, 1_000)], total=1_000),
        ],
        success_url="http://mall.test/checkout/return/x?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="http://mall.test/checkout/review",
        expires_at=utcnow() + expires_in,
        attempt=attempt,
    )


def start(checkout_id: UUID, **kw):
    started = services.start_payment(payment_request(checkout_id, **kw), method="stripe")
    db.session.commit()
    return started


def payment_row(checkout_id: UUID) -> Payment:
    db.session.expire_all()
    return db.session.scalar(sa.select(Payment).where(Payment.checkout_id == checkout_id))


# ---------------------------------------------------------------- the session


def test_the_session_carries_amounts_currency_and_the_checkout_and_nothing_personal(
    app_ctx, stripe_on
):
    checkout_id = make_checkout()
    hold_end = utcnow() + timedelta(minutes=60)
    started = services.start_payment(
        services.PaymentRequest(
            **{**payment_request(checkout_id).__dict__, "expires_at": hold_end}
        ),
        method="stripe",
    )
    db.session.commit()

    assert started.redirect_url.startswith("https://checkout.stripe.test/")
    (sent,) = stripe_on.posts("/v1/checkout/sessions")
    p = sent.params
    assert p["mode"] == "payment"
    assert p["payment_intent_data[transfer_group]"] == str(checkout_id)
    assert p["metadata[checkout_id]"] == str(checkout_id)
    assert p["client_reference_id"] == str(checkout_id)
    assert int(p["expires_at"]) == int(hold_end.timestamp())
    assert [
        p["line_items[0][price_data][unit_amount]"],
        p["line_items[1][price_data][unit_amount]"],
    ] == ["3250", "1000"]
    assert p["line_items[0][price_data][currency]"] == "usd"
    assert p["line_items[0][price_data][product_data][name]"] == "Shop A"
    assert "2 x Blue Teapot" in p["line_items[0][price_data][product_data][description]"]
    assert stripe_on.sessions[started.payment.provider_ref]["amount_total"] == 4_250
    # Nothing about the customer: no email, name, address, phone, customer object.
    for key in p:
        assert not any(
            word in key for word in ("email", "customer", "address", "phone", "name]")
        ) or key.endswith("[product_data][name]"), key
    assert sent.idempotency_key == f"mall-checkout-{checkout_id.hex}-attempt-1-session"
    assert sent.authorization == "Bearer sk_test_mall"

    payment = payment_row(checkout_id)
    assert (payment.status, payment.amount, payment.currency) == (
        PaymentStatus.PENDING,
        4_250,
        "USD",
    )
    assert payment.provider_ref == started.payment.provider_ref


def test_starting_twice_gives_the_same_payment_and_session(app_ctx, stripe_on):
    checkout_id = make_checkout()
    first = start(checkout_id)
    again = start(checkout_id)
    assert again.payment.id == first.payment.id
    assert again.redirect_url == first.redirect_url
    keys = [r.idempotency_key for r in stripe_on.posts("/v1/checkout/sessions")]
    assert len(keys) == 2 and keys[0] == keys[1]
    assert len(stripe_on.sessions) == len(set(stripe_on.sessions))
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Payment)
            .where(Payment.checkout_id == checkout_id)
        )
        == 1
    )
    # A new attempt is a new session, with its own key.
    start(checkout_id, attempt=2)
    assert stripe_on.posts("/v1/checkout/sessions")[-1].idempotency_key.endswith(
        "-attempt-2-session"
    )


def test_a_session_lives_at_least_thirty_minutes(app_ctx, stripe_on):
    before = utcnow()
    start(make_checkout(), expires_in=timedelta(minutes=5))
    expires_at = int(stripe_on.posts("/v1/checkout/sessions")[-1].params["expires_at"])
    assert expires_at >= int((before + timedelta(minutes=30)).timestamp())


# ---------------------------------------------------------------- the webhook


def test_a_bad_signature_is_refused_and_changes_nothing(client, app_ctx, stripe_on):
    checkout_id = make_checkout()
    session_id = start(checkout_id).payment.provider_ref
    session = stripe_on.pay(session_id)
    with counting(payment_succeeded) as calls:
        response = webhook(
            client, "checkout.session.completed", session, event_id="evt_bad", secret="whsec_wrong"
        )
        unsigned = client.post(WEBHOOK, data=b"{}", content_type="application/json")
    assert response.status_code == 400 and unsigned.status_code == 400
    assert calls == []
    assert payment_row(checkout_id).status is PaymentStatus.PENDING
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PaymentEvent)) == 0


def test_an_unknown_event_type_is_acknowledged_and_changes_nothing(client, app_ctx, stripe_on):
    checkout_id = make_checkout()
    session = stripe_on.pay(start(checkout_id).payment.provider_ref)
    response = webhook(client, "customer.created", session, event_id="evt_unknown")
    assert response.status_code == 200
    assert payment_row(checkout_id).status is PaymentStatus.PENDING
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PaymentEvent)) == 0


def test_a_completed_session_succeeds_once_however_often_it_is_replayed(client, app_ctx, stripe_on):
    checkout_id = make_checkout()
    session = stripe_on.pay(start(checkout_id).payment.provider_ref)
    with counting(payment_succeeded) as calls:
        for _ in range(4):  # the first delivery and three replays
            assert (
                webhook(
                    client, "checkout.session.completed", session, event_id="evt_done"
                ).status_code
                == 200
            )
    assert len(calls) == 1
    sender_id, kwargs = calls[0]
    assert kwargs == {"checkout_id": checkout_id} and sender_id == payment_row(checkout_id).id
    payment = payment_row(checkout_id)
    assert payment.status is PaymentStatus.SUCCEEDED
    assert payment.provider_payment_ref == session["payment_intent"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PaymentEvent)) == 1


def test_a_completed_but_unpaid_session_waits_for_the_async_result(client, app_ctx, stripe_on):
    checkout_id = make_checkout()
    session = stripe_on.pay(start(checkout_id).payment.provider_ref, status="unpaid")
    with counting(payment_succeeded) as calls:
        webhook(client, "checkout.session.completed", session, event_id="evt_c")
        assert payment_row(checkout_id).status is PaymentStatus.PENDING
        session["payment_status"] = "paid"
        webhook(client, "checkout.session.async_payment_succeeded", session, event_id="evt_a")
        webhook(client, "checkout.session.async_payment_succeeded", session, event_id="evt_a")
    assert len(calls) == 1
    assert payment_row(checkout_id).status is PaymentStatus.SUCCEEDED


def test_an_expired_session_is_announced_once(client, app_ctx, stripe_on):
    checkout_id = make_checkout()
    session = stripe_on.sessions[start(checkout_id).payment.provider_ref]
    session["status"] = "expired"
    with counting(payment_expired) as calls:
        for _ in range(3):
            webhook(client, "checkout.session.expired", session, event_id="evt_exp")
    assert [kwargs for _, kwargs in calls] == [{"checkout_id": checkout_id}]
    assert payment_row(checkout_id).status is PaymentStatus.EXPIRED


@pytest.mark.parametrize("return_first", [True, False])
def test_the_return_url_and_the_webhook_make_one_success_in_either_order(
    client, app_ctx, stripe_on, return_first
):
    checkout_id = make_checkout()
    session = stripe_on.pay(start(checkout_id).payment.provider_ref)

    def by_return():
        services.confirm_stripe_return(checkout_id, session["id"])
        db.session.commit()

    def by_webhook():
        assert (
            webhook(client, "checkout.session.completed", session, event_id="evt_r").status_code
            == 200
        )

    with counting(payment_succeeded) as calls:
        for step in (by_return, by_webhook) if return_first else (by_webhook, by_return):
            step()
        by_return()
    assert len(calls) == 1
    assert payment_row(checkout_id).status is PaymentStatus.SUCCEEDED


def test_the_return_url_refuses_another_checkouts_or_an_unpaid_session(app_ctx, stripe_on):
    checkout_id, other_id = make_checkout(), make_checkout()
    session_id = start(checkout_id).payment.provider_ref
    with pytest.raises(services.PaymentError, match="could not find"):
        services.confirm_stripe_return(other_id, session_id)
    with pytest.raises(services.PaymentError, match="not completed"):
        services.confirm_stripe_return(checkout_id, session_id)
    assert payment_row(checkout_id).status is PaymentStatus.PENDING


# ---------------------------------------------------------------- refunds and disputes


def paid(client, stripe_on) -> tuple[UUID, dict]:
    checkout_id = make_checkout()
    session = stripe_on.pay(start(checkout_id).payment.provider_ref)
    webhook(client, "checkout.session.completed", session, event_id=f"evt_paid_{checkout_id.hex}")
    return checkout_id, session


def test_a_partial_refund_goes_to_stripe_once_per_key(client, app_ctx, stripe_on):
    checkout_id, session = paid(client, stripe_on)
    first = services.refund(checkout_id, 1_000, reason="A-1001: out of stock", key="short-1")
    db.session.commit()
    again = services.refund(checkout_id, 1_000, reason="A-1001: out of stock", key="short-1")
    assert again.id == first.id
    (sent,) = stripe_on.posts("/v1/refunds")
    assert sent.params["amount"] == "1000"
    assert sent.params["payment_intent"] == session["payment_intent"]
    assert sent.idempotency_key and "short-1" in sent.idempotency_key
    assert payment_row(checkout_id).refunded_amount == 1_000
    with pytest.raises(services.PaymentError, match="more than"):
        services.refund(checkout_id, 4_000, reason="too much", key="short-2")


def test_refund_events_are_recorded_once(client, app_ctx, stripe_on):
    checkout_id, session = paid(client, stripe_on)
    ours = services.refund(checkout_id, 500, reason="ours", key="k-ours")
    db.session.commit()
    dashboard = {
        "id": "re_dashboard",
        "object": "refund",
        "amount": 700,
        "status": "succeeded",
        "payment_intent": session["payment_intent"],
    }
    with counting(payment_refunded) as calls:
        for _ in range(3):
            webhook(client, "refund.created", dashboard, event_id="evt_re_1")
        # Mall's own refund, reported back by Stripe: already known.
        webhook(client, "refund.created", stripe_on.refunds[ours.provider_ref], event_id="evt_re_2")
        webhook(
            client,
            "charge.refunded",
            {
                "id": "ch_1",
                "object": "charge",
                "payment_intent": session["payment_intent"],
                "amount_refunded": 1_200,
                "refunds": {"data": [dashboard, stripe_on.refunds[ours.provider_ref]]},
            },
            event_id="evt_ch_1",
        )
    assert [kw["amount"] for _, kw in calls] == [700]
    assert calls[0][1]["provider_ref"] == "re_dashboard"
    assert payment_row(checkout_id).refunded_amount == 1_200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PaymentRefund)) == 2


def test_a_dispute_is_announced_once(client, app_ctx, stripe_on):
    from mall.signals import payment_disputed

    checkout_id, session = paid(client, stripe_on)
    dispute = {
        "id": "dp_1",
        "object": "dispute",
        "amount": 4_250,
        "payment_intent": session["payment_intent"],
        "charge": "ch_1",
    }
    with counting(payment_disputed) as calls:
        for _ in range(2):
            webhook(client, "charge.dispute.created", dispute, event_id="evt_dp")
    assert [kw for _, kw in calls] == [
        {"checkout_id": checkout_id, "amount": 4_250, "provider_ref": "dp_1"}
    ]
