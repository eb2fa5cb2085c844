"""Reorder suggestions: tracked variants at or below their low-stock threshold, what to order
from whom, and "Create draft POs" (one draft per preferred vendor).

A variant is suggested when it tracks stock, has a threshold above 0 and
``stock_quantity <= low_stock_threshold``. What stock POs already bring counts first:
packs ordered, less received and closed short, times the line's pack size, on POs sent
or partly received and on drafts (a draft made from this page must not be suggested
again, which is also what makes a repeated click make nothing new). Drop-ship POs go to
customers, never to stock: they do not count. The suggestion is enough packs of the
preferred vendor to get back above the threshold, at least its minimum order. Three
queries, whatever the number of variants shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from uuid import UUID

import sqlalchemy as sa

from mall.catalog.models import Product, Variant
from mall.extensions import db
from vendors.directory.settings import locked_settings
from vendors.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseStatus,
    Vendor,
    VendorProduct,
    VendorStatus,
)
from vendors.purchasing.services import MAX_LINES, PoLineInput, create_purchase_order

# Past this many low variants the page shows the first ones by product title (say so).
MAX_SUGGESTED = 500
OPEN = (PurchaseStatus.SENT, PurchaseStatus.PARTIALLY_RECEIVED)


@dataclass(frozen=True)
class Suggestion:
    """One low variant: what is on order, its preferred vendor's terms, what to order."""

    variant: Variant
    product: Product
    on_order: int  # units on sent or partly received POs
    on_draft: int  # units on draft POs
    supply: VendorProduct | None  # the preferred (active) vendor's terms
    vendors: int  # how many active vendors supply it
    packs: int  # packs to order (0: what is on order is enough, or no preferred vendor)

    @property
    def short(self) -> int:
        """Units missing to be back above the threshold, after what is on order."""
        have = self.variant.stock_quantity + self.on_order + self.on_draft
        return max(0, self.variant.low_stock_threshold + 1 - have)

    @property
    def units(self) -> int:
        """Stock units the suggested packs bring."""
        return self.packs * self.supply.pack_size if self.supply else 0

    @property
    def cost(self) -> int:
        return self.packs * self.supply.unit_cost if self.supply else 0


@dataclass
class VendorGroup:
    """The suggestions of one preferred vendor: one draft PO."""

    vendor: Vendor
    suggestions: list[Suggestion] = field(default_factory=list)

    @property
    def cost(self) -> int:
        return sum(item.cost for item in self.suggestions)


@dataclass
class Reorder:
    """The suggestions page: per vendor, those without a preferred vendor, those covered."""

    groups: list[VendorGroup]
    unassigned: list[Suggestion]
    covered: list[Suggestion]
    truncated: bool

    @property
    def empty(self) -> bool:
        return not (self.groups or self.unassigned or self.covered)


