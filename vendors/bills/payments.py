"""Payments of vendor bills: one payment over one or several open bills of ONE vendor.

Each bill gets its part (an allocation) by a conditional UPDATE that keeps ``paid``
within what the bill owes and moves it to ``partially_paid`` or ``paid``; the parts sum
to the payment's amount by construction. The form's ``payment_key`` makes a double
submit one payment; the ledger gets one entry (``posting.post_payment``).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from mall.db import utcnow
from mall.extensions import db
from mall.money import check_amount, currency, format_money
from tenants.guard import scoped_get
from vendors.bills import posting
from vendors.bills.duplicates import FieldError
from vendors.bills.owed import OWING, take_from_owed
from vendors.bills.services import check_date, clean_text, get_bill
from vendors.errors import PurchasingError
from vendors.models import BillPayment, BillPaymentAllocation, Vendor, VendorBill

MAX_REFERENCE = 100
MAX_BILLS = 100


class PaymentMethod(StrEnum):
    BANK_TRANSFER = "bank_transfer"
    CARD = "card"
    CHEQUE = "cheque"
    CASH = "cash"
    OTHER = "other"


METHOD_LABELS = {
    PaymentMethod.BANK_TRANSFER: "Bank transfer",
    PaymentMethod.CARD: "Card",
    PaymentMethod.CHEQUE: "Cheque",
    PaymentMethod.CASH: "Cash",
    PaymentMethod.OTHER: "Other",
}


def get_payment(payment_id: UUID | str | None) -> BillPayment | None:
    """The payment of the shop in context with this id, or None."""
    return scoped_get(BillPayment, payment_id)


def owing_bills(vendor: Vendor) -> list[VendorBill]:
    """The vendor's bills with something left to pay, the oldest due first."""
    return list(
        db.session.scalars(
            sa.select(VendorBill)
            .where(VendorBill.vendor_id == vendor.id, VendorBill.status.in_(OWING))
            .order_by(VendorBill.due_on, VendorBill.reference)
            .limit(MAX_BILLS)
        )
    )


def pay_bills(
    vendor: Vendor,
    *,
    amounts: dict[UUID, int],
    paid_on: date,
    method: str,
    payment_key: str,
    actor_id: UUID | None,
    reference: str = "",
    today: date | None = None,
) -> tuple[BillPayment, bool]:
    """Pay ``amounts`` (per bill id) of the vendor's open bills: (the payment, made now?).

    The same ``payment_key`` again returns the first payment. Refused (``PurchasingError``)
    for another vendor's bill or one not open, an amount past what a bill owes, no amount,
    a date after ``today`` (default: today, UTC) or before 2000 (``FieldError``).
    """
    existing = _by_key(payment_key)
    if existing is not None:
        return existing, False
    paid_on = check_paid_on(paid_on, today=today or utcnow().date())
    try:
        method = PaymentMethod(method)
    except ValueError:
        raise PurchasingError("Choose how the bills were paid.") from None
    parts = _checked_parts(vendor, amounts)
    payment = BillPayment(
        vendor_id=vendor.id,
        payment_key=payment_key,
        paid_on=paid_on,
        method=method.value,
        reference=clean_text(reference, limit=MAX_REFERENCE, what="reference"),
        currency=currency(),
        amount=sum(amount for _, amount in parts),
        actor_id=actor_id,
    )
    problem = check_amount(payment.amount)
    if problem:
        raise PurchasingError(problem)
    try:
        with db.session.begin_nested():
            db.session.add(payment)
            db.session.flush()
    except IntegrityError:
        again = _by_key(payment_key)
        if again is None:
            raise
        return again, False
    for bill, amount in parts:
        take_from_owed(bill, paid=amount)
        db.session.add(BillPaymentAllocation(payment_id=payment.id, bill_id=bill.id, amount=amount))
    db.session.flush()
    posting.post_payment(payment, actor_id=actor_id)
    return payment, True


def check_paid_on(paid_on: date, *, today: date) -> date:
    """``paid_on`` if money could have left by then: not after ``today``, not before 2000.

    A payment dated before its bill is fine (a prepayment). A future one is refused: the
    statement (up to today) and the payables (what is owed now) would disagree.
    """
    if paid_on > today:
        raise FieldError(
            f"A payment cannot be dated after today ({today.isoformat()}): "
            "enter the day the money was paid.",
            field="paid_on",
        )
    try:
        return check_date(paid_on, what="payment date")
    except PurchasingError as refused:
        raise FieldError(str(refused), field="paid_on") from None


def _by_key(payment_key: str) -> BillPayment | None:
    return db.session.scalar(sa.select(BillPayment).where(BillPayment.payment_key == payment_key))


def _checked_parts(vendor: Vendor, amounts: dict[UUID, int]) -> list[tuple[VendorBill, int]]:
    parts = []
    for bill_id, amount in amounts.items():
        if not amount:
            continue
        bill = get_bill(bill_id)
        if bill is None or bill.vendor_id != vendor.id:
            raise PurchasingError(
                f"A bill is not one of {vendor.name}'s: pay one vendor at a time."
            )
        if bill.status not in OWING:
            raise PurchasingError(f"{bill.reference} is {bill.status.value}: nothing to pay.")
        problem = check_amount(amount)
        if problem or amount > bill.owed:
            raise PurchasingError(
                f"{bill.reference}: pay at most {format_money(bill.owed, code=bill.currency)}."
            )
        parts.append((bill, amount))
    if not parts:
        raise PurchasingError("Enter an amount to pay on at least one bill.")
    return parts


def allocations_of(payment: BillPayment) -> list[tuple[BillPaymentAllocation, VendorBill]]:
    """The payment's parts with their bills (one query)."""
    rows = db.session.execute(
        sa.select(BillPaymentAllocation, VendorBill)
        .join(
            VendorBill,
            sa.and_(
                VendorBill.tenant_id == BillPaymentAllocation.tenant_id,
                VendorBill.id == BillPaymentAllocation.bill_id,
            ),
        )
        .where(BillPaymentAllocation.payment_id == payment.id)
        .order_by(VendorBill.due_on, VendorBill.reference)
    )
    return [(allocation, bill) for allocation, bill in rows]


def payments_of(bill: VendorBill) -> list[tuple[BillPaymentAllocation, BillPayment]]:
    """The parts of payments applied to ``bill``, oldest first (one query)."""
    rows = db.session.execute(
        sa.select(BillPaymentAllocation, BillPayment)
        .join(
            BillPayment,
            sa.and_(
                BillPayment.tenant_id == BillPaymentAllocation.tenant_id,
                BillPayment.id == BillPaymentAllocation.payment_id,
            ),
        )
        .where(BillPaymentAllocation.bill_id == bill.id)
        .order_by(BillPayment.paid_on, BillPayment.created_at)
    )
    return [(allocation, payment) for allocation, payment in rows]
