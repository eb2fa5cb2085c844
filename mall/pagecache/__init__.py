"""Cached fragments of public pages, keyed by shop, object and version (see ``pages``).

``init_app`` picks the store (Redis at ``PAGE_CACHE_URL`` when set, which
defaults to ``MALL_REDIS_URL``; this process otherwise; none when
``PAGE_CACHE_ENABLED`` is false) and watches the tenancy core's shop rows.
Domains declare their own public tables with ``versions.watch``.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Choose the store, add ``form_nonce()`` to templates, watch shops and their domains."""
    from mall.pagecache import pages, store, versions
    from tenants.models import Tenant

    ttl = int(app.config.get("PAGE_CACHE_TTL", 600))
    if not app.config.get("PAGE_CACHE_ENABLED", True):
        chosen = None
    elif app.config.get("PAGE_CACHE_URL"):
        chosen = store.RedisStore(app.config["PAGE_CACHE_URL"], ttl=ttl)
    else:
        chosen = store.MemoryStore(ttl=ttl)
    app.extensions["mall.pagecache"] = chosen
    app.add_template_global(pages.form_nonce, "form_nonce")
    app.register_blueprint(pages.bp)
    # A shop's name, description, logo and status show on its pages and in mall-wide lists.
    versions.watch(Tenant, shop=lambda shop: shop.id, listings=True)
