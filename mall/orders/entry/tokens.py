"""The customer's pay link: ``/pay/<token>``, readable without signing in.

The token is signed with the app's secret (itsdangerous, salt ``PAY_SALT``) and
carries the shop's id, the document's id and its ``pay_token_version``: no personal
data, no expiry (an invoice may be paid late). Voiding the invoice raises the
version, so every link sent before stops paying: it shows that the shop cancelled the
invoice (410, ``find_voided_document``). A token that does not verify, names an unknown
document or an old version of one still open is 404, the same page whatever the reason.
"""

from __future__ import annotations

from uuid import UUID

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from mall.extensions import db
from mall.orders.entry.models import SalesDocument, SalesKind, SalesStatus
from mall.urls import external_url
from tenants.context import tenant_context
from tenants.guard import scoped_get
from tenants.models import Tenant, TenantStatus

PAY_SALT = "mall.orders.entry.pay"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=PAY_SALT)


def pay_token(document: SalesDocument) -> str:
    """The signed token of the document's current pay link (ids and a version only)."""
    return _serializer().dumps(
        {"t": document.tenant_id.hex, "d": document.id.hex, "v": document.pay_token_version}
    )


def pay_link_url(document: SalesDocument) -> str:
    """The invoice's pay page as an absolute URL on the mall (for emails and staff)."""
    return external_url("order_entry_pay.pay", token=pay_token(document))


def read_pay_token(token: str) -> tuple[UUID, UUID, int] | None:
    """(shop id, document id, version) of a well-signed token, else None."""
    try:
        payload = _serializer().loads(token)
        shop_id, document_id = UUID(hex=str(payload["t"])), UUID(hex=str(payload["d"]))
        version = payload["v"]
    except (BadSignature, ValueError, KeyError, TypeError):
        return None
    if not isinstance(version, int) or isinstance(version, bool):
        return None
    return shop_id, document_id, version


def find_payable_document(token: str) -> tuple[Tenant, SalesDocument] | None:
    """The shop and invoice a pay token names, if the link is still current; else None.

    Work with the document inside ``tenant_context(shop)``.
    """
    read = read_pay_token(token)
    if read is None:
        return None
    shop_id, document_id, version = read
    shop = db.session.get(Tenant, shop_id)
    if shop is None or shop.status in (TenantStatus.PENDING, TenantStatus.CLOSED):
        return None
    with tenant_context(shop):
        document = scoped_get(SalesDocument, document_id)
    if (
        document is None
        or document.kind is not SalesKind.INVOICE
        or document.pay_token_version != version
        or document.invoice_id is None
        or document.status is SalesStatus.VOID
    ):
        return None
    return shop, document


def find_voided_document(token: str) -> tuple[Tenant, SalesDocument] | None:
    """The shop and invoice of a well-signed pay link whose invoice the shop voided, else None.

    Only voiding raises the version, so any earlier version of a void invoice is a link
    that was sent for it; a tampered token is never found.
    """
    read = read_pay_token(token)
    if read is None:
        return None
    shop_id, document_id, version = read
    shop = db.session.get(Tenant, shop_id)
    if shop is None or shop.status in (TenantStatus.PENDING, TenantStatus.CLOSED):
        return None
    with tenant_context(shop):
        document = scoped_get(SalesDocument, document_id)
    if (
        document is None
        or document.kind is not SalesKind.INVOICE
        or document.status is not SalesStatus.VOID
        or document.invoice_id is None
        or not 0 < version <= document.pay_token_version
    ):
        return None
    return shop, document
