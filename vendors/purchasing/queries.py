"""What the purchasing pages read: the PO list (keyset), one PO's page, the add-line choices.

Each read is a fixed number of queries whatever the number of rows shown (the list's
vendors and totals in one grouped query each, not one per PO).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from mall.accounts.models import User
from mall.catalog.models import Product, Variant, option_label
from mall.extensions import db
from mall.pagination import KeysetPage, Position, keyset_paginate
from vendors.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReceipt,
    PurchaseStatus,
    Vendor,
    VendorProduct,
    VendorStatus,
)

PER_PAGE = 25
MAX_CHOICES = 500


@dataclass(frozen=True)
class PoList:
    """A page of POs with each one's vendor and total (cost of what was ordered)."""

    page: KeysetPage
    vendors: dict[UUID, Vendor]
    totals: dict[UUID, int]


def po_list(
    *,
    status: PurchaseStatus | None = None,
    vendor_id: UUID | None = None,
    older_than: Position | None = None,
    newer_than: Position | None = None,
    per_page: int = PER_PAGE,
) -> PoList:
    """The shop's POs newest first (by ``created_at``, id), in one state and/or of one vendor."""
    statement = sa.select(PurchaseOrder)
    if status is not None:
        statement = statement.where(PurchaseOrder.status == status)
    if vendor_id is not None:
        statement = statement.where(PurchaseOrder.vendor_id == vendor_id)
    found = keyset_paginate(
        statement,
        moment=PurchaseOrder.created_at,
        row_id=PurchaseOrder.id,
        older_than=older_than,
        newer_than=newer_than,
        per_page=per_page,
    )
    return PoList(
        page=found,
        vendors=vendors_by_id({po.vendor_id for po in found.items}),
        totals=po_totals([po.id for po in found.items]),
    )


def vendors_by_id(ids: set[UUID]) -> dict[UUID, Vendor]:
    """These vendors of the shop, by id (one query)."""
    if not ids:
        return {}
    return {v.id: v for v in db.session.scalars(sa.select(Vendor).where(Vendor.id.in_(ids)))}


def po_totals(po_ids: list[UUID]) -> dict[UUID, int]:
    """What each PO orders, in minor units (one grouped query)."""
    if not po_ids:
        return {}
    rows = db.session.execute(
        sa.select(
            PurchaseOrderLine.po_id,
            sa.func.sum(PurchaseOrderLine.quantity_ordered * PurchaseOrderLine.unit_cost),
        )
        .where(PurchaseOrderLine.po_id.in_(po_ids))
        .group_by(PurchaseOrderLine.po_id)
    )
    return {po_id: int(total or 0) for po_id, total in rows}


def list_vendors() -> list[Vendor]:
    """Every vendor of the shop by name (the list's filter: archived ones have POs too)."""
    return list(db.session.scalars(sa.select(Vendor).order_by(Vendor.name, Vendor.id)))


def active_vendors() -> list[Vendor]:
    """The shop's active vendors by name: whom a new PO may go to."""
    return [v for v in list_vendors() if v.status is VendorStatus.ACTIVE]


@dataclass
class PoDetail:
    """What the PO page shows besides the PO: vendor, receipts (newest first), who did them."""

    po: PurchaseOrder
    vendor: Vendor
    lines: list[PurchaseOrderLine]
    receipts: list[PurchaseReceipt]
    people: dict[UUID, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(line.quantity_ordered * line.unit_cost for line in self.lines)

    def line_of(self, line_id: UUID) -> PurchaseOrderLine | None:
        return next((line for line in self.lines if line.id == line_id), None)


def po_detail(po: PurchaseOrder) -> PoDetail:
    """The PO's page: its lines, vendor and receipts with their lines (four queries)."""
    receipts = list(
        db.session.scalars(
            sa.select(PurchaseReceipt)
            .where(PurchaseReceipt.po_id == po.id)
            .options(selectinload(PurchaseReceipt.lines))
            .order_by(PurchaseReceipt.received_at.desc(), PurchaseReceipt.id.desc())
        )
    )
    actor_ids = {r.actor_id for r in receipts if r.actor_id} | (
        {po.created_by_id} if po.created_by_id else set()
    )
    return PoDetail(
        po=po,
        vendor=db.session.scalar(sa.select(Vendor).where(Vendor.id == po.vendor_id)),
        lines=list(po.lines),
        receipts=receipts,
        people=_names(actor_ids),
    )


def _names(user_ids: set[UUID]) -> dict[UUID, str]:
    if not user_ids:
        return {}
    users = db.session.scalars(sa.select(User).where(User.id.in_(user_ids)))
    return {user.id: user.name or "A team member" for user in users}


def line_choices(vendor: Vendor, *, leave_out: set[UUID] = frozenset()) -> list[tuple[str, str]]:
    """(variant id, label) of what ``vendor`` supplies, by product title (the add-line select)."""
    rows = db.session.execute(
        sa.select(VendorProduct, Variant, Product)
        .join(
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
        .where(VendorProduct.vendor_id == vendor.id)
        .order_by(Product.title, Variant.sku)
        .limit(MAX_CHOICES)
    )
    choices = []
    for supplied, variant, product in rows:
        if variant.id in leave_out:
            continue
        options = option_label(variant, product)
        name = f"{product.title} — {options}" if options else product.title
        pack = f", pack of {supplied.pack_size}" if supplied.pack_size > 1 else ""
        choices.append((str(variant.id), f"{name} ({variant.sku}{pack})"))
    return choices


def recent_of_vendor(vendor: Vendor, *, limit: int = 5) -> list[PurchaseOrder]:
    """The vendor's latest POs (its page shows them; the list filtered by vendor has all)."""
    return list(
        db.session.scalars(
            sa.select(PurchaseOrder)
            .where(PurchaseOrder.vendor_id == vendor.id)
            .order_by(PurchaseOrder.created_at.desc(), PurchaseOrder.id.desc())
            .limit(limit)
        )
    )
