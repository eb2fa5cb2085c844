"""Purchase orders: numbers, drafts, sending (HTML + PDF), the state machine, receiving and closing
short.
"""

from __future__ import annotations

from flask import Flask


def wire(app: Flask) -> None:
    """Register this part's pages and its email job (called by ``vendors.init_app``).

    No tab of its own: the "Purchasing" tab (``vendors.directory``) stands for the
    ``purchasing.`` endpoints, and its sub-navigation links to the PO list.
    """
    from vendors.directory.sections import add_vendor_section
    from vendors.purchasing import action_views, jobs  # noqa: F401  (routes, the email job)
    from vendors.purchasing.admin_views import bp, vendor_section

    app.register_blueprint(bp)
    add_vendor_section(app, vendor_section)
