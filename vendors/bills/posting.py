"""The shop's purchasing books in the ledger: bills, voids, credit notes and payments.

These are the shop's own purchases, not money the mall holds: they post only to the
shop's ``shop_purchases``, ``shop_vendor_payable`` and ``shop_bank`` accounts (never the
platform's, the processor's or the accounts a payout reads). Each event posts once, by its
idempotency key; ``mall.ledger.posting.post`` returns the first entry on a repeat.

- bill opened:  Dr purchases, Cr vendor payable (the bill's total)
- bill voided:  Dr vendor payable, Cr purchases (the same total, reversed)
- credit note:  Dr vendor payable, Cr purchases (the credit's total)
- payment:      Dr vendor payable, Cr bank (the payment's amount)
"""

from __future__ import annotations

from uuid import UUID

from mall.ledger.models import Account, EntryKind, LedgerEntry
from mall.ledger.posting import credit, debit, post
from vendors.models import BillPayment, VendorBill, VendorCredit


def _post_pair(
    kind: EntryKind,
    *,
    debit_account: Account,
    credit_account: Account,
    amount: int,
    shop_id: UUID,
    ref_id: UUID,
    memo: str,
    actor_id: UUID | None,
) -> LedgerEntry | None:
    return post(
        kind,
        [
            debit(debit_account, amount, shop_id=shop_id, kind=str(kind)),
            credit(credit_account, amount, shop_id=shop_id, kind=str(kind)),
        ],
        key=f"{kind}:{ref_id}",
        ref_type=str(kind),
        ref_id=ref_id,
        shop_id=shop_id,
        memo=memo,
        actor_id=actor_id,
    )


def post_bill(bill: VendorBill, *, actor_id: UUID | None) -> LedgerEntry | None:
    """An opened bill: what the shop bought, now owed to the vendor (once per bill)."""
    return _post_pair(
        EntryKind.VENDOR_BILL,
        debit_account=Account.SHOP_PURCHASES,
        credit_account=Account.SHOP_VENDOR_PAYABLE,
        amount=bill.total,
        shop_id=bill.tenant_id,
        ref_id=bill.id,
        memo=bill.reference,
        actor_id=actor_id,
    )


def post_bill_void(bill: VendorBill, *, actor_id: UUID | None) -> LedgerEntry | None:
    """An opened bill voided: its entry reversed (once per bill)."""
    return _post_pair(
        EntryKind.VENDOR_BILL_VOID,
        debit_account=Account.SHOP_VENDOR_PAYABLE,
        credit_account=Account.SHOP_PURCHASES,
        amount=bill.total,
        shop_id=bill.tenant_id,
        ref_id=bill.id,
        memo=bill.reference,
        actor_id=actor_id,
    )


def post_credit(note: VendorCredit, *, actor_id: UUID | None) -> LedgerEntry | None:
    """A vendor's credit note: part of a bill reversed (once per credit note)."""
    return _post_pair(
        EntryKind.VENDOR_CREDIT,
        debit_account=Account.SHOP_VENDOR_PAYABLE,
        credit_account=Account.SHOP_PURCHASES,
        amount=note.total,
        shop_id=note.tenant_id,
        ref_id=note.id,
        memo=note.reference,
        actor_id=actor_id,
    )


def post_payment(payment: BillPayment, *, actor_id: UUID | None) -> LedgerEntry | None:
    """The shop paid a vendor from its own money (once per payment)."""
    return _post_pair(
        EntryKind.BILL_PAYMENT,
        debit_account=Account.SHOP_VENDOR_PAYABLE,
        credit_account=Account.SHOP_BANK,
        amount=payment.amount,
        shop_id=payment.tenant_id,
        ref_id=payment.id,
        memo=payment.reference,
        actor_id=actor_id,
    )
