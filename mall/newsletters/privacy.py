"""A person's newsletter subscriptions in their data export: the mall's, and each shop's."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from mall.accounts.models import User
from mall.extensions import db
from mall.newsletters.models import MallSubscription, Subscription


def _as_exported(row: MallSubscription | Subscription | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "status": str(row.status),
        "source": str(row.source),
        "consented_at": row.consented_at.isoformat() if row.consented_at else None,
        "unsubscribed_at": row.unsubscribed_at.isoformat() if row.unsubscribed_at else None,
    }


def mall_subscription(user: User) -> dict[str, Any] | None:
    """The mall's newsletter subscription of ``user`` (by account, or by their email), or None."""
    return _as_exported(
        db.session.scalar(
            sa.select(MallSubscription).where(
                sa.or_(
                    MallSubscription.user_id == user.id,
                    MallSubscription.email_index == MallSubscription.email.lookup(user.email),
                )
            )
        )
    )


def shop_subscription(user: User) -> dict[str, Any] | None:
    """The newsletter subscription of ``user`` to the shop in context (by account), or None."""
    return _as_exported(
        db.session.scalar(sa.select(Subscription).where(Subscription.user_id == user.id))
    )
