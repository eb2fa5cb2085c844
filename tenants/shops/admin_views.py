"""A shop's back office at /shop/<slug>/admin/: dashboard, settings, staff."""

from __future__ import annotations

from tenants.resolution import shop_blueprint

bp = shop_blueprint("shop_admin", __name__, admin=True, url_prefix="/admin", template_folder="templates")
