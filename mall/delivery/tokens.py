"""Signed links to a buyer's downloads: ids only, unguessable, refused when altered.

- The order's downloads page (``/downloads/order/<token>``): the shop's and the
  order's ids, signed with the app's secret. It lives as long as the order's
  access does (the page then says what expired).
- A file (``/downloads/file/<token>``): the shop's, grant's and file's ids,
  signed and timed; ``DOWNLOAD_LINK_TTL`` seconds after it was made it is
  refused as expired (the downloads page makes fresh ones).

Tokens carry no personal data: they end up in browser histories and logs.
"""

from __future__ import annotations

from uuid import UUID

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

from mall.delivery.models import DownloadGrant
from mall.orders.models import Order
from mall.urls import external_url

ORDER_SALT = "mall.delivery.order"
FILE_SALT = "mall.delivery.file"
DEFAULT_LINK_TTL = 7 * 24 * 3600


class LinkInvalid(ValueError):
    """A link that was altered, cut short or made for something else."""


class LinkExpired(ValueError):
    """A file link older than ``DOWNLOAD_LINK_TTL``."""


def link_ttl() -> int:
    """Seconds a file link works after it was made."""
    return int(current_app.config.get("DOWNLOAD_LINK_TTL") or DEFAULT_LINK_TTL)


def order_token(order: Order) -> str:
    """The signed token of an order's downloads page."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=ORDER_SALT).dumps(
        [order.tenant_id.hex, order.id.hex]
    )


def order_link(order: Order) -> str:
    """The absolute link to an order's downloads page (for emails)."""
    return external_url("delivery.order_page", token=order_token(order))


def read_order_token(token: str) -> tuple[UUID, UUID]:
    """(shop id, order id) of a downloads page token; LinkInvalid when it is not one."""
    try:
        payload = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=ORDER_SALT).loads(token)
    except BadSignature:
        raise LinkInvalid(token) from None
    return _ids(payload, 2)  # type: ignore[return-value]


def file_token(grant: DownloadGrant, file_id: UUID) -> str:
    """The signed, timed token of one file of a grant."""
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=FILE_SALT).dumps(
        [grant.tenant_id.hex, grant.id.hex, file_id.hex]
    )


def read_file_token(token: str) -> tuple[UUID, UUID, UUID]:
    """(shop id, grant id, file id); LinkExpired when too old, LinkInvalid when not a token."""
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=FILE_SALT)
    try:
        payload = serializer.loads(token, max_age=link_ttl())
    except SignatureExpired:
        raise LinkExpired(token) from None
    except BadSignature:
        raise LinkInvalid(token) from None
    return _ids(payload, 3)  # type: ignore[return-value]


def _ids(payload: object, count: int) -> tuple[UUID, ...]:
    if not isinstance(payload, list) or len(payload) != count:
        raise LinkInvalid("shape")
    try:
        return tuple(UUID(hex=str(part)) for part in payload)
    except ValueError:
        raise LinkInvalid("ids") from None
