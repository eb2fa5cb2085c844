"""Sending a newsletter in batches, each recipient at most once.

For each recipient of a batch the job first claims a marker row
(``newsletter_deliveries``: unique per newsletter and subscription) and commits
it, then sends, then stamps the marker as sent. A job that runs again (a retry,
a second press of Send, a worker restarted half-way) finds the marker and skips
that person: a newsletter is never sent twice to one recipient. Someone who
opts out while a newsletter goes out is skipped from then on.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from mall.catalog.markdown import render_markdown
from mall.db import utcnow
from mall.extensions import db
from mall.mail import MailError, deliver, render_message
from mall.newsletters.models import (
    Delivery,
    MallDelivery,
    MallNewsletter,
    MallSubscription,
    Newsletter,
    NewsletterStatus,
    Subscription,
    SubscriptionStatus,
)
from mall.newsletters.tokens import unsubscribe_url
from tenants.keys import CiphertextInvalid, KeyDestroyed
from tenants.models import Tenant

log = logging.getLogger(__name__)

BATCH_SIZE = 50

AnyNewsletter = Newsletter | MallNewsletter


def _models(newsletter: AnyNewsletter) -> tuple[type, type]:
    if isinstance(newsletter, MallNewsletter):
        return MallSubscription, MallDelivery
    return Subscription, Delivery


def pending_recipients(newsletter: AnyNewsletter, *, limit: int) -> list[Any]:
    """The next opted-in subscriptions without a marker for this newsletter (one query)."""
    subscription, delivery = _models(newsletter)
    claimed = sa.select(delivery.subscription_id).where(delivery.newsletter_id == newsletter.id)
    return list(
        db.session.scalars(
            sa.select(subscription)
            .where(
                subscription.status == SubscriptionStatus.SUBSCRIBED,
                subscription.id.not_in(claimed),
            )
            .order_by(subscription.id)
            .limit(limit)
        )
    )


def send_batch(newsletter: AnyNewsletter, *, size: int | None = None) -> int:
    """Send to the next ``size`` (``BATCH_SIZE``) recipients; returns how many were handled.

    Commits per recipient (the marker first): a cut-short batch resumes where it stopped.
    """
    if newsletter.status is not NewsletterStatus.SENDING:
        return 0
    subscription_model, delivery_model = _models(newsletter)
    newsletter_id, model = newsletter.id, type(newsletter)
    handled = 0
    batch = pending_recipients(newsletter, limit=size or BATCH_SIZE)
    for recipient_id in [row.id for row in batch]:
        if not _claim(delivery_model, newsletter_id, recipient_id):
            continue
        handled += 1
        newsletter = db.session.get(model, _key(newsletter))
        recipient = db.session.get(subscription_model, _key(newsletter, recipient_id))
        sent = _send_one(newsletter, recipient)
        marker = db.session.scalar(
            sa.select(delivery_model).where(
                delivery_model.newsletter_id == newsletter_id,
                delivery_model.subscription_id == recipient_id,
            )
        )
        if sent:
            marker.sent_at = utcnow()
        db.session.execute(
            sa.update(model)
            .where(model.id == newsletter_id)
            .values(sent_count=model.sent_count + 1)
        )
        db.session.commit()
    return handled


def finish_if_done(newsletter: AnyNewsletter) -> bool:
    """Mark the newsletter sent once no recipient is left; True when it is (then) sent."""
    if newsletter.status is NewsletterStatus.SENT:
        return True
    if pending_recipients(newsletter, limit=1):
        return False
    newsletter.status = NewsletterStatus.SENT
    newsletter.sent_at = utcnow()
    db.session.commit()
    return True


def _key(newsletter: AnyNewsletter, row_id: UUID | None = None) -> UUID | tuple[UUID, UUID]:
    row_id = row_id or newsletter.id
    if isinstance(newsletter, MallNewsletter):
        return row_id
    return (newsletter.tenant_id, row_id)


def _claim(delivery_model: type, newsletter_id: UUID, subscription_id: UUID) -> bool:
    """Insert and commit the marker; False when another run already claimed this person."""
    try:
        db.session.add(delivery_model(newsletter_id=newsletter_id, subscription_id=subscription_id))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def _send_one(newsletter: AnyNewsletter, recipient: Any) -> bool:
    if recipient is None or recipient.status is not SubscriptionStatus.SUBSCRIBED:
        return False
    try:
        to = recipient.email
    except (KeyDestroyed, CiphertextInvalid):
        log.info("newsletter skipped an unreadable subscription %s", recipient.id)
        return False
    message = newsletter_message(newsletter, to=to, subscription_id=recipient.id)
    try:
        deliver(message)
    except MailError as error:
        log.warning(
            "newsletter %s to subscription %s failed: %s", newsletter.id, recipient.id, error
        )
        return False
    return True


def newsletter_message(
    newsletter: AnyNewsletter, *, to: str, subscription_id: UUID
) -> EmailMessage:
    """The email of a newsletter for one subscription: its unsubscribe link in the text and
    in the ``List-Unsubscribe`` headers (RFC 8058 one-click)."""
    mall = isinstance(newsletter, MallNewsletter)
    tenant_id = None if mall else newsletter.tenant_id
    url = unsubscribe_url(tenant_id, subscription_id)
    sender = current_app.config.get("MALL_NAME", "Mall") if mall else _shop_name(tenant_id)
    return render_message(
        "newsletters/email/newsletter",
        to=to,
        subject=newsletter.subject,
        sender_name=sender,
        body_markdown=newsletter.body,
        body_html=render_markdown(newsletter.body),
        unsubscribe_url=url,
        headers={
            "List-Unsubscribe": f"<{url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def _shop_name(tenant_id: UUID | None) -> str:
    shop = db.session.get(Tenant, tenant_id)
    return shop.name if shop is not None else "the shop"
