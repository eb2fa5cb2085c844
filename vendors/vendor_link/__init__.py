"""The vendor's signed link (no account) and drop-ship: POs made from paid orders, the vendor's
shipment reaching the customer.

- ``tokens``: the signed ``/vendor/po/<token>`` link (30 days, ended by a resend).
- ``views`` (blueprint ``vendor_link``): the vendor's page of one PO and its form.
- ``confirmations``: the vendor's answers; a drop-ship parcel becomes the customer's shipment.
- ``dropship``: the ``order_paid`` subscriber making one PO per drop-ship vendor, once.
- ``cancellation``: the ``order_cancelled`` / ``order_refunded`` subscribers withdrawing the
  drop-ship POs the customer no longer needs (the vendor emailed), or noting a shipped one.
"""

from __future__ import annotations

from flask import Flask


def wire(app: Flask) -> None:
    """Register this part's pages, jobs and subscribers (called by ``vendors.init_app``)."""
    from vendors.vendor_link import cancellation, dropship, views

    app.register_blueprint(views.bp)
    dropship.connect()
    cancellation.connect()
