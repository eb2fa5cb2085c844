"""Vendor bills, credit notes, bill payments, payables with aging, vendor statements; their ledger
postings.

A bill is recorded as a draft and opened (``services``): opening moves the PO lines'
billed packs (``quantities``, within the vendor's billing policy unless overridden) and
posts to the shop's own purchasing books (``posting``). Credit notes (``credits``) and
payments (``payments``) lower what is owed; ``payables`` ages what is left and lists a
vendor's statement. Pages: ``admin_views`` (bills) and ``money_views`` (credits,
payments, payables, statements), one blueprint ``vendor_bills``.
"""

from __future__ import annotations

from flask import Flask


def wire(app: Flask) -> None:
    """Register this part's pages, jobs and subscribers (called by ``vendors.init_app``)."""
    from vendors.bills import admin_views, money_views, sections  # noqa: F401  (its routes)
    from vendors.directory.sections import add_vendor_section

    app.register_blueprint(admin_views.bp)
    add_vendor_section(app, sections.vendor_bills_section)
