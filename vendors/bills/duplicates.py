"""One vendor bill number, one bill: the vendor's number typed twice would be paid twice.

Checked while the vendor's row is locked, so two bills typed at once with the same number
cannot both pass; a void bill frees its number (it was a mistake, typed again right).
Until the schema has a unique index on it, this check is the only guard.
"""

from __future__ import annotations

import sqlalchemy as sa

from mall.extensions import db
from vendors.errors import PurchasingError
from vendors.models import BillStatus, Vendor, VendorBill


class FieldError(PurchasingError):
    """A refusal about one typed field: the page shows the message at that field."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


def lock_vendor(vendor: Vendor) -> None:
    """Hold the vendor's row until the transaction ends (bills of one vendor in turn)."""
    db.session.execute(
        sa.select(Vendor.id)
        .where(Vendor.tenant_id == vendor.tenant_id, Vendor.id == vendor.id)
        .with_for_update()
    )


def earlier_bill(vendor: Vendor, vendor_number: str) -> VendorBill | None:
    """The vendor's bill (not void) with this number, case aside; or None."""
    return db.session.scalar(
        sa.select(VendorBill)
        .where(
            VendorBill.tenant_id == vendor.tenant_id,
            VendorBill.vendor_id == vendor.id,
            VendorBill.status != BillStatus.VOID,
            sa.func.lower(VendorBill.vendor_number) == vendor_number.lower(),
        )
        .order_by(VendorBill.created_at)
        .limit(1)
    )


def check_vendor_number(vendor: Vendor, vendor_number: str) -> None:
    """Refuse (``FieldError`` at ``vendor_number``) a number already on a bill of the vendor.

    The caller holds the vendor's lock (``lock_vendor``) until it commits the new bill.
    """
    if not vendor_number:
        return
    earlier = earlier_bill(vendor, vendor_number)
    if earlier is not None:
        raise FieldError(
            f"{vendor.name}'s {earlier.vendor_number} is already recorded as {earlier.reference}: "
            "check it is not the same bill, or void that one first.",
            field="vendor_number",
        )
