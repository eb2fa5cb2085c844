"""Where a bill differs from its purchase order, listed on the bill for a person to review.

A difference is never a refusal: the bill is saved and opened all the same. Two kinds:

- packs billed past what the billing policy leaves (only possible with an override reason):
  ``{line, field: "quantity", ordered, received, billed, limit, bill}`` — what was ordered
  and received, what earlier bills took, what the policy still allowed, this bill's packs;
- a cost per pack other than the order's: ``{line, field: "unit_cost", po, bill}``.

Billing fewer packs than are left (a partial bill within the limit) is ordinary and is not
a difference. Rows saved before the packs kind was worded this way carry ``po`` (the packs
the policy allowed then) instead of the four counts; the page words both.
"""

from __future__ import annotations

from typing import Any

from vendors.bills import quantities
from vendors.models import PurchaseOrder, Vendor, VendorBillLine


def differences(
    lines: list[VendorBillLine], po: PurchaseOrder | None, vendor: Vendor
) -> list[dict[str, Any]]:
    """The bill's differences from ``po``: packs past the policy's limit, other costs."""
    if po is None:
        return []
    po_lines = {line.id: line for line in po.lines}
    found: list[dict[str, Any]] = []
    for line in lines:
        po_line = po_lines.get(line.po_line_id) if line.po_line_id else None
        if po_line is None:
            continue
        limit = quantities.billable(po_line, vendor.billing_policy)
        if line.quantity > limit:
            found.append(
                {
                    "line": line.description,
                    "field": "quantity",
                    "ordered": po_line.quantity_ordered,
                    "received": po_line.quantity_received,
                    "billed": po_line.quantity_billed,
                    "limit": limit,
                    "bill": line.quantity,
                }
            )
        if line.unit_cost != po_line.unit_cost:
            found.append(
                {
                    "line": line.description,
                    "field": "unit_cost",
                    "po": po_line.unit_cost,
                    "bill": line.unit_cost,
                }
            )
    return found
