"""Stripe's webhook at POST /payments/stripe/webhook (blueprint ``payments``).

Not a page: Stripe signs each event; a bad signature answers 400 and changes
nothing, an unknown type 200. The event is stored and applied in one commit.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, request
from flask.typing import ResponseReturnValue

from mall.extensions import csrf, db
from mall.payments.errors import PaymentError
from mall.payments.webhooks import handle_stripe_webhook

bp = Blueprint("payments", __name__, url_prefix="/payments")

# Pages that show or take card details: the shop's card pages and the checkout's card form.
CARD_ENDPOINTS = frozenset(
    {
        "payments_admin.cards",
        "payments_admin.card",
        "payments_admin.reveal",
        "payments_admin.process",
        "payments_admin.decline",
        "checkout.review",
        "checkout.place",
    }
)


def card_pages_over_https() -> ResponseReturnValue | None:
    """In production, card pages answer over HTTPS only: GET is sent there, anything else refused.

    Registered on the app (``before_request``), so the checkout's card form is covered too.
    """
    if request.endpoint not in CARD_ENDPOINTS or request.is_secure:
        return None
    if current_app.config.get("ENV_NAME") != "production":
        return None
    if request.method == "GET":
        return redirect(request.url.replace("http://", "https://", 1), 301)
    abort(403)


@bp.post("/stripe/webhook")
@csrf.exempt
def stripe_webhook() -> ResponseReturnValue:
    """Apply one Stripe event, once."""
    try:
        outcome = handle_stripe_webhook(
            request.get_data(cache=False), request.headers.get("Stripe-Signature", "")
        )
    except PaymentError as refused:
        db.session.rollback()
        return {"error": str(refused)}, 400
    db.session.commit()
    current_app.logger.debug("stripe webhook: %s", outcome)
    return {"received": True, "outcome": outcome}, 200
