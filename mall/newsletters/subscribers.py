"""What newsletters listens to: the boxes ticked on the checkout's review, an account's new
email address."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from mall import signals
from mall.extensions import db
from mall.newsletters import services
from mall.newsletters.models import MallSubscription, Subscription, SubscriptionStatus
from mall.orders.models import Order
from tenants.context import all_tenants
from tenants.keys import PLATFORM, CiphertextInvalid, KeyDestroyed


def connect() -> None:
    """Subscribe the handlers (weakly referenced by blinker: module functions only)."""
    signals.checkout_placed.connect(on_checkout_placed)
    signals.account_email_changed.connect(on_account_email_changed)


def on_account_erased(user: Any) -> None:
    """An account is being deleted: its newsletter subscriptions go with it (flush only)."""
    services.forget_subscriber(user.id, email=user.email)


def on_account_email_changed(user: Any, *, old_email: str, **_: Any) -> None:
    """The account's address changed: its subscriptions follow it (flush only)."""
    services.follow_email_change(user.id, old_email=old_email, new_email=user.email)


def checkout_shops(checkout_id: UUID) -> set[UUID]:
    """The shops that have an order in this checkout (ids only)."""
    with all_tenants("newsletters: which shops a checkout's opt-in boxes may name"):
        return set(
            db.session.scalars(sa.select(Order.tenant_id).where(Order.checkout_id == checkout_id))
        )


def received_newsletters(user: Any, shop_ids: Iterable[UUID]) -> set[str]:
    """Which of the review's boxes the signed-in ``user`` needs not be offered: the shops
    (ids in hex) whose newsletter the account gets, and "mall". Two queries, whatever the
    number of shops; a guest (None) gets every box (nothing is told about an email typed)."""
    ids = set(shop_ids)
    if user is None or not ids:
        return set()
    with all_tenants("newsletters: the cart's shops whose newsletter the customer gets"):
        received = {
            shop_id.hex
            for shop_id in db.session.scalars(
                sa.select(Subscription.tenant_id).where(
                    Subscription.user_id == user.id,
                    Subscription.tenant_id.in_(ids),
                    Subscription.status == SubscriptionStatus.SUBSCRIBED,
                )
            )
        }
    index = MallSubscription.email.lookup(user.email, scope=PLATFORM)
    mall = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(MallSubscription)
        .where(
            sa.or_(MallSubscription.user_id == user.id, MallSubscription.email_index == index),
            MallSubscription.status == SubscriptionStatus.SUBSCRIBED,
        )
    )
    return received | ({"mall"} if mall else set())


def on_checkout_placed(checkout: Any, *, opt_ins: Iterable[str] = (), **_: Any) -> None:
    """Record the newsletters the customer ticked (shops of this checkout only, and the mall)."""
    chosen = set(opt_ins)
    if not chosen:
        return
    wanted = set()
    for value in chosen - {"mall"}:
        try:
            wanted.add(UUID(hex=value))
        except ValueError:
            continue
    try:
        email = checkout.email
    except (KeyDestroyed, CiphertextInvalid):
        return
    if not email:
        return
    services.subscribe_from_checkout(
        wanted & checkout_shops(checkout.id) if wanted else set(),
        email=email,
        user_id=checkout.user_id,
        mall="mall" in chosen,
    )
