"""A shop's affiliate sales, /shop/<slug>/admin/affiliates/sales (blueprint
``affiliate_sales_admin``): the commissions its orders earned affiliates, newest first, with
totals by status, and one page per commission. Owners and managers (``payouts.view``: it is
money the shop pays, as on its Money page). Read-only; another shop's commission answers 404.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import g, render_template, request
from flask.typing import ResponseReturnValue

from affiliates.dashboard import sales
from affiliates.dashboard.views import STATUS_BADGES, STATUS_LABELS, commission_rate
from mall.errors import get_or_404
from mall.money import format_money
from mall.pagination import decode_position
from mall.shops.admin_views import member_can
from mall.shops.permissions import requires
from tenants.resolution import shop_blueprint

bp = shop_blueprint(
    "affiliate_sales_admin",
    __name__,
    admin=True,
    url_prefix="/admin/affiliates",
    template_folder="../templates",
)

TEMPLATES = "affiliates/dashboard/admin"


@bp.context_processor
def sales_helpers() -> dict[str, Any]:
    """What the templates (and ``shops/admin_base.html``) use."""
    return {
        "can": member_can,
        "shop": g.get("shop"),
        "format_money": format_money,
        "commission_label": lambda status: STATUS_LABELS.get(status, str(status)),
        "commission_badge": lambda status: STATUS_BADGES.get(status, "text-bg-light"),
        "rate_of": commission_rate,
    }


@bp.get("/sales")
@requires("payouts.view")
def sales_list() -> ResponseReturnValue:
    """The shop's affiliate commissions, newest first, and what they add up to by status."""
    shown = sales.sales_page(
        older_than=decode_position(request.args.get("older")),
        newer_than=decode_position(request.args.get("newer")),
    )
    return render_template(f"{TEMPLATES}/sales.html", **vars(shown))


@bp.get("/sales/<uuid:commission_id>")
@requires("payouts.view")
def sale(commission_id: UUID) -> ResponseReturnValue:
    """One commission: how it was worked out, where it stands, the affiliate's code."""
    detail = get_or_404(sales.sale_detail, commission_id)
    return render_template(f"{TEMPLATES}/sale.html", row=detail.row, changes=detail.changes)
