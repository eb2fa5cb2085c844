"""Member shops: registration, settings, staff, invitations, and the gate to every back office."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Registration and invitation pages, the shop back office and its member-only gate."""
    from mall.shops import admin_links, admin_views, permissions, views
    from tenants.resolution import register_admin_gate

    register_admin_gate(permissions.admit_members)
    app.register_blueprint(views.bp)
    app.register_blueprint(admin_views.bp)
    app.add_template_global(admin_links.admin_tabs)
