"""The catalog: categories, products, variants, stock, images, digital files, search."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Storefront, back-office and console pages of the catalog, its CLI and search upkeep."""
    from mall.catalog import (
        admin_views,
        category_admin,
        import_views,
        media_views,
        search_index,
        views,
    )
    from mall.catalog.cli import catalog_cli
    from mall.cli import add_commands

    assert search_index  # subscribes to shop_renamed and category_renamed on import
    for blueprint in (views.bp, admin_views.bp, import_views.bp, category_admin.bp, media_views.bp):
        app.register_blueprint(blueprint)
    add_commands(catalog_cli)
