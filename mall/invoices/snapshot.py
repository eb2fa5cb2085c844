"""What an invoice or a credit note shows, frozen as plain values when it is issued.

Amounts are the order's stored, already-rounded minor units: nothing is
recomputed but the split of shipping tax over a refund (the cumulative share,
as the ledger reverses it). The tax breakdown groups every line's net and tax
by rate, with shipping at its own rate, so its tax column sums to the order's
tax and its net plus tax to the total.

Personal data is kept apart (``sealed_buyer``, ``sealed_seller``): the
snapshot itself holds product titles, amounts, the shop's public name, legal
name, VAT number and footer.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from mall.invoices.models import InvoiceSettings
from mall.money import apply_rate, included_part, proportion
from mall.orders.models import Order, OrderLine, OrderRefund
from mall.orders.services import order_address
from tenants.models import Tenant


def shipping_gross(order: Order) -> int:
    """What the customer paid for shipping, tax included."""
    return order.shipping_amount + (0 if order.prices_include_tax else order.shipping_tax)


def shipping_rate(order: Order, line_rates: Iterable[int]) -> int:
    """The tax rate (bp) on the order's shipping: the order keeps its tax, not its rate.

    The rate of a line that gives exactly the shipping's tax when applied the way
    the quote did (rates are usually shared), else the nearest whole rate that
    does (the roundest of those), else the rounded ratio.
    """
    if not order.shipping_tax or not order.shipping_amount:
        return 0

    def tax_at(rate: int) -> int:
        if order.prices_include_tax:
            return included_part(order.shipping_amount, rate)
        return apply_rate(order.shipping_amount, rate)

    for rate in sorted(set(line_rates), reverse=True):
        if rate and tax_at(rate) == order.shipping_tax:
            return rate
    net = shipping_gross(order) - order.shipping_tax
    guess = int(
        (Decimal(order.shipping_tax) * 10_000 / max(net, 1)).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
    )
    matches = [
        rate
        for rate in range(max(guess - 100, 1), guess + 101)
        if tax_at(rate) == order.shipping_tax
    ]
    if matches:  # several rates round to the same tax: the roundest (7 % rather than 7.07 %)
        return min(
            matches,
            key=lambda r: (r % 100 != 0, r % 50 != 0, r % 10 != 0, abs(r - guess)),
        )
    return guess


def tax_breakdown(rows: Iterable[tuple[int, int, int]]) -> list[dict[str, int]]:
    """``(rate_bp, net, tax)`` rows summed per rate, lowest rate first."""
    sums: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for rate, net, tax in rows:
        sums[rate][0] += net
        sums[rate][1] += tax
    return [{"rate_bp": rate, "net": net, "tax": tax} for rate, (net, tax) in sorted(sums.items())]


def seller_details(shop: Tenant, settings: InvoiceSettings | None) -> dict[str, str]:
    """The shop's public details on a document (name, legal name, VAT number, footer)."""
    return {
        "name": shop.name,
        "legal_name": (settings.legal_name if settings else "") or "",
        "vat_number": (settings.vat_number if settings else "") or "",
        "footer": (settings.footer if settings else "") or "",
    }


def sealed_seller(shop: Tenant, settings: InvoiceSettings | None) -> str:
    """The shop's address and contact email as JSON, to be sealed on the document."""
    address = (settings.address if settings and settings.address_ct else "") or ""
    email = (shop.contact_email if shop.contact_email_ct else "") or ""
    return json.dumps({"address": address.splitlines(), "email": email})


def sealed_buyer(order: Order) -> str:
    """The buyer's name, address (billing, else shipping) and email as JSON, to be sealed."""
    address = order_address(order, "billing") or order_address(order, "shipping")
    return json.dumps(
        {
            "name": address.name if address else "",
            "address": address.lines()[1:] if address else [],
            "email": order.email,
        }
    )


