"""A test-only shop admin blueprint that reports the tenant context it ran in."""

from __future__ import annotations

from flask import g

from tenants.context import current_tenant_id
from tenants.resolution import shop_blueprint

bp = shop_blueprint("probe_admin", __name__, admin=True, url_prefix="/admin/probe")


@bp.route("/", methods=["GET", "POST"])
def probe() -> dict:
    return {"shop": g.shop.slug, "tenant_id": str(current_tenant_id())}


@bp.get("/boom")
def boom() -> dict:
    raise RuntimeError("an unexpected failure, for the 500 page")
