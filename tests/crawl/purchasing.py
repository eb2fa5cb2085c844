"""Purchase orders (back office): list, new, the PO page and its actions, PDF and printable page.

The factories here are also the purchasing tests' (``tests/vendors/test_po_*.py``).
"""

from __future__ import annotations

from uuid import UUID, uuid4

from mall.extensions import db

SHOP_ROUTES = {
    "purchasing.orders",
    "purchasing.new_order",
    "purchasing.order",
    "purchasing.pdf",
    "purchasing.document",
    "purchasing.send",
    "purchasing.resend",
    "purchasing.mark_sent",
    "purchasing.cancel",
    "purchasing.close",
    "purchasing.close_short",
    "purchasing.receive",
    "purchasing.update_lines",
    "purchasing.add_line",
    "purchasing.update_note",
}


def make_vendor(shop, *, name: str = "Acme Supplies", email: str | None = "orders@acme.test"):
    """An active vendor of ``shop`` (call in its context; flushed, not committed)."""
    from vendors.models import Vendor

    vendor = Vendor(name=name)
    vendor.email = email
    db.session.add(vendor)
    db.session.flush()
    return vendor


def make_variant(shop, *, title: str | None = None):
    """A physical product's only variant, none in stock (call in the shop's context)."""
    from mall.catalog import services

    sku = f"PO-{uuid4().hex[:10]}"
    product = services.create_product(
        services.ProductInput(
            title=title or f"Item {sku}",
            variants=[services.VariantInput(sku=sku, price=900)],
        )
    )
    return product.variants[0]


def supply(vendor, variant, *, pack_size: int = 1, unit_cost: int = 500, **kw):
    """``vendor`` supplies ``variant`` (flushed)."""
    from vendors.models import VendorProduct

    item = VendorProduct(
        vendor_id=vendor.id,
        variant_id=variant.id,
        vendor_sku=kw.pop("vendor_sku", f"V-{variant.sku}"),
        pack_size=pack_size,
        unit_cost=unit_cost,
        **kw,
    )
    db.session.add(item)
    db.session.flush()
    return item


def draft_po(shop, *, packs: int = 2, pack_size: int = 1, email: str | None = "orders@acme.test"):
    """A draft PO of ``shop`` with one line (call in its context; flushed)."""
    from vendors.purchasing.services import PoLineInput, create_purchase_order

    vendor = make_vendor(shop, email=email)
    variant = make_variant(shop)
    supply(vendor, variant, pack_size=pack_size)
    return create_purchase_order(
        vendor, lines=[PoLineInput(variant.id, packs)], actor_id=None, note="Back door."
    )


def make_po(shop) -> UUID:
    """A draft PO of ``shop`` (committed); its id."""
    from tenants.context import tenant_context

    with tenant_context(shop):
        po_id = draft_po(shop).id
        db.session.commit()
    return po_id


OBJECT_IDS = {"po_id": make_po}
