"""The "Bills" block of a vendor's page: what is owed, and links to the bills, a payment
and the statement (one query)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import render_template

from mall.extensions import db
from mall.money import currency, format_money
from vendors.bills.owed import OWING
from vendors.models import Vendor, VendorBill


def vendor_bills_section(vendor: Vendor) -> str:
    """The block's HTML for ``vendor``'s page."""
    count, owed = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(
                sa.func.sum(VendorBill.total - VendorBill.paid - VendorBill.credited), 0
            ),
        ).where(VendorBill.vendor_id == vendor.id, VendorBill.status.in_(OWING))
    ).one()
    return render_template(
        "vendors/bills/_vendor_section.html",
        vendor=vendor,
        count=count,
        owed=format_money(int(owed), code=currency()),
    )
