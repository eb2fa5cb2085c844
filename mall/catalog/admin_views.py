"""A shop's catalog back office at /shop/<slug>/admin/catalog/."""

from __future__ import annotations

from tenants.resolution import shop_blueprint

bp = shop_blueprint(
    "catalog_admin", __name__, admin=True, url_prefix="/admin/catalog", template_folder="templates"
)
