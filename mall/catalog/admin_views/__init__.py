"""A shop's catalog back office at /shop/<slug>/admin/catalog/: one blueprint, ``catalog_admin``.

- ``products``: the product list and bulk actions, the product editor, deletion, stock;
- ``media_pages``: a product's images and digital files;
- ``csv_pages``: CSV import and export (``csv_*`` endpoints, under /admin/catalog/csv/).

Every view needs ``catalog.manage``. Objects are read by id through the tenant
guard (``services.get_*``), so another shop's ids answer 404.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import g

from mall.catalog import csv_io, media
from mall.catalog.models import Product
from mall.catalog.product_links import member_product_links
from mall.money import format_money
from mall.shops.permissions import can
from tenants.resolution import shop_blueprint

# Templates: mall/catalog/templates, registered by ``views.bp``.
bp = shop_blueprint("catalog_admin", __name__, admin=True, url_prefix="/admin/catalog")

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # a CSV file


def member_can(permission: str) -> bool:
    """True when the signed-in member's role includes ``permission`` in this shop."""
    membership = g.get("membership")
    return membership is not None and can(membership.role, permission)


def stock_summary(product: Product) -> dict[str, int]:
    """How a list row sums up stock: tracked units on hand, variants out and low."""
    tracked = [v for v in product.variants if v.track_stock]
    return {
        "on_hand": sum(v.stock_quantity for v in tracked),
        "tracked": len(tracked),
        "out": sum(1 for v in product.variants if not v.available),
        "low": sum(1 for v in product.variants if v.low_on_stock),
        "variants": len(product.variants),
    }


def parse_uuid(raw: str | None) -> UUID | None:
    """``raw`` as a UUID, or None when it is not one."""
    try:
        return UUID(raw or "")
    except ValueError:
        return None


@bp.context_processor
def catalog_helpers() -> dict[str, Any]:
    """What the back office templates (and ``shops/admin_base.html``) use."""
    return {
        "can": member_can,
        "shop": g.get("shop"),
        "format_money": format_money,
        "human_size": media.human_size,
        "stock_summary": stock_summary,
        "required_columns": csv_io.REQUIRED,
        "max_upload_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
    }


@bp.app_template_global("product_links")
def product_links() -> list[tuple[str, str]]:
    """The links other parts added to a product's header that this member may follow."""
    return member_product_links()


# The pages add their routes to ``bp`` (they import it from here).
from mall.catalog.admin_views import csv_pages, media_pages, products  # noqa: E402, F401
