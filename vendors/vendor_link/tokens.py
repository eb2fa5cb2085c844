"""The vendor's signed link to one purchase order: ``/vendor/po/<token>`` on the mall's host.

The token is signed with the app's secret (itsdangerous, salt ``PO_LINK_SALT``),
timestamped, and carries three things: the shop's id, the PO's id and the PO's
``link_version``; no personal data. It works for ``MAX_AGE`` (30 days) after it was
made. Resending the PO raises its ``link_version``: every link sent before stops
working. A tampered token, an unknown shop or PO, an old version and a cancelled PO
all read as "no such link" (a 404, the same page whatever the reason); only an
expired link says so (410), so that the vendor knows to ask the shop for a new one.

The PO is read by id in the shop's own tenant context (``scoped_get``), so a token
opens exactly that shop's PO and nothing else.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from mall.extensions import db
from mall.urls import external_url
from tenants.context import tenant_context
from tenants.guard import scoped_get
from tenants.models import Tenant, TenantStatus
from vendors.errors import PurchasingError
from vendors.models import PurchaseOrder, PurchaseStatus

PO_LINK_SALT = "mall.vendors.po-link"
MAX_AGE = timedelta(days=30)
# Shops whose links answer nothing: not yet approved, or closed (their keys are gone).
UNSERVED = frozenset({TenantStatus.PENDING, TenantStatus.CLOSED})


class VendorLinkInvalid(PurchasingError):
    """A vendor link that does not verify or names no current PO (shown as a 404)."""


class VendorLinkExpired(VendorLinkInvalid):
    """A well-signed vendor link older than ``MAX_AGE`` (shown as a 410: ask the shop)."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=PO_LINK_SALT)


def po_token(po: PurchaseOrder) -> str:
    """The signed token of the PO's current vendor link (ids and a version only)."""
    return _serializer().dumps({"t": po.tenant_id.hex, "p": po.id.hex, "v": po.link_version})


def vendor_link_url(po: PurchaseOrder) -> str:
    """The vendor's page of ``po`` as an absolute URL on the mall (for the PO's email)."""
    return external_url("vendor_link.po", token=po_token(po))


def read_po_token(token: str) -> tuple[UUID, UUID, int]:
    """(shop id, PO id, link version) of a well-signed, unexpired token.

    Raises ``VendorLinkExpired`` for a good signature past ``MAX_AGE`` and
    ``VendorLinkInvalid`` for anything else.
    """
    invalid = VendorLinkInvalid("This link is not valid.")
    try:
        payload = _serializer().loads(token, max_age=int(MAX_AGE.total_seconds()))
    except SignatureExpired:
        raise VendorLinkExpired(
            "This link has expired: ask the shop to send the purchase order again."
        ) from None
    except BadSignature:
        raise invalid from None
    try:
        shop_id, po_id = UUID(hex=str(payload["t"])), UUID(hex=str(payload["p"]))
        version = payload["v"]
    except (ValueError, KeyError, TypeError):
        raise invalid from None
    if not isinstance(version, int) or isinstance(version, bool):
        raise invalid
    return shop_id, po_id, version


def open_po(token: str) -> PurchaseOrder:
    """The PO a token names, if the link is its current one and the PO is not cancelled.

    Raises ``VendorLinkExpired`` (expired) or ``VendorLinkInvalid`` (anything else).
    Work with the PO inside ``tenant_context(po.tenant_id)``.
    """
    shop_id, po_id, version = read_po_token(token)
    shop = db.session.get(Tenant, shop_id)
    if shop is None or shop.status in UNSERVED:
        raise VendorLinkInvalid("This link is not valid.")
    with tenant_context(shop):
        po = scoped_get(PurchaseOrder, po_id)
    if po is None or po.link_version != version or po.status is PurchaseStatus.CANCELLED:
        raise VendorLinkInvalid("This link is not valid.")
    return po


def po_from_token(token: str) -> PurchaseOrder | None:
    """The PO of a valid, current, unexpired vendor link; None otherwise."""
    try:
        return open_po(token)
    except VendorLinkInvalid:
        return None
