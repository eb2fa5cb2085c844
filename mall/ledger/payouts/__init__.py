"""Paying shops: payout runs, Stripe transfers, manual batches, returns and reversals.

- ``balances``: what a shop can be paid, order by order, and the minimum payout;
- ``run``: the payout run (console button and daily job): one Stripe transfer per
  released order, or one manual payout per shop in the open batch;
- ``transfers``: Stripe's side (the transfer, reversals after refunds, reported reversals);
- ``manual``: batches the operator exports, pays and marks paid; returned payouts;
- ``entries``: what each step posts (see that module for the lines);
- ``refunds``: after a refund, release a finished order, reverse a paid-out transfer;
- ``controls``: the operator's settings, a shop's reserve and hold;
- ``queries``: what the pages read.

Services flush and never commit; they raise ``LedgerError`` with a message for
the operator or the shop.
"""

from __future__ import annotations

from mall.ledger.payouts.balances import available_parts, payout_minimum
from mall.ledger.payouts.controls import set_shop_controls, update_payout_settings
from mall.ledger.payouts.entries import reference
from mall.ledger.payouts.manual import (
    batch_csv,
    batch_payouts,
    cancel_payout,
    export_batch,
    get_batch,
    get_payout,
    mark_batch_paid,
    mark_returned,
)
from mall.ledger.payouts.run import RunResult, run_payouts
from mall.ledger.payouts.transfers import reverse_after_refund, send_payout

__all__ = [
    "RunResult",
    "available_parts",
    "batch_csv",
    "batch_payouts",
    "cancel_payout",
    "export_batch",
    "get_batch",
    "get_payout",
    "mark_batch_paid",
    "mark_returned",
    "payout_minimum",
    "reference",
    "reverse_after_refund",
    "run_payouts",
    "send_payout",
    "set_shop_controls",
    "update_payout_settings",
]