def invoice_snapshot(
    order: Order, lines: list[OrderLine], *, seller: dict[str, str]
) -> dict[str, Any]:
    """What the order's invoice shows: every line, shipping, the tax by rate and the totals."""
    rows = [
        {
            "title": line.title,
            "options": line.options,
            "sku": line.sku,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "discount": line.discount_shop + line.discount_platform,
            "tax_rate_bp": line.tax_rate_bp,
            "net": line.total - line.tax,
            "tax": line.tax,
            "total": line.total,
        }
        for line in lines
    ]
    rate = shipping_rate(order, (line.tax_rate_bp for line in lines))
    shipping = shipping_gross(order)
    breakdown = [(row["tax_rate_bp"], row["net"], row["tax"]) for row in rows]
    if order.needs_shipping or shipping:
        breakdown.append((rate, shipping - order.shipping_tax, order.shipping_tax))
    return {
        "order_number": order.number,
        "placed_at": order.placed_at.isoformat(),
        "paid_at": order.paid_at.isoformat() if order.paid_at else None,
        "payment_method": order.payment_method,
        "prices_include_tax": order.prices_include_tax,
        "seller": seller,
        "lines": rows,
        "shipping": {
            "name": order.shipping_method_name,
            "shown": bool(order.needs_shipping or shipping),
            "net": shipping - order.shipping_tax,
            "tax": order.shipping_tax,
            "tax_rate_bp": rate,
            "total": shipping,
        },
        "tax_breakdown": tax_breakdown(breakdown),
        "totals": {
            "subtotal": order.subtotal,
            "discount": order.discount_shop + order.discount_platform,
            "net": order.total - order.tax,
            "tax": order.tax,
            "total": order.total,
        },
    }


def credit_note_snapshot(
    order: Order,
    refund: OrderRefund,
    lines: list[OrderLine],
    *,
    shipping_before: int,
    invoice_number: str | None,
    seller: dict[str, str],
) -> dict[str, Any]:
    """What a refund's credit note shows: the lines and shipping given back, tax by rate.

    ``shipping_before``: the shipping (tax included) refunded before this refund;
    the tax inside this refund's shipping is the cumulative share of the order's
    shipping tax, so the credit notes of many refunds add up to it exactly.
    """
    by_id = {line.id: line for line in lines}
    rows = []
    for part in refund.lines:
        line = by_id.get(part.order_line_id)
        rows.append(
            {
                "title": line.title if line else "Item",
                "options": line.options if line else "",
                "sku": line.sku if line else "",
                "quantity": part.quantity,
                "tax_rate_bp": line.tax_rate_bp if line else 0,
                "net": part.amount - part.tax,
                "tax": part.tax,
                "total": part.amount,
            }
        )
    whole = shipping_gross(order)
    after = shipping_before + refund.shipping
    shipping_tax = proportion(order.shipping_tax, after, whole) - proportion(
        order.shipping_tax, shipping_before, whole
    )
    rate = shipping_rate(order, (line.tax_rate_bp for line in lines))
    breakdown = [(row["tax_rate_bp"], row["net"], row["tax"]) for row in rows]
    if refund.shipping:
        breakdown.append((rate, refund.shipping - shipping_tax, shipping_tax))
    tax = sum(row["tax"] for row in rows) + shipping_tax
    return {
        "order_number": order.number,
        "invoice_number": invoice_number,
        "placed_at": order.placed_at.isoformat(),
        "refunded_at": refund.created_at.isoformat(),
        "prices_include_tax": order.prices_include_tax,
        "seller": seller,
        "lines": rows,
        "shipping": {
            "name": order.shipping_method_name,
            "shown": bool(refund.shipping),
            "net": refund.shipping - shipping_tax,
            "tax": shipping_tax,
            "tax_rate_bp": rate,
            "total": refund.shipping,
        },
        "tax_breakdown": tax_breakdown(breakdown),
        "totals": {"net": refund.amount - tax, "tax": tax, "total": refund.amount},
    }
