"""The catalog: categories, products, variants, stock, images, digital files, search."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The catalog's pages (public, shop back office, operator console), its CLI group, and
    the search index's upkeep: a renamed shop or category has its products reindexed."""
    from mall.catalog import admin_views, console_views, search_index, views
    from mall.catalog.cli import catalog_cli
    from mall.catalog.models import Category, Product, ProductImage, Variant
    from mall.cli import add_commands
    from mall.pagecache.versions import watch
    from mall.signals import category_renamed, shop_renamed

    for blueprint in (views.bp, views.shop_bp, admin_views.bp, console_views.bp):
        app.register_blueprint(blueprint)
    add_commands(catalog_cli)
    shop_renamed.connect(search_index.reindex_renamed_shop)
    category_renamed.connect(search_index.reindex_renamed_category)
    # What public pages show: products and their first image in every list, variants
    # (price, stock) on the shop's pages, categories on every page.
    watch(Product, listings=True)
    watch(ProductImage, listings=True)
    watch(Variant)
    watch(Category, tree=True)
