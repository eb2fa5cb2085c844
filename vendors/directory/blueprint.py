"""The ``vendors_directory`` blueprint, /shop/<slug>/admin/purchasing/: vendors, what each
supplies, the reorder suggestions and the purchasing settings (``purchasing.manage``).

Its routes live in ``admin_views`` (vendors, vendor products) and ``purchasing_views``
(a product's vendors, reorder, settings). Rows are read by id through the tenant guard,
so another shop's ids answer 404.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g

from mall.shops.admin_views import member_can
from tenants.keys import reveal
from tenants.resolution import shop_blueprint

bp = shop_blueprint(
    "vendors_directory",
    __name__,
    admin=True,
    url_prefix="/admin/purchasing",
    template_folder="../templates",
)


def has_endpoint(name: str) -> bool:
    """Is ``name`` a route of this app (the other purchasing pages may not be there yet)?"""
    return name in current_app.view_functions


@bp.context_processor
def directory_helpers() -> dict[str, Any]:
    """What the templates (and ``shops/admin_base.html``) use."""
    return {"can": member_can, "shop": g.get("shop"), "reveal": reveal}
