"""The bills list: by status, vendor and "needs review", newest first, paged by position."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

import sqlalchemy as sa

from mall.extensions import db
from mall.pagination import KeysetPage, Position, keyset_paginate
from vendors.models import BillStatus, PurchaseOrder, PurchaseStatus, Vendor, VendorBill

PER_PAGE = 25
REVIEW = "review"  # the status tab of bills to review


def bill_list(
    *,
    status: str | None = None,
    vendor_id: UUID | None = None,
    older: Position | None = None,
    newer: Position | None = None,
    per_page: int = PER_PAGE,
) -> KeysetPage:
    """One page of the shop's bills (``status`` a BillStatus value or ``review``)."""
    query = sa.select(VendorBill)
    if status == REVIEW:
        # An empty list is stored as "[]" on both databases.
        query = query.where(
            sa.cast(VendorBill.exceptions, sa.String) != "[]",
            VendorBill.exception_reviewed_at.is_(None),
            VendorBill.status != BillStatus.VOID,
        )
    elif status:
        query = query.where(VendorBill.status == BillStatus(status))
    if vendor_id is not None:
        query = query.where(VendorBill.vendor_id == vendor_id)
    return keyset_paginate(
        query,
        moment=VendorBill.created_at,
        row_id=VendorBill.id,
        older_than=older,
        newer_than=newer,
        per_page=per_page,
    )


def vendor_names(vendor_ids: Iterable[UUID]) -> dict[UUID, str]:
    """The names of these vendors (one query)."""
    wanted = set(vendor_ids)
    if not wanted:
        return {}
    rows = db.session.execute(sa.select(Vendor.id, Vendor.name).where(Vendor.id.in_(wanted)))
    return {vendor_id: name for vendor_id, name in rows}


def vendor_choices() -> list[tuple[str, str]]:
    """Every vendor of the shop as (id, name), active first, by name (pickers)."""
    rows = db.session.execute(
        sa.select(Vendor.id, Vendor.name).order_by(Vendor.status, Vendor.name).limit(500)
    )
    return [(str(vendor_id), name) for vendor_id, name in rows]


BILLABLE_PO = (
    PurchaseStatus.SENT,
    PurchaseStatus.PARTIALLY_RECEIVED,
    PurchaseStatus.RECEIVED,
    PurchaseStatus.CLOSED,
)
PO_CHOICES = 100


def po_choices() -> list[tuple[str, str]]:
    """The newest POs a bill may be recorded for, as (id, "number · vendor") (one query)."""
    rows = db.session.execute(
        sa.select(PurchaseOrder.id, PurchaseOrder.number, Vendor.name)
        .join(
            Vendor,
            sa.and_(
                Vendor.tenant_id == PurchaseOrder.tenant_id, Vendor.id == PurchaseOrder.vendor_id
            ),
        )
        .where(PurchaseOrder.status.in_(BILLABLE_PO))
        .order_by(PurchaseOrder.created_at.desc(), PurchaseOrder.id.desc())
        .limit(PO_CHOICES)
    )
    return [(str(po_id), f"{number} · {name}") for po_id, number, name in rows]
