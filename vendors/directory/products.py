"""Vendor products: what a vendor supplies of one of the shop's variants, at what cost per pack.

One vendor per variant may be *preferred* (the one reorder suggestions order from): the
partial unique index ``uq_vendor_products_preferred`` is the guard, and ``set_preferred``
unsets the old one before setting the new one, in the same transaction. A purchase order
copies what it needs from a vendor product (SKU, pack size, cost), so removing one never
changes a PO.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from mall.catalog.models import Product, Variant
from mall.extensions import db
from mall.money import check_amount
from mall.numbers import check_whole
from mall.pagination import Page
from tenants.guard import scoped_get
from vendors.directory.services import VendorInvalid
from vendors.errors import PurchasingError
from vendors.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseStatus,
    Vendor,
    VendorProduct,
    VendorStatus,
)

MAX_VENDOR_SKU = 64
MAX_PACK_SIZE = 100_000
MAX_MIN_PACKS = 100_000
# A PO still waiting for goods (what removing a vendor product warns about).
OPEN_PO = (PurchaseStatus.DRAFT, PurchaseStatus.SENT, PurchaseStatus.PARTIALLY_RECEIVED)


@dataclass(frozen=True)
class SupplyInput:
    """The terms of a vendor product, parsed by the form (amounts in minor units)."""

    vendor_sku: str = ""
    unit_cost: int = 0
    pack_size: int = 1
    min_order_packs: int = 1
    drop_ship: bool = False
    preferred: bool = False


@dataclass(frozen=True)
class Supplied:
    """A vendor product with the variant and product it is of (for the pages)."""

    item: VendorProduct
    variant: Variant
    product: Product
    vendor: Vendor


def get_vendor_product(vendor_product_id: UUID | str | None) -> VendorProduct | None:
    """The vendor product of the shop in context with this id, or None."""
    return scoped_get(VendorProduct, vendor_product_id)


def variant_by_sku(sku: str) -> Variant | None:
    """The shop's variant with this SKU (exactly, after trimming), or None."""
    text = (sku or "").strip()
    if not text or len(text) > MAX_VENDOR_SKU:
        return None
    return db.session.scalar(sa.select(Variant).where(Variant.sku == text))


def _check(terms: SupplyInput) -> None:
    if len(terms.vendor_sku.strip()) > MAX_VENDOR_SKU:
        raise VendorInvalid(
            f"Use at most {MAX_VENDOR_SKU} characters for the vendor's SKU.", field="vendor_sku"
        )
    message = check_amount(terms.unit_cost)
    if message:
        raise VendorInvalid(message, field="unit_cost")
    message = check_whole(terms.pack_size, minimum=1, maximum=MAX_PACK_SIZE)
    if message:
        raise VendorInvalid(message, field="pack_size")
    message = check_whole(terms.min_order_packs, minimum=1, maximum=MAX_MIN_PACKS)
    if message:
        raise VendorInvalid(message, field="min_order_packs")


def _apply(item: VendorProduct, terms: SupplyInput) -> None:
    item.vendor_sku = terms.vendor_sku.strip()
    item.unit_cost = terms.unit_cost
    item.pack_size = terms.pack_size
    item.min_order_packs = terms.min_order_packs
    item.drop_ship = terms.drop_ship


def add_vendor_product(
    vendor: Vendor, *, sku: str, terms: SupplyInput, actor_id: UUID | None
) -> VendorProduct:
    """Record that ``vendor`` supplies the shop's variant with ``sku``, on ``terms``.

    Raises VendorInvalid for an archived vendor, an SKU the shop does not have, a
    variant the vendor already supplies, or terms out of range.
    """
    if vendor.status is not VendorStatus.ACTIVE:
        raise PurchasingError("This vendor is archived: restore it before adding products.")
    variant = variant_by_sku(sku)
    if variant is None:
        shown = (sku or "").strip()[:MAX_VENDOR_SKU]
        raise VendorInvalid(f"None of your products has the SKU “{shown}”.", field="sku")
    _check(terms)
    item = VendorProduct(vendor_id=vendor.id, variant_id=variant.id)
    _apply(item, terms)
    try:
        with db.session.begin_nested():
            db.session.add(item)
            db.session.flush()
    except IntegrityError:
        raise VendorInvalid(
            f"{vendor.name} already supplies {variant.sku}: edit it below.", field="sku"
        ) from None
    if terms.preferred:
        set_preferred(item, actor_id=actor_id)
    return item


def update_vendor_product(
    item: VendorProduct, *, terms: SupplyInput, actor_id: UUID | None
) -> VendorProduct:
    """Change a vendor product's terms; ``terms.preferred`` sets or unsets the preference."""
    _check(terms)
    _apply(item, terms)
    db.session.flush()
    if terms.preferred and not item.preferred:
        set_preferred(item, actor_id=actor_id)
    elif not terms.preferred and item.preferred:
        item.preferred = False
        db.session.flush()
    return item