def packs_for(short: int, supply: VendorProduct) -> int:
    """Packs that bring at least ``short`` units, never fewer than the vendor's minimum."""
    if short <= 0:
        return 0
    return max(-(-short // supply.pack_size), supply.min_order_packs)


def _low_variants() -> list[tuple[Variant, Product]]:
    rows = db.session.execute(
        sa.select(Variant, Product)
        .join(
            Product,
            sa.and_(Product.tenant_id == Variant.tenant_id, Product.id == Variant.product_id),
        )
        .where(
            Variant.track_stock.is_(True),
            Variant.low_stock_threshold > 0,
            Variant.stock_quantity <= Variant.low_stock_threshold,
        )
        .order_by(Product.title, Variant.sku, Variant.id)
        .limit(MAX_SUGGESTED + 1)
    )
    return [(variant, product) for variant, product in rows]


def _on_order(variant_ids: list[UUID]) -> dict[tuple[UUID, bool], int]:
    """Units still to come per (variant, on a draft?) from stock POs (one query)."""
    outstanding = (
        PurchaseOrderLine.quantity_ordered
        - PurchaseOrderLine.quantity_received
        - PurchaseOrderLine.quantity_closed
    )
    units = sa.case((outstanding > 0, outstanding), else_=0) * PurchaseOrderLine.pack_size
    rows = db.session.execute(
        sa.select(PurchaseOrderLine.variant_id, PurchaseOrder.status, sa.func.sum(units))
        .join(
            PurchaseOrder,
            sa.and_(
                PurchaseOrder.tenant_id == PurchaseOrderLine.tenant_id,
                PurchaseOrder.id == PurchaseOrderLine.po_id,
            ),
        )
        .where(
            PurchaseOrderLine.variant_id.in_(variant_ids),
            PurchaseOrder.status.in_((PurchaseStatus.DRAFT, *OPEN)),
            PurchaseOrder.drop_ship.is_(False),
        )
        .group_by(PurchaseOrderLine.variant_id, PurchaseOrder.status)
    )
    found: dict[tuple[UUID, bool], int] = {}
    for variant_id, status, total in rows:
        key = (variant_id, status == PurchaseStatus.DRAFT)
        found[key] = found.get(key, 0) + int(total or 0)
    return found


def _supplies(variant_ids: list[UUID]) -> dict[UUID, list[tuple[VendorProduct, Vendor]]]:
    """Active vendors' terms per variant (one query)."""
    rows = db.session.execute(
        sa.select(VendorProduct, Vendor)
        .join(
            Vendor,
            sa.and_(
                Vendor.tenant_id == VendorProduct.tenant_id, Vendor.id == VendorProduct.vendor_id
            ),
        )
        .where(VendorProduct.variant_id.in_(variant_ids), Vendor.status == VendorStatus.ACTIVE)
    )
    found: dict[UUID, list[tuple[VendorProduct, Vendor]]] = {}
    for item, vendor in rows:
        found.setdefault(item.variant_id, []).append((item, vendor))
    return found


def _suggest(
    variant: Variant,
    product: Product,
    on_order: dict[tuple[UUID, bool], int],
    supplies: list[tuple[VendorProduct, Vendor]],
) -> tuple[Suggestion, Vendor | None]:
    preferred = next(((item, vendor) for item, vendor in supplies if item.preferred), None)
    suggestion = Suggestion(
        variant=variant,
        product=product,
        on_order=on_order.get((variant.id, False), 0),
        on_draft=on_order.get((variant.id, True), 0),
        supply=preferred[0] if preferred else None,
        vendors=len(supplies),
        packs=0,
    )
    if preferred is None:
        return suggestion, None
    packs = packs_for(suggestion.short, preferred[0])
    return replace(suggestion, packs=packs), preferred[1]


def reorder_suggestions() -> Reorder:
    """What to reorder, grouped by preferred vendor (vendors by name)."""
    low = _low_variants()
    truncated = len(low) > MAX_SUGGESTED
    low = low[:MAX_SUGGESTED]
    ids = [variant.id for variant, _ in low]
    on_order = _on_order(ids) if ids else {}
    supplies = _supplies(ids) if ids else {}
    groups: dict[UUID, VendorGroup] = {}
    unassigned: list[Suggestion] = []
    covered: list[Suggestion] = []
    for variant, product in low:
        suggestion, vendor = _suggest(variant, product, on_order, supplies.get(variant.id, []))
        if suggestion.short <= 0:
            covered.append(suggestion)
        elif vendor is None:
            unassigned.append(suggestion)
        else:
            groups.setdefault(vendor.id, VendorGroup(vendor)).suggestions.append(suggestion)
    ordered = sorted(groups.values(), key=lambda item: (item.vendor.name.lower(), item.vendor.id))
    return Reorder(groups=ordered, unassigned=unassigned, covered=covered, truncated=truncated)


def create_draft_orders(
    *, actor_id: UUID | None, vendor_id: UUID | None = None
) -> list[PurchaseOrder]:
    """One draft PO per preferred vendor from the suggestions (only ``vendor_id``'s when given).

    Requests of one shop take turns (its settings row is locked), and drafts count as on
    order: a repeated click finds nothing left to suggest and makes nothing. Returns the
    POs made (a vendor with more lines than a PO holds gets several).
    """
    locked_settings()
    made: list[PurchaseOrder] = []
    for group in reorder_suggestions().groups:
        if vendor_id is not None and group.vendor.id != vendor_id:
            continue
        lines = [PoLineInput(item.variant.id, item.packs) for item in group.suggestions]
        for start in range(0, len(lines), MAX_LINES):
            made.append(
                create_purchase_order(
                    group.vendor, lines=lines[start : start + MAX_LINES], actor_id=actor_id
                )
            )
    return made
