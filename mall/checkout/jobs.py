"""Checkout jobs: the customer's confirmation email, and the sweep of unpaid checkouts."""

from __future__ import annotations

from uuid import UUID

from flask import current_app

from mall.jobs import job
from mall.mail import deliver, render_message


@job(queue="mail")
def send_checkout_confirmation(checkout_id: str) -> None:
    """Email the customer every shop's part of a checkout (paid, or awaiting payment)."""
    from mall.checkout.completion import confirmation_context

    context = confirmation_context(UUID(checkout_id))
    if context is None:
        return
    message = render_message(
        "checkout_confirmation",
        to=context["email"],
        subject=f"Your order at {current_app.config['MALL_NAME']}",
        **context,
    )
    deliver(message)


@job()
def expire_overdue_checkouts() -> int:
    """Expire checkouts not paid within their hold (every minute): holds go back to stock."""
    from mall.checkout.completion import expire_overdue

    return expire_overdue()
