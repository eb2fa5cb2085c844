"""The ledger listens to the orders' signals and posts what each event means, once."""

from __future__ import annotations

from typing import Any

from mall.ledger.commission import freeze_commission
from mall.ledger.models import Account, EntryKind
from mall.ledger.posting import credit, debit, post
from mall.ledger.sales import post_payment, post_refund
from mall.ledger.unattributed import remember as remember_unattributed
from mall.orders.models import Order, OrderRefund
from mall.signals import order_paid, order_refunded, refund_unattributed
from tenants.guard import scoped_get


def on_order_paid(order: Order, **_: Any) -> None:
    """Freeze the order's commission and post its payment (in the shop's tenant context)."""
    rows = freeze_commission(order)
    post_payment(order, {row.order_line_id: row for row in rows})


def on_order_refunded(order: Order, *, refund_id: Any, **_: Any) -> None:
    """Post the refund's reversal (in the shop's tenant context)."""
    refund = scoped_get(OrderRefund, refund_id)
    if refund is not None:
        post_refund(order, refund)


def on_refund_unattributed(
    payment: Any,
    *,
    checkout_id: Any,
    amount: int,
    provider_ref: str,
    payment_refund_id: Any = None,
    **_: Any,
) -> None:
    """Money left the processor for no known order: held as unattributed until assigned.

    The operator's queue keeps it (``mall.ledger.unattributed``); the checkout's payouts wait.
    """
    if payment_refund_id is not None:
        remember_unattributed(
            payment_refund_id=payment_refund_id,
            checkout_id=checkout_id,
            amount=amount,
            provider_ref=provider_ref,
        )
    post(
        EntryKind.UNATTRIBUTED_REFUND,
        [
            debit(Account.UNATTRIBUTED, amount, kind="unattributed_refund"),
            credit(Account.PROCESSOR, amount, kind="refund"),
        ],
        key=f"unattributed:{provider_ref}",
        ref_type="checkout",
        ref_id=checkout_id,
        memo=f"Refund {provider_ref} made on the provider's dashboard, not yet assigned",
    )


def connect() -> None:
    """Subscribe (module-level functions, so blinker's weak references stay alive)."""
    order_paid.connect(on_order_paid)
    order_refunded.connect(on_order_refunded)
    refund_unattributed.connect(on_refund_unattributed)
