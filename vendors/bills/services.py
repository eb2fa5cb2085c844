"""Vendor bills: record one (from a PO or standalone), open it, void it, review its differences.

A bill is saved as a draft (nothing billed, nothing posted), then opened: the PO lines'
billed packs move (``quantities.take``, within the vendor's billing policy unless an
override reason was typed) and the ledger gets the bill's entry (``posting.post_bill``).
A bill that differs from its PO (cost or packs) is saved all the same, its differences
listed in ``exceptions`` for a person to review: never blocked. Every move is a
conditional UPDATE from the state the page showed; the form's ``bill_key`` makes a
double submit one bill.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from mall.db import utcnow
from mall.extensions import db
from mall.money import check_amount, currency
from mall.numbers import MAX_COUNT, check_whole
from tenants.guard import scoped_get
from tenants.models import Tenant
from vendors.bills import duplicates, posting, quantities
from vendors.bills.differences import differences
from vendors.errors import PurchasingError
from vendors.models import (
    BillStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseStatus,
    Vendor,
    VendorBill,
    VendorBillLine,
)
from vendors.purchasing.numbers import take_purchase_number

MAX_LINES = 200
MAX_TEXT = 300
MAX_NOTE = 500
MAX_NUMBER = 60
MAX_TERMS_DAYS = 3650
UNBILLABLE_PO = (PurchaseStatus.DRAFT, PurchaseStatus.CANCELLED)
# Dates a person may type on a bill, credit note or payment (past them: a typing slip).
EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)


@dataclass(frozen=True)
class BillLineInput:
    """A line as typed: packs of a PO line (``po_line_id``) or a free line (a description)."""

    quantity: int
    unit_cost: int
    po_line_id: UUID | None = None
    description: str = ""


def get_bill(bill_id: UUID | str | None) -> VendorBill | None:
    """The bill of the shop in context with this id, or None (another shop's id too)."""
    return scoped_get(VendorBill, bill_id)


def get_vendor(vendor_id: UUID | str | None) -> Vendor | None:
    """The vendor of the shop in context with this id, or None."""
    return scoped_get(Vendor, vendor_id)


def get_po(po_id: UUID | str | None) -> PurchaseOrder | None:
    """The purchase order of the shop in context with this id, or None."""
    return scoped_get(PurchaseOrder, po_id)


def due_date(vendor: Vendor, issued_on: date) -> date:
    """When a bill issued on ``issued_on`` falls due under the vendor's payment terms."""
    return check_date(issued_on, what="bill date") + timedelta(days=vendor.payment_terms_days)


def check_date(value: date, *, what: str) -> date:
    """``value`` if it is a plausible date for a document; PurchasingError otherwise."""
    if not EARLIEST <= value <= LATEST:
        raise PurchasingError(
            f"Enter a {what} between {EARLIEST.isoformat()} and {LATEST.isoformat()}."
        )
    return value


def prefill(po: PurchaseOrder, vendor: Vendor) -> list[tuple[PurchaseOrderLine, BillLineInput]]:
    """The PO's lines with their billable packs (under the vendor's policy) at the PO's cost."""
    return [
        (
            line,
            BillLineInput(
                quantity=quantities.billable(line, vendor.billing_policy),
                unit_cost=line.unit_cost,
                po_line_id=line.id,
                description=line.description,
            ),
        )
        for line in po.lines
    ]


def clean_text(text: str | None, *, limit: int, what: str) -> str:
    """Typed text as stored: NUL-free, trimmed, at most ``limit`` characters."""
    cleaned = (text or "").replace("\x00", "").strip()
    if len(cleaned) > limit:
        raise PurchasingError(f"Keep the {what} under {limit} characters.")
    return cleaned


def create_bill(
    vendor: Vendor,
    *,
    lines: list[BillLineInput],
    issued_on: date,
    bill_key: str,
    actor_id: UUID | None,
    po: PurchaseOrder | None = None,
    vendor_number: str = "",
    due_on: date | None = None,
    override_reason: str = "",
    note: str = "",
) -> tuple[VendorBill, bool]:
    """Save a draft bill of ``vendor`` (from ``po`` or standalone): (the bill, made now?).

    The same ``bill_key`` again returns the first bill. Refused (``PurchasingError``) for
    a PO of another vendor or not sent, no lines, packs or costs out of range, packs past
    the billing policy without an override reason, a vendor's number already on one of
    their bills (``duplicates.FieldError``).
    """
    existing = _by_key(bill_key)
    if existing is not None:
        return existing, False
    vendor_number = clean_text(vendor_number, limit=MAX_NUMBER, what="vendor's bill number")
    if vendor_number:
        duplicates.lock_vendor(vendor)
        existing = _by_key(bill_key)  # the same submit, saved while we waited for the lock
        if existing is not None:
            return existing, False
        duplicates.check_vendor_number(vendor, vendor_number)
    if po is not None:
        _check_po(po, vendor)
    override_reason = clean_text(override_reason, limit=MAX_TEXT, what="override reason")
    checked = _checked_lines(lines, po, vendor, override=bool(override_reason))
    issued_due = check_date(due_on, what="due date") if due_on else due_date(vendor, issued_on)
    if issued_due < issued_on:
        raise PurchasingError("The due date cannot be before the bill's date.")
    total = sum(line.amount for line in checked)
    problem = check_amount(total)
    if problem:
        raise PurchasingError(f"The bill's total: {problem}")
    bill = VendorBill(
        vendor_id=vendor.id,
        po_id=po.id if po is not None else None,
        vendor_number=vendor_number,
        reference=take_purchase_number(shop_of(vendor.tenant_id), "bill"),
        status=BillStatus.DRAFT,
        currency=currency(),
        issued_on=issued_on,
        due_on=issued_due,
        total=total,
        exceptions=differences(checked, po, vendor),
        override_reason=override_reason,
        bill_key=bill_key,
        note=clean_text(note, limit=MAX_NOTE, what="note"),
        created_by_id=actor_id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(bill)
            db.session.flush()
    except IntegrityError:
        again = _by_key(bill_key)
        if again is None:
            raise
        return again, False
    for line in checked:
        line.bill_id = bill.id
    db.session.add_all(checked)
    db.session.flush()
    db.session.refresh(bill, ["lines"])
    return bill, True


def _by_key(bill_key: str) -> VendorBill | None:
    return db.session.scalar(sa.select(VendorBill).where(VendorBill.bill_key == bill_key))


def shop_of(tenant_id: UUID) -> Tenant:
    """The shop (tenant) a row belongs to: numbers are taken per shop."""
    return db.session.get(Tenant, tenant_id)


def _check_po(po: PurchaseOrder, vendor: Vendor) -> None:
    if po.vendor_id != vendor.id:
        raise PurchasingError(f"{po.number} is not a purchase order of {vendor.name}.")
    if po.status in UNBILLABLE_PO:
        raise PurchasingError(f"{po.number} is {po.status.value}: bill a sent purchase order.")


def _checked_lines(
    lines: list[BillLineInput], po: PurchaseOrder | None, vendor: Vendor, *, override: bool
) -> list[VendorBillLine]:
    """The bill's lines, each checked; the PO lines' limits too unless ``override``."""
    if not lines:
        raise PurchasingError("Enter at least one line with packs to bill.")
    if len(lines) > MAX_LINES:
        raise PurchasingError(f"A bill holds at most {MAX_LINES} lines.")
    po_lines = {line.id: line for line in po.lines} if po is not None else {}
    seen: set[UUID] = set()
    made = []
    for position, item in enumerate(lines):
        po_line = None
        if item.po_line_id is not None:
            po_line = po_lines.get(item.po_line_id)
            if po_line is None or item.po_line_id in seen:
                raise PurchasingError("A line does not belong to this purchase order.")
            seen.add(item.po_line_id)
        description = clean_text(
            po_line.description if po_line is not None else item.description,
            limit=MAX_TEXT,
            what="description",
        )
        if not description:
            raise PurchasingError(f"Line {position + 1}: describe what is billed.")
        _check_numbers(item, description)
        if po_line is not None and not override:
            left = quantities.billable(po_line, vendor.billing_policy)
            if item.quantity > left:
                raise PurchasingError(
                    f"{description}: only {left} more packs may be billed "
                    f"({quantities.policy_words(vendor.billing_policy)}); "
                    "type an override reason to bill more."
                )
        made.append(
            VendorBillLine(
                position=position,
                po_line_id=item.po_line_id,
                description=description,
                quantity=item.quantity,
                unit_cost=item.unit_cost,
                amount=item.quantity * item.unit_cost,
            )
        )
    return made


def _check_numbers(item: BillLineInput, description: str) -> None:
    problem = check_whole(item.quantity, minimum=1, maximum=MAX_COUNT)
    if problem is None:
        problem = check_amount(item.unit_cost)
    if problem is None:
        problem = check_amount(item.quantity * item.unit_cost)
    if problem:
        raise PurchasingError(f"{description}: {problem}")


def needs_review(bill: VendorBill) -> bool:
    """The bill differs from its PO and nobody has marked it reviewed."""
    return bool(bill.exceptions) and bill.exception_reviewed_at is None


def _move(
    bill: VendorBill,
    to: BillStatus,
    *,
    leaving: tuple[BillStatus, ...],
    where: tuple[sa.ColumnElement[bool], ...] = (),
    **values: Any,
) -> bool:
    """One conditional UPDATE of the bill's status; False when it had already moved."""
    moved = (
        db.session.execute(
            sa.update(VendorBill)
            .where(
                VendorBill.tenant_id == bill.tenant_id,
                VendorBill.id == bill.id,
                VendorBill.status.in_(leaving),
                *where,
            )
            .values(status=to, **values)
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )
    db.session.expire(bill)
    return moved


def open_bill(bill: VendorBill, *, actor_id: UUID | None) -> bool:
    """draft -> open: the PO lines' billed packs move and the bill posts to the books.

    False when the bill was not a draft any more (a repeat). PurchasingError when a
    line would pass its billing limit (no override) — the caller rolls back.
    """
    if not _move(bill, BillStatus.OPEN, leaving=(BillStatus.DRAFT,), opened_at=utcnow()):
        return False
    vendor = get_vendor(bill.vendor_id)
    override = bool(bill.override_reason)
    for line in bill.lines:
        if line.po_line_id is not None:
            po_line = scoped_get(PurchaseOrderLine, line.po_line_id)
            quantities.take(po_line, line.quantity, policy=vendor.billing_policy, override=override)
    posting.post_bill(bill, actor_id=actor_id)
    return True


def can_void(bill: VendorBill) -> bool:
    """A draft, or an open bill with nothing paid or credited, may be voided."""
    return bill.status in (BillStatus.DRAFT, BillStatus.OPEN) and not (bill.paid or bill.credited)


def void_bill(bill: VendorBill, *, actor_id: UUID | None) -> bool:
    """Void a draft, or an open bill with nothing paid or credited: its billed packs go back
    to the PO and an opened bill's entry is reversed. False on a repeat."""
    if not can_void(bill):
        if bill.status is BillStatus.VOID:
            return False
        raise PurchasingError(
            f"{bill.reference} has payments or credit notes: it cannot be voided; "
            "ask the vendor for a credit note instead."
        )
    was = bill.status
    no_money = (VendorBill.paid == 0, VendorBill.credited == 0)
    if not _move(bill, BillStatus.VOID, leaving=(was,), where=no_money, voided_at=utcnow()):
        return False
    if was is BillStatus.OPEN:
        quantities.give_back(
            (line.tenant_id, line.po_line_id, line.quantity)
            for line in bill.lines
            if line.po_line_id is not None
        )
        posting.post_bill_void(bill, actor_id=actor_id)
    return True


def mark_reviewed(bill: VendorBill, *, actor_id: UUID | None) -> bool:
    """A person looked at the bill's differences from its PO; False if already marked."""
    moved = (
        db.session.execute(
            sa.update(VendorBill)
            .where(
                VendorBill.tenant_id == bill.tenant_id,
                VendorBill.id == bill.id,
                VendorBill.exception_reviewed_at.is_(None),
            )
            .values(exception_reviewed_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )
    db.session.expire(bill)
    return moved
