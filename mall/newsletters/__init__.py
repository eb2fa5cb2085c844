"""Newsletters: opt-in per shop and for the mall, one-click unsubscribe, sending (issue 12)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The email preferences page, the unsubscribe link, a shop's and the operator's
    newsletter pages, the checkout's opt-in boxes, the account deletion's step and the
    subscriptions' part of a data export."""
    from mall.accounts.erasure import add_erasure_step
    from mall.accounts.export_contents import add_account_section, add_export_section
    from mall.newsletters import (
        admin_views,
        console_views,
        links_views,
        privacy,
        subscribers,
        views,
    )

    app.register_blueprint(views.bp)
    app.register_blueprint(links_views.bp)
    app.register_blueprint(admin_views.bp)
    app.register_blueprint(console_views.bp)
    subscribers.connect()
    app.add_template_global(subscribers.received_newsletters, "received_newsletters")
    add_erasure_step(app, subscribers.on_account_erased)
    add_account_section(app, "mall_newsletter", privacy.mall_subscription)
    add_export_section(app, "newsletter", privacy.shop_subscription)