def set_preferred(item: VendorProduct, *, actor_id: UUID | None) -> bool:
    """Make ``item`` its variant's preferred vendor; the previous one stops being it.

    The old preference is unset by one UPDATE before this one is set, in the same
    transaction: the partial unique index refuses two at once (a race loses there).
    False when it already was the preferred one.
    """
    del actor_id
    if item.preferred:
        return False
    db.session.execute(
        sa.update(VendorProduct)
        .where(
            VendorProduct.variant_id == item.variant_id,
            VendorProduct.preferred.is_(True),
            VendorProduct.id != item.id,
        )
        .values(preferred=False)
        .execution_options(synchronize_session="fetch")
    )
    item.preferred = True
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise PurchasingError(
            "Another vendor was made preferred at the same time: reload the page."
        ) from None
    return True


def open_orders_using(item: VendorProduct) -> int:
    """How many of the vendor's open POs (draft, sent, partly received) name this variant."""
    return (
        db.session.scalar(
            sa.select(sa.func.count(sa.distinct(PurchaseOrder.id)))
            .join(
                PurchaseOrderLine,
                sa.and_(
                    PurchaseOrderLine.tenant_id == PurchaseOrder.tenant_id,
                    PurchaseOrderLine.po_id == PurchaseOrder.id,
                ),
            )
            .where(
                PurchaseOrder.vendor_id == item.vendor_id,
                PurchaseOrder.status.in_(OPEN_PO),
                PurchaseOrderLine.variant_id == item.variant_id,
            )
        )
        or 0
    )


def remove_vendor_product(item: VendorProduct, *, actor_id: UUID | None) -> int:
    """Stop recording that the vendor supplies this variant. Open POs keep their copies of
    its terms; returns how many still name it (for the message)."""
    del actor_id
    still = open_orders_using(item)
    db.session.delete(item)
    db.session.flush()
    return still


def _supplied(statement: sa.Select) -> sa.Select:
    return (
        statement.join(
            Variant,
            sa.and_(
                Variant.tenant_id == VendorProduct.tenant_id,
                Variant.id == VendorProduct.variant_id,
            ),
        )
        .join(
            Product,
            sa.and_(Product.tenant_id == Variant.tenant_id, Product.id == Variant.product_id),
        )
        .join(
            Vendor,
            sa.and_(
                Vendor.tenant_id == VendorProduct.tenant_id, Vendor.id == VendorProduct.vendor_id
            ),
        )
    )


def products_of_vendor(vendor: Vendor, *, page: int = 1, per_page: int = 50) -> Page:
    """What the vendor supplies, by product title and SKU: a page of ``Supplied`` (2 queries)."""
    statement = _supplied(
        sa.select(VendorProduct, Variant, Product, Vendor).where(
            VendorProduct.vendor_id == vendor.id
        )
    ).order_by(Product.title, Variant.sku, VendorProduct.id)
    total = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(VendorProduct)
        .where(VendorProduct.vendor_id == vendor.id)
    )
    per_page = max(1, per_page)
    rows = db.session.execute(statement.limit(per_page).offset((max(page, 1) - 1) * per_page))
    items = [Supplied(*row) for row in rows]
    return Page(items=items, page=max(page, 1), per_page=per_page, total=total or 0)


def vendors_of_product(product: Product) -> dict[UUID, list[Supplied]]:
    """Each variant's vendors (preferred first, then by name), by variant id (one query)."""
    rows = db.session.execute(
        _supplied(
            sa.select(VendorProduct, Variant, Product, Vendor).where(
                Variant.product_id == product.id
            )
        ).order_by(VendorProduct.preferred.desc(), Vendor.name, Vendor.id)
    )
    found: dict[UUID, list[Supplied]] = {}
    for row in rows:
        supplied = Supplied(*row)
        found.setdefault(supplied.variant.id, []).append(supplied)
    return found


def get_product(product_id: UUID | str | None) -> Product | None:
    """The shop's product with this id, or None (the product's vendors page)."""
    return scoped_get(Product, product_id)


def count_supplied(vendor: Vendor) -> int:
    """How many variants the vendor supplies."""
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(VendorProduct)
            .where(VendorProduct.vendor_id == vendor.id)
        )
        or 0
    )


def variant_of(item: VendorProduct) -> Variant:
    """The shop's variant a vendor product is of (the foreign key keeps it there)."""
    found = scoped_get(Variant, item.variant_id)
    assert found is not None  # deleting a variant deletes its vendor products
    return found
