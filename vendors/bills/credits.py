"""Vendor credit notes against one bill: packs of its lines given back and/or an amount.

A credit lowers what is owed (``credited``, by a conditional UPDATE that keeps it within
what is owed), gives the credited packs back to the PO lines (they may be billed again)
and reverses that part of the bill in the ledger (``posting.post_credit``). The form's
``credit_key`` makes a double submit one credit note.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from mall.extensions import db
from mall.money import check_amount, format_money
from mall.numbers import MAX_COUNT, check_whole
from vendors.bills import posting, quantities
from vendors.bills.owed import OWING, take_from_owed
from vendors.bills.services import MAX_NUMBER, MAX_TEXT, check_date, clean_text, shop_of
from vendors.errors import PurchasingError
from vendors.models import VendorBill, VendorCredit, VendorCreditLine
from vendors.purchasing.numbers import take_purchase_number


def credited_packs(bill: VendorBill) -> dict[UUID, int]:
    """Packs already credited per line of ``bill`` (one query)."""
    rows = db.session.execute(
        sa.select(VendorCreditLine.bill_line_id, sa.func.sum(VendorCreditLine.quantity))
        .join(
            VendorCredit,
            sa.and_(
                VendorCredit.tenant_id == VendorCreditLine.tenant_id,
                VendorCredit.id == VendorCreditLine.credit_id,
            ),
        )
        .where(VendorCredit.bill_id == bill.id, VendorCreditLine.bill_line_id.is_not(None))
        .group_by(VendorCreditLine.bill_line_id)
    )
    return {line_id: int(packs or 0) for line_id, packs in rows}


def credits_of(bill: VendorBill) -> list[VendorCredit]:
    """The bill's credit notes, oldest first."""
    return list(
        db.session.scalars(
            sa.select(VendorCredit)
            .where(VendorCredit.bill_id == bill.id)
            .order_by(VendorCredit.created_at, VendorCredit.id)
        )
    )


def can_credit(bill: VendorBill) -> bool:
    """A credit note lowers what is owed: only a bill still owing something takes one.

    A credit after full payment would be a refund due from the vendor, which nothing
    records yet (the bill page says what to do instead).
    """
    return bill.status in OWING and bill.owed > 0


def credit_bill(
    bill: VendorBill,
    *,
    packs: dict[UUID, int],
    amount: int,
    issued_on: date,
    credit_key: str,
    actor_id: UUID | None,
    vendor_number: str = "",
    reason: str = "",
) -> tuple[VendorCredit, bool]:
    """Record the vendor's credit note on ``bill``: (the credit note, made now?).

    ``packs`` per bill line (their cost each) plus ``amount``; the total must be more
    than nothing and at most what is owed. Refused (``PurchasingError``) on a bill not
    open, packs past what the line billed less earlier credits, or too large a total.
    """
    existing = _by_key(credit_key)
    if existing is not None:
        return existing, False
    if not can_credit(bill):
        raise PurchasingError(
            f"{bill.reference} is {bill.status.value}: only an open bill can be credited "
            "(a credit after payment is a refund from the vendor: see the bill's page)."
        )
    lines = _credit_lines(bill, packs)
    problem = check_amount(amount)
    if problem:
        raise PurchasingError(problem)
    total = sum(line.amount for line in lines) + amount
    if total <= 0:
        raise PurchasingError("Enter packs to credit or an amount.")
    if total > bill.owed:
        raise PurchasingError(
            f"The credit note ({format_money(total, code=bill.currency)}) is more than "
            f"{bill.reference} still owes ({format_money(bill.owed, code=bill.currency)})."
        )
    if amount:
        lines.append(VendorCreditLine(bill_line_id=None, quantity=0, amount=amount))
    note = VendorCredit(
        vendor_id=bill.vendor_id,
        bill_id=bill.id,
        vendor_number=clean_text(vendor_number, limit=MAX_NUMBER, what="vendor's number"),
        reference=take_purchase_number(shop_of(bill.tenant_id), "credit"),
        credit_key=credit_key,
        issued_on=check_date(issued_on, what="credit note date"),
        total=total,
        reason=clean_text(reason, limit=MAX_TEXT, what="reason"),
        actor_id=actor_id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(note)
            db.session.flush()
    except IntegrityError:
        again = _by_key(credit_key)
        if again is None:
            raise
        return again, False
    take_from_owed(bill, credited=total)
    for line in lines:
        line.credit_id = note.id
    db.session.add_all(lines)
    by_id = {line.id: line for line in bill.lines}
    quantities.give_back(
        (bill.tenant_id, by_id[line.bill_line_id].po_line_id, line.quantity)
        for line in lines
        if line.bill_line_id is not None and by_id[line.bill_line_id].po_line_id is not None
    )
    db.session.flush()
    posting.post_credit(note, actor_id=actor_id)
    return note, True


def _by_key(credit_key: str) -> VendorCredit | None:
    return db.session.scalar(sa.select(VendorCredit).where(VendorCredit.credit_key == credit_key))


def _credit_lines(bill: VendorBill, packs: dict[UUID, int]) -> list[VendorCreditLine]:
    """A credit line per bill line with packs, each within what may still be credited."""
    already = credited_packs(bill)
    by_id = {line.id: line for line in bill.lines}
    made = []
    for line_id, count in packs.items():
        line = by_id.get(line_id)
        if line is None:
            raise PurchasingError("A line does not belong to this bill.")
        if not count:
            continue
        left = line.quantity - already.get(line_id, 0)
        problem = check_whole(count, minimum=0, maximum=MAX_COUNT)
        if problem or count > left:
            raise PurchasingError(f"{line.description}: at most {left} packs can be credited.")
        made.append(
            VendorCreditLine(bill_line_id=line.id, quantity=count, amount=count * line.unit_cost)
        )
    return made
