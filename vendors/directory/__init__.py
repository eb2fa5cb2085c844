"""Vendors, what each supplies (vendor products), the shop's purchasing settings, reorder
suggestions.
"""

from __future__ import annotations

from flask import Flask


def wire(app: Flask) -> None:
    """Register this part's pages, jobs and subscribers (called by ``vendors.init_app``).

    The back office's "Purchasing" tab leads to the vendor list and stays current on
    every purchasing page (POs and bills are other parts' blueprints); each product's
    header in the catalog links to the product's vendors.
    """
    from mall.catalog.product_links import add_product_link
    from mall.shops.admin_links import add_admin_link
    from vendors.directory import admin_views, purchasing_views  # noqa: F401  (routes)
    from vendors.directory.blueprint import bp, has_endpoint

    app.register_blueprint(bp)
    app.add_template_global(has_endpoint, "purchasing_has_endpoint")
    add_admin_link(
        app,
        "vendors_directory.vendors",
        "Purchasing",
        permission="purchasing.manage",
        prefixes=("vendors_directory.", "purchasing.", "vendor_bills."),
    )
    add_product_link(
        app, "vendors_directory.product_vendors", "Vendors", permission="purchasing.manage"
    )
