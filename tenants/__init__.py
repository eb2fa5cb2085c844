"""Tenancy core: shops (tenants), their context, isolation and row-level security,
the key service, the audit log and platform settings.

It ranks below the mall's domains: it imports mall core only, and announces
what the domains need through hooks (the admin gate, the jobs' tenant scope).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Key service, ORM guard, shop resolution (paths, subdomains, custom domains) and
    the shop cache public pages find their shop in."""
    from mall.cli import add_commands
    from tenants import guard, keys, shop_cache, shop_links, views
    from tenants.keys.cli import keys_cli
    from tenants.resolution import ShopHostMiddleware, leave_shop

    assert guard  # its session hooks register on import
    keys.init_app(app)
    shop_cache.init_app(app)
    app.register_blueprint(views.bp)
    app.teardown_request(leave_shop)
    app.wsgi_app = ShopHostMiddleware(app.wsgi_app, app)  # type: ignore[method-assign]
    shop_links.init_app(app)
    add_commands(keys_cli)
