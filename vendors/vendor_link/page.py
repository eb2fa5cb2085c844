"""What the vendor's page shows of one PO: the shop, the PO's own lines, the ship-to address.

Read in the PO's shop context; nothing of any other PO, vendor or customer is
loaded. The ship-to address is sealed on the PO and opened here, only for this
page (and the PO's own document).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from mall.extensions import db
from tenants.keys import CiphertextInvalid, KeyDestroyed
from tenants.models import Tenant
from vendors.models import PurchaseOrder, PurchaseOrderLine
from vendors.vendor_link.confirmations import ANSWERABLE, po_lines, shippable


@dataclass(frozen=True)
class ShipTo:
    """The customer's name, address rows (as printed on a label) and phone, opened."""

    name: str
    address: list[str]
    phone: str = ""


@dataclass(frozen=True)
class VendorPage:
    """The vendor's view of one PO."""

    shop: Tenant
    po: PurchaseOrder
    lines: list[PurchaseOrderLine]
    ship_to: ShipTo | None
    # (line, units the vendor may still send) on a drop-ship PO open for shipping.
    shippable: list[tuple[PurchaseOrderLine, int]]

    @property
    def answerable(self) -> bool:
        """May the vendor still send the form (a closed PO is shown, read only)?"""
        return self.po.status in ANSWERABLE


def vendor_page(po: PurchaseOrder) -> VendorPage:
    """The page's data (call in the PO's shop context): three queries at most."""
    lines = po_lines(po)
    return VendorPage(
        shop=db.session.get(Tenant, po.tenant_id),
        po=po,
        lines=lines,
        ship_to=ship_to(po),
        shippable=shippable(po, lines),
    )


def ship_to(po: PurchaseOrder) -> ShipTo | None:
    """The customer's name and address sealed on a drop-ship PO, opened; None when absent.

    The sealed JSON is ``{"name", "address": [rows], "phone"}`` (``dropship.ship_to_json``,
    the shape the PO's document reads too).
    """
    if not po.drop_ship or po.ship_to_ct is None:
        return None
    try:
        sealed = po.ship_to_json
    except (KeyDestroyed, CiphertextInvalid):
        return None
    opened: Any = json.loads(sealed) if sealed else None
    if not isinstance(opened, dict):
        return None
    rows = opened.get("address")
    return ShipTo(
        name=str(opened.get("name") or ""),
        address=[str(row) for row in rows] if isinstance(rows, list) else [],
        phone=str(opened.get("phone") or ""),
    )
