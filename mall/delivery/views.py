"""The buyer's downloads: ``delivery`` blueprint, outside any shop's path.

- ``/downloads/order/<token>``: an order's files and licence keys, reached by
  the signed link of the email (no sign-in: guests buy too). Keys are shown
  decrypted here, to the holder of the link, and on the shop's order page.
  The link is revoked with the order's tracking link ("New tracking link").
- ``/downloads/file/<token>``: one file, through a signed and timed link;
  a request from the file's first byte counts one download, a resumed range
  does not (``mall.delivery.downloads``); logged with the IP address sealed.

On a shop's own host (subdomain, custom domain) only that shop's orders and
files are served, as on the tracking page; the mall's host serves every shop's.
- ``/account/downloads``: a signed-in customer's grants in every shop.

A link that was altered answers 404, one too old 410; an expired grant 410 and
a file whose limit is reached 403, a file missing from storage 503 (nothing
counted, an error logged), each with its own sentence and how to reach the
shop. A HEAD request is answered with headers only and never counted.
"""

from __future__ import annotations

import logging
from uuid import UUID

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from mall.catalog.models import DigitalFile
from mall.delivery import downloads, queries
from mall.delivery.downloads import DownloadRefused
from mall.delivery.models import DownloadGrant
from mall.delivery.services import get_grant
from mall.delivery.tokens import LinkExpired, LinkInvalid, read_file_token, read_order_token
from mall.extensions import db
from mall.orders.services import get_order
from mall.orders.tracking_views import served_on_this_host
from mall.pagination import page_number
from tenants.context import tenant_context
from tenants.guard import scoped_get
from tenants.keys import reveal
from tenants.models import Tenant, TenantStatus

bp = Blueprint("delivery", __name__, template_folder="templates")
log = logging.getLogger(__name__)

REFUSALS = {
    "invalid": (404, "This link is not valid", "The link is incomplete or was changed."),
    "link_expired": (
        410,
        "This download link has expired",
        "Download links work for a limited time. Open the downloads page from your email "
        "again to get fresh links.",
    ),
    "expired": (
        410,
        "Your download access has expired",
        "The time to download this item is over.",
    ),
    "limit": (
        403,
        "Download limit reached",
        "This file was downloaded as many times as the purchase allows.",
    ),
    "revoked": (
        403,
        "Download access withdrawn",
        "Access to this item was withdrawn, for example because it was refunded.",
    ),
    "unavailable": (
        503,
        "The file is not available right now",
        "Your download was not counted. The shop has been told; try again later.",
    ),
}


def _refuse(
    reason: str, shop: Tenant | None = None, order_number: str | None = None
) -> ResponseReturnValue:
    code, title, sentence = REFUSALS[reason]
    contact = reveal(shop, "contact_email") if shop is not None else None
    return render_template(
        "delivery/refused.html",
        code=code,
        title=title,
        sentence=sentence,
        reason=reason,
        shop=shop,
        contact=contact,
        order_number=order_number,
    ), code


def _open_shop(shop_id: UUID) -> Tenant | None:
    shop = db.session.get(Tenant, shop_id)
    return None if shop is None or shop.status is TenantStatus.CLOSED else shop


@bp.get("/downloads/order/<token>")
def order_page(token: str) -> ResponseReturnValue:
    """An order's files (fresh signed links) and licence keys."""
    try:
        shop_id, order_id, version = read_order_token(token)
    except LinkInvalid:
        return _refuse("invalid")
    shop = _open_shop(shop_id)
    if shop is None or not served_on_this_host(shop.id):
        return _refuse("invalid")
    with tenant_context(shop):
        order = get_order(order_id)
        if order is None or order.tracking_version != version:  # replaced: "New tracking link"
            return _refuse("invalid")
        rows = queries.order_downloads(order, links=True, absolute=False)
        contact = reveal(shop, "contact_email")
        response = render_template(
            "delivery/order.html",
            order=order,
            shop=shop,
            rows=rows,
            contact=contact,
            resume_hours=downloads.RESUME_HOURS,
        )
    return response, 200, {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}


@bp.get("/downloads/file/<token>")
def download(token: str) -> ResponseReturnValue:
    """One file of a grant: counted once (not a resumed range), logged, then sent (or handed
    to the web server)."""
    try:
        shop_id, grant_id, file_id = read_file_token(token)
    except LinkExpired:
        return _refuse("link_expired")
    except LinkInvalid:
        return _refuse("invalid")
    shop = _open_shop(shop_id)
    if shop is None or not served_on_this_host(shop.id):
        return _refuse("invalid")
    with tenant_context(shop):
        grant = get_grant(grant_id)
        file = scoped_get(DigitalFile, file_id)
        if grant is None or file is None or file.variant_id != grant.variant_id:
            return _refuse("invalid")
        order = get_order(grant.order_id)
        number = order.number if order is not None else None
        head = request.method == "HEAD"
        try:
            if head:  # a link checker or preview: nothing counted, nothing logged
                downloads.check_download(grant, file)
            response = downloads.file_response(file, head=head, request=request)
            if not head:
                _count(grant, file, response)
        except DownloadRefused as refused:
            db.session.rollback()
            return _refuse(refused.reason, shop, number)
        except FileNotFoundError:
            db.session.rollback()
            log.error("download file missing from storage: file %s of shop %s", file.id, shop.id)
            return _refuse("unavailable", shop, number)
        return response


def _count(grant: DownloadGrant, file: DigitalFile, response: Response) -> None:
    """Count the download unless it resumes one counted lately (a range past byte 0)."""
    if response.status_code == 304:  # the client has the file: checked, not counted
        downloads.check_download(grant, file)
        return
    start = downloads.first_byte(response, request, file.size_bytes)
    if start > 0 and downloads.counted_recently(grant, file):
        downloads.check_download(grant, file, limit=False)
        return
    downloads.take_download(grant, file, ip=request.remote_addr)
    db.session.commit()


@bp.get("/account/downloads")
@login_required
def account_downloads() -> ResponseReturnValue:
    """The signed-in customer's downloads and keys from every shop, newest first."""
    found = queries.customer_downloads(current_user.id, page=page_number(request.args.get("page")))
    return (
        render_template("delivery/account.html", page=found),
        200,
        {"Cache-Control": "private, no-store"},
    )
