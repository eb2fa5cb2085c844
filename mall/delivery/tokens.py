"""Signed links to a buyer's downloads: ids only, unguessable, refused when altered.

- The order's downloads page (``/downloads/order/<token>``): the shop's and the
  order's ids and the order's ``tracking_version``, signed with the app's
  secret. It lives as long as the order's access does (the page then says what
  expired) and is revoked with the tracking link: "New tracking link" raises the
  version, and every older downloads link answers 404 too. A link made before
  the version was carried (two ids) counts as version 1, the first one, so it
  works until the first renewal.
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


FIRST_VERSION = 1  # ``Order.tracking_version`` of an order whose link was never renewed


def order_token(order: Order) -> str:
    """The signed token of an order's downloads page (revoked with its tracking link)."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=ORDER_SALT).dumps(
        [order.tenant_id.hex, order.id.hex, order.tracking_version]
    )


def order_link(order: Order) -> str:
    """The absolute link to an order's downloads page (for emails)."""
    return external_url("delivery.order_page", token=order_token(order))


def read_order_token(token: str) -> tuple[UUID, UUID, int]:
    """(shop id, order id, tracking version) of a downloads page token; LinkInvalid when it
    is not one. Compare the version with the order's: an older one was revoked."""
    try:
        payload = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=ORDER_SALT).loads(token)
    except BadSignature:
        raise LinkInvalid(token) from None
    if isinstance(payload, list) and len(payload) == 3:
        *ids, version = payload
        if not isinstance(version, int) or isinstance(version, bool):
            raise LinkInvalid("version")
        shop_id, order_id = _ids(ids, 2)
        return shop_id, order_id, version
    shop_id, order_id = _ids(payload, 2)  # a link sent before versions: the first version
    return shop_id, order_id, FIRST_VERSION


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
