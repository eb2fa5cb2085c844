"""Becoming an affiliate: the application, the operator's decision, the code."""

from __future__ import annotations

from flask import Flask


def wire(app: Flask) -> None:
    """The program's public pages and the affiliate's own page, the operator's console
    section, the account menu's link, and the affiliate's part of an account's data export
    and deletion (called by ``affiliates.init_app``)."""
    from affiliates.applications import console_views, privacy, views
    from mall.accounts.account_links import add_account_link
    from mall.accounts.erasure import add_erasure_step
    from mall.accounts.export_contents import add_account_section
    from mall.console.nav import add_console_link

    app.register_blueprint(views.bp)
    app.register_blueprint(console_views.bp)
    add_console_link(app, "affiliates_console.index", "Affiliates")
    add_account_link(app, "Affiliate program", "affiliates.home")
    add_erasure_step(app, privacy.forget_affiliate)
    add_account_section(app, "affiliate", privacy.export_section)
