"""CSV import and export of a shop's catalog at /shop/<slug>/admin/catalog/csv/."""

from __future__ import annotations

from tenants.resolution import shop_blueprint

bp = shop_blueprint(
    "catalog_csv",
    __name__,
    admin=True,
    url_prefix="/admin/catalog/csv",
    template_folder="templates",
)
