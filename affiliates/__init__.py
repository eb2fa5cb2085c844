"""Affiliate programme: accounts, links, click tracking, attribution, commissions, payouts.

The top layer (with ``vendors``): it may import everything below it (mall domains,
tenants, core) and listens to the orders' signals; nothing below imports it. How it
works: ``docs/architecture.md`` §17.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Each part of the program wires its own pages, hooks and jobs."""
    from affiliates import (
        applications,
        commissions,
        coupons,
        dashboard,
        demo,
        payouts,
        programs,
        reviews,
        tracking,
    )
    from affiliates.applications import deletion
    from mall.accounts.export_contents import add_account_file
    from mall.accounts.privacy_views import add_deletion_note, add_kept_note

    programs.wire(app)
    applications.wire(app)
    tracking.wire(app)
    commissions.wire(app)
    dashboard.wire(app)
    payouts.wire(app)
    reviews.wire(app)
    coupons.wire(app)
    demo.wire(app)
    # The privacy pages and the export say what the program keeps and what a deletion costs.
    add_kept_note(app, deletion.kept_note)
    add_deletion_note(app, deletion.deletion_note)
    add_account_file(app, deletion.EXPORT_FILE, deletion.EXPORT_FILE_TEXT)
