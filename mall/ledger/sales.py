"""What a sale and its refunds post: per shop order, every component on its own line.

Signs: a debit is positive, a credit negative. A shop's accounts are what the
mall owes it, so money earned by the shop is a credit on ``shop_pending`` (or
``shop_available`` once the holding period is over) and money it owes is a debit.

A paid order (key ``payment:<order>``), prices with or without tax alike::

    Dr processor            the order's total (or Dr shop: "collected by the shop" for
                            bank transfer and offline card: the shop holds the money)
    Dr platform_discounts   the coupons the platform funds
    Cr shop                 sale: the lines' amount before discounts, net of tax
    Dr shop                 discount_shop: the coupons the shop funds
    Cr shop                 shipping, net of its tax
    Cr shop / tax_payable   tax, on the side of whoever collects it
    Dr shop / Cr commission the commission frozen for the order (``order_commissions``)
    Dr shop / Cr tax_payable the tax on the platform's fee, when configured

A refund (key ``refund:<order_refund>``) reverses the same components for the
part refunded, each as the share of everything refunded so far minus the share
already reversed (``money.proportion``), so that many partial refunds reverse
exactly what was posted, never a cent more or less, and the commission always
at the rate frozen at sale time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

import sqlalchemy as sa

from mall.extensions import db
from mall.ledger.models import Account, EntryKind, LedgerEntry, OrderCommission
from mall.ledger.posting import Line, credit, debit, find_entry, lock_chain, post
from mall.ledger.unattributed import is_unattributed
from mall.money import Party, proportion
from mall.orders.models import Order, OrderLine, OrderRefund

MANUAL_METHODS = ("bank_transfer", "offline_card")


def release_key(order_id: UUID) -> str:
    return f"release:{order_id}"


def shop_account(order: Order) -> Account:
    """Where the order's money sits for the shop: pending until released, then available."""
    return Account.SHOP_AVAILABLE if find_entry(release_key(order.id)) else Account.SHOP_PENDING


def _tax_account(collector: Party) -> Account | None:
    return Account.TAX_PAYABLE if collector is Party.PLATFORM else None


def _commissions(order: Order) -> dict[UUID | None, OrderCommission]:
    rows = db.session.scalars(
        sa.select(OrderCommission).where(OrderCommission.order_id == order.id)
    )
    return {row.order_line_id: row for row in rows}


def shipping_net(order: Order) -> int:
    return order.shipping_amount - (order.shipping_tax if order.prices_include_tax else 0)


def shipping_gross(order: Order) -> int:
    """What the customer paid for shipping, tax included."""
    return order.shipping_amount + (0 if order.prices_include_tax else order.shipping_tax)


def payment_lines(order: Order, commissions: dict[UUID | None, OrderCommission]) -> list[Line]:
    """The lines of the order's payment entry (see the module's docstring)."""
    shop, oid, sid = Account.SHOP_PENDING, order.id, order.tenant_id
    mine = {"shop_id": sid, "order_id": oid}
    ours = {"order_id": oid}
    lines: list[Line] = []
    if order.payment_method in MANUAL_METHODS:
        lines.append(debit(shop, order.total, kind="collected_by_shop", **mine))
    else:
        lines.append(debit(Account.PROCESSOR, order.total, kind="payment", **ours))
    gross = sum(
        line.total - line.tax + line.discount_shop + line.discount_platform for line in order.lines
    )
    lines.append(credit(shop, gross, kind="sale", **mine))
    lines.append(debit(shop, order.discount_shop, kind="discount_shop", **mine))
    lines.append(
        debit(Account.PLATFORM_DISCOUNTS, order.discount_platform, kind="discount_platform", **ours)
    )
    lines.append(credit(shop, shipping_net(order), kind="shipping", **mine))
    lines.extend(_tax_lines(order, mine, ours))
    commission = sum(row.amount for row in commissions.values())
    fee_tax = sum(row.fee_tax for row in commissions.values())
    lines.append(debit(shop, commission, kind="commission", **mine))
    lines.append(credit(Account.COMMISSION, commission, kind="commission", **ours))
    lines.append(debit(shop, fee_tax, kind="commission_tax", **mine))
    lines.append(credit(Account.TAX_PAYABLE, fee_tax, kind="commission_tax", **ours))
    return lines


def _tax_lines(order: Order, mine: dict, ours: dict) -> list[Line]:
    by_collector = {Party.SHOP: 0, Party.PLATFORM: 0}
    for line in order.lines:
        by_collector[line.tax_collector] += line.tax
    by_collector[order.shipping_tax_collector] += order.shipping_tax
    return [
        credit(Account.SHOP_PENDING, by_collector[Party.SHOP], kind="tax", **mine),
        credit(Account.TAX_PAYABLE, by_collector[Party.PLATFORM], kind="tax", **ours),
    ]


def post_payment(
    order: Order, commissions: dict[UUID | None, OrderCommission] | None = None
) -> LedgerEntry | None:
    """Post the order's payment once (key ``payment:<order>``)."""
    commissions = _commissions(order) if commissions is None else commissions
    return post(
        EntryKind.PAYMENT,
        payment_lines(order, commissions),
        key=f"payment:{order.id}",
        ref_type="order",
        ref_id=order.id,
        shop_id=order.tenant_id,
        memo=f"{order.number} paid",
    )


