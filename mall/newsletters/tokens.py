"""Signed unsubscribe links: ids only (the audience and the subscription), no expiry.

``/emails/unsubscribe/<token>``: the token names ``"mall"`` or a shop's id and the
subscription's id, signed with the app's secret. An unsubscribe link must keep
working for as long as the email sits in an inbox, so it never expires; it gives
no power but to unsubscribe. It carries no personal data.
"""

from __future__ import annotations

from uuid import UUID

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from mall.urls import external_url

SALT = "mall.newsletters.unsubscribe"
MALL = "mall"


class LinkInvalid(ValueError):
    """A link that was altered, cut short or made for something else."""


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def unsubscribe_token(tenant_id: UUID | None, subscription_id: UUID) -> str:
    """The token of a subscription (``tenant_id`` None: the mall's newsletter)."""
    audience = tenant_id.hex if tenant_id is not None else MALL
    return _serializer().dumps([audience, subscription_id.hex])


def unsubscribe_url(tenant_id: UUID | None, subscription_id: UUID) -> str:
    """The absolute one-click unsubscribe link (for the email and ``List-Unsubscribe``)."""
    return external_url(
        "newsletter_links.unsubscribe", token=unsubscribe_token(tenant_id, subscription_id)
    )


def read_unsubscribe_token(token: str) -> tuple[UUID | None, UUID]:
    """(shop id or None for the mall, subscription id); LinkInvalid when it is not one."""
    try:
        payload = _serializer().loads(token)
    except BadSignature:
        raise LinkInvalid("signature") from None
    if not isinstance(payload, list) or len(payload) != 2:
        raise LinkInvalid("shape")
    audience, subscription = payload
    try:
        tenant_id = None if audience == MALL else UUID(hex=str(audience))
        return tenant_id, UUID(hex=str(subscription))
    except ValueError:
        raise LinkInvalid("ids") from None
