"""What a payout posts, each once (keyed by the payout, or by Stripe's reversal).

Signs as everywhere: debit > 0, credit < 0; the shop's lines name each order::

    created   payout:<payout>           Dr shop_available (each part it pays; a debt netted:
                                        Cr) / Cr payouts_in_transit (the amount sent)
    paid      payout_paid:<payout>      Dr payouts_in_transit / Cr processor
    failed    payout_failed:<payout>    Dr payouts_in_transit / Cr shop_available (each part back)
    returned  payout_returned:<payout>  Dr processor / Cr shop_available (each part back)
    reversal  transfer_reversal:<trr>   Dr processor / Cr shop_available (the refunded order)

A failed or returned payout gives each order back exactly the part it took, so
the next payout pays those orders again (from their own charges).
"""

from __future__ import annotations

from uuid import UUID

from mall.ledger.models import Account, EntryKind, LedgerEntry, Payout, PayoutItem
from mall.ledger.posting import Line, post


def _parts(payout: Payout, items: list[PayoutItem], sign: int, kind: str) -> list[Line]:
    return [
        Line(
            Account.SHOP_AVAILABLE,
            sign * item.amount,
            shop_id=payout.tenant_id,
            kind=kind,
            order_id=item.order_id,
        )
        for item in items
    ]


def _transit(payout: Payout, amount: int, kind: str) -> Line:
    return Line(Account.PAYOUTS_IN_TRANSIT, amount, shop_id=payout.tenant_id, kind=kind)


def _post(
    payout: Payout, kind: EntryKind, lines: list[Line], key: str, memo: str
) -> LedgerEntry | None:
    return post(
        kind,
        lines,
        key=f"{key}:{payout.id}",
        ref_type="payout",
        ref_id=payout.id,
        shop_id=payout.tenant_id,
        memo=memo,
        actor_id=payout.actor_id,
    )


def post_created(payout: Payout, items: list[PayoutItem]) -> LedgerEntry | None:
    """The parts leave the available balance; the amount is in transit."""
    lines = [*_parts(payout, items, 1, "payout"), _transit(payout, -payout.amount, "payout")]
    return _post(payout, EntryKind.PAYOUT, lines, "payout", f"Payout {reference(payout)}")


def post_paid(payout: Payout) -> LedgerEntry | None:
    """The money left the platform (a transfer made, a bank payment confirmed)."""
    lines = [
        _transit(payout, payout.amount, "payout_paid"),
        Line(Account.PROCESSOR, -payout.amount, kind="payout_paid"),
    ]
    return _post(
        payout, EntryKind.PAYOUT_PAID, lines, "payout_paid", f"Payout {reference(payout)} paid"
    )


def post_failed(payout: Payout, items: list[PayoutItem], reason: str) -> LedgerEntry | None:
    """Nothing was paid: the parts are available again."""
    lines = [_transit(payout, payout.amount, "payout_failed")]
    lines += _parts(payout, items, -1, "payout_failed")
    memo = f"Payout {reference(payout)} failed: {reason}"
    return _post(payout, EntryKind.PAYOUT_FAILED, lines, "payout_failed", memo)


def post_returned(payout: Payout, items: list[PayoutItem], reason: str) -> LedgerEntry | None:
    """Paid, then returned by the bank: the money is back and the parts are available again."""
    lines = [Line(Account.PROCESSOR, payout.amount, kind="payout_returned")]
    lines += _parts(payout, items, -1, "payout_returned")
    memo = f"Payout {reference(payout)} returned: {reason}"
    return _post(payout, EntryKind.PAYOUT_FAILED, lines, "payout_returned", memo)


def post_reversal(
    payout: Payout, order_id: UUID | None, amount: int, reversal_id: str, memo: str
) -> LedgerEntry | None:
    """Money taken back from a transfer: the platform has it again, the shop is owed it."""
    return post(
        EntryKind.TRANSFER_REVERSAL,
        [
            Line(Account.PROCESSOR, amount, kind="transfer_reversal"),
            Line(
                Account.SHOP_AVAILABLE,
                -amount,
                shop_id=payout.tenant_id,
                kind="transfer_reversal",
                order_id=order_id,
            ),
        ],
        key=f"transfer_reversal:{reversal_id}",
        ref_type="payout",
        ref_id=payout.id,
        shop_id=payout.tenant_id,
        memo=memo,
    )


def reference(payout: Payout) -> str:
    """The payout's reference for people and banks: ``PO-`` and the id's last 12 digits."""
    return f"PO-{payout.id.hex[-12:].upper()}"