# ---------------------------------------------------------------- refunds


def _shipping_refunded(order: Order) -> int:
    """Shipping refunded on the order so far, this refund included (it is flushed)."""
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(OrderRefund.shipping), 0)).where(
            OrderRefund.order_id == order.id
        )
    )
    return int(total or 0)


@dataclass
class _Reversal:
    """Builds a refund's lines for one order: the shop's side and the platform's side."""

    order: Order
    shop: Account
    lines: list[Line] = field(default_factory=list)

    def to_shop(self, amount: int, kind: str) -> None:
        """Money back to the shop (a credit on its account)."""
        self.lines.append(
            credit(
                self.shop, amount, kind=kind, shop_id=self.order.tenant_id, order_id=self.order.id
            )
        )

    def from_shop(self, amount: int, kind: str) -> None:
        """Money taken back from the shop (a debit on its account)."""
        self.to_shop(-amount, kind)

    def platform(self, account: Account, amount: int, kind: str) -> None:
        """A platform account: ``amount`` > 0 debits it."""
        self.lines.append(Line(account, amount, kind=kind, order_id=self.order.id))

    def tax(self, collector: Party, amount: int) -> None:
        if collector is Party.PLATFORM:
            self.platform(Account.TAX_PAYABLE, amount, "tax")
        else:
            self.from_shop(amount, "tax")

    def line(
        self, line: OrderLine, before: int, after: int, tax: int, row: OrderCommission | None
    ) -> None:
        """Reverse a line's share between ``before`` and ``after`` refunded (of its total)."""
        platform = _share(line.discount_platform, before, after, line.total)
        self.from_shop(after - before - tax + platform, "refund")
        self.platform(Account.PLATFORM_DISCOUNTS, -platform, "discount_platform")
        self.tax(line.tax_collector, tax)
        if row is not None:
            self.commission(row, before, after, line.total)

    def shipping(self, before: int, after: int, row: OrderCommission | None) -> None:
        """Reverse the shipping's share between ``before`` and ``after`` refunded."""
        whole = shipping_gross(self.order)
        tax = _share(self.order.shipping_tax, before, after, whole)
        self.from_shop(after - before - tax, "shipping_refund")
        self.tax(self.order.shipping_tax_collector, tax)
        if row is not None:
            self.commission(row, before, after, whole)

    def commission(self, row: OrderCommission, before: int, after: int, whole: int) -> None:
        """Give the shop back the commission's share, at the values frozen at sale time."""
        amount = _share(row.amount, before, after, whole)
        fee_tax = _share(row.fee_tax, before, after, whole)
        row.reversed += amount
        row.reversed_fee_tax += fee_tax
        self.to_shop(amount, "commission_reversal")
        self.platform(Account.COMMISSION, amount, "commission_reversal")
        self.to_shop(fee_tax, "commission_tax_reversal")
        self.platform(Account.TAX_PAYABLE, fee_tax, "commission_tax_reversal")


def _share(amount: int, before: int, after: int, whole: int) -> int:
    return proportion(amount, after, whole) - proportion(amount, before, whole)


def refund_lines(order: Order, refund: OrderRefund) -> list[Line]:
    """The lines of a refund's entry: every component's share of this refund (cumulative)."""
    reversal = _Reversal(order, shop_account(order))
    commissions = _commissions(order)
    by_id: dict[UUID, OrderLine] = {line.id: line for line in order.lines}
    for part in refund.lines:
        line = by_id[part.order_line_id]
        after = line.amount_refunded  # this refund included (the service updated it)
        reversal.line(line, after - part.amount, after, part.tax, commissions.get(line.id))
    if refund.shipping:
        after = _shipping_refunded(order)
        reversal.shipping(after - refund.shipping, after, commissions.get(None))
    if refund.manual or refund.payment_refund_id is None:
        # Bank transfer, offline card, or recorded as manual: the shop paid it back itself.
        reversal.to_shop(refund.amount, "refunded_by_shop")
    elif is_unattributed(refund.payment_refund_id):
        # Made on the provider's dashboard and held in the queue (the processor's side was
        # posted then): assigning it to this order takes it out of the queue.
        reversal.platform(Account.UNATTRIBUTED, -refund.amount, "refund_attributed")
    else:
        reversal.platform(Account.PROCESSOR, -refund.amount, "refund")
    db.session.flush()
    return reversal.lines


def post_refund(order: Order, refund: OrderRefund) -> LedgerEntry | None:
    """Post a refund once (key ``refund:<order_refund>``)."""
    key = f"refund:{refund.id}"
    existing = find_entry(key)
    if existing is not None:  # its commission reversal is counted already
        return existing
    lock_chain()  # pending or available is decided with no release in between
    return post(
        EntryKind.REFUND,
        refund_lines(order, refund),
        key=key,
        ref_type="refund",
        ref_id=refund.id,
        shop_id=order.tenant_id,
        memo=f"{order.number} refund",
    )
