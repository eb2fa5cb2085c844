"""What a bill still owes, and the one way it goes down: a payment or a credit note.

``owed = total - paid - credited``. Each part is one conditional UPDATE that holds only
while the part fits in what is owed, so two people paying or crediting the same bill at
once never take it below zero: the second one is told to reload.
"""

from __future__ import annotations

import sqlalchemy as sa

from mall.extensions import db
from vendors.errors import PurchasingError
from vendors.models import BillStatus, VendorBill

# The states of a bill that still owes money (what payables, payments and credits act on).
OWING = (BillStatus.OPEN, BillStatus.PARTIALLY_PAID)


def take_from_owed(bill: VendorBill, *, paid: int = 0, credited: int = 0) -> None:
    """Add a payment (``paid``) or a credit note (``credited``) to ``bill`` while it fits in
    what is owed. At zero the bill is paid; after a payment short of that, partially paid;
    a credit short of that keeps its state. Raises ``PurchasingError`` if the bill changed."""
    owed_after = VendorBill.total - VendorBill.paid - VendorBill.credited - (paid + credited)
    otherwise = BillStatus.PARTIALLY_PAID.value if paid else VendorBill.status
    moved = db.session.execute(
        sa.update(VendorBill)
        .where(
            VendorBill.tenant_id == bill.tenant_id,
            VendorBill.id == bill.id,
            VendorBill.status.in_(OWING),
            owed_after >= 0,
        )
        .values(
            paid=VendorBill.paid + paid,
            credited=VendorBill.credited + credited,
            status=sa.case((owed_after == 0, BillStatus.PAID.value), else_=otherwise),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire(bill)
    if moved != 1:
        raise PurchasingError(
            f"{bill.reference} changed meanwhile (paid or credited): reload and try again."
        )
