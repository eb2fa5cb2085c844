"""Purchasing, vendors part: the vendor list and pages, vendor products, a product's vendors,
reorder suggestions and the purchasing settings (back office). Also the factories the
vendor tests use."""

from __future__ import annotations

from uuid import uuid4

from mall.extensions import db

SHOP_ROUTES = {
    "vendors_directory.vendors",
    "vendors_directory.new_vendor",
    "vendors_directory.vendor",
    "vendors_directory.edit_vendor",
    "vendors_directory.archive_vendor",
    "vendors_directory.restore_vendor",
    "vendors_directory.add_product",
    "vendors_directory.edit_product",
    "vendors_directory.prefer_product",
    "vendors_directory.remove_product",
    "vendors_directory.product_vendors",
    "vendors_directory.reorder_page",
    "vendors_directory.create_drafts",
    "vendors_directory.settings_page",
}


def new_vendor(name: str = "Acme Supplies", **fields):
    """A vendor of the shop in context (flushed, not committed)."""
    from vendors.directory.services import VendorInput, create_vendor

    return create_vendor(VendorInput(name=name, **fields), actor_id=None)


def new_variant(*, sku: str | None = None, stock: int = 0, threshold: int = 0, title=None):
    """A physical product of the shop in context with one variant (flushed); the variant."""
    from mall.catalog import services
    from mall.catalog.models import StockReason
    from mall.catalog.stock import adjust_stock

    sku = sku or f"SKU-{uuid4().hex[:8]}"
    product = services.create_product(
        services.ProductInput(
            title=title or f"Product {sku}",
            variants=[services.VariantInput(sku=sku, price=1000, low_stock_threshold=threshold)],
        )
    )
    variant = product.variants[0]
    if stock:
        adjust_stock(variant, stock, reason=StockReason.ADJUSTMENT, note="Counted.")
    return variant


def new_vendor_product(vendor, variant, **terms):
    """``vendor`` supplies ``variant`` on ``terms`` (flushed)."""
    from vendors.directory.products import SupplyInput, add_vendor_product

    terms.setdefault("unit_cost", 500)
    return add_vendor_product(vendor, sku=variant.sku, terms=SupplyInput(**terms), actor_id=None)


def make_vendor(shop):
    """A vendor of ``shop`` (committed); its id."""
    from tenants.context import tenant_context

    with tenant_context(shop):
        vendor_id = new_vendor(email="sales@acme.example").id
        db.session.commit()
    return vendor_id


def make_vendor_product(shop):
    """A vendor product of ``shop`` (committed); its id."""
    from tenants.context import tenant_context

    with tenant_context(shop):
        item_id = new_vendor_product(new_vendor(), new_variant()).id
        db.session.commit()
    return item_id


OBJECT_IDS = {"vendor_id": make_vendor, "vendor_product_id": make_vendor_product}
