"""The signed link to a message thread, for a customer without an account.

``/messages/<token>``: the shop's and the thread's ids signed with the app's
secret (salt ``THREAD_SALT``), no personal data; it is emailed to the address
the customer gave, so only whoever reads that mailbox (or was given the link
by the tracking page) opens the thread. An altered or unknown token answers 404.
"""

from __future__ import annotations

from uuid import UUID

from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeSerializer

from mall.crm.models import CrmThread
from mall.extensions import db
from mall.orders.models import Order
from mall.orders.tracking import tracking_token
from mall.urls import external_url
from tenants.context import tenant_context
from tenants.guard import scoped_get
from tenants.models import Tenant, TenantStatus

THREAD_SALT = "mall.crm.thread"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=THREAD_SALT)


def thread_token(thread: CrmThread) -> str:
    """The signed token of a thread's customer page (ids only)."""
    return _serializer().dumps([thread.tenant_id.hex, thread.id.hex])


def thread_link(thread: CrmThread) -> str:
    """The thread's customer page as an absolute URL (for emails)."""
    return external_url("crm.thread", token=thread_token(thread))


def read_thread_token(token: str) -> tuple[UUID, UUID] | None:
    """(shop id, thread id) of a well-signed token, or None."""
    try:
        shop_hex, thread_hex = _serializer().loads(token)
        return UUID(hex=str(shop_hex)), UUID(hex=str(thread_hex))
    except (BadSignature, ValueError, TypeError):
        return None


def find_thread(token: str) -> CrmThread | None:
    """The thread a token names, in a shop that is not pending or closed; else None.

    Work with the thread inside ``tenant_context(thread.tenant_id)``.
    """
    ids = read_thread_token(token)
    if ids is None:
        return None
    shop = db.session.get(Tenant, ids[0])
    if shop is None or shop.status in (TenantStatus.PENDING, TenantStatus.CLOSED):
        return None
    with tenant_context(shop):
        return scoped_get(CrmThread, ids[1])


def order_contact_link(order: Order) -> tuple[str, str]:
    """The tracking page's "write to the shop about this order" link (label, URL); the order's
    tracking token is what proves the writer holds the order (``mall.orders.tracking``)."""
    shop = db.session.get(Tenant, order.tenant_id)
    name = shop.name if shop is not None else "the shop"
    url = url_for("crm.order_contact", token=tracking_token(order))
    return f"Write to {name} about this order", url
