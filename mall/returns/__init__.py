"""Returns per shop: its return policy (on product pages), the customers' requests from
their tracking pages or their account's order list, and the shop's approve / refuse /
receive-and-refund."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The shop's returns pages, the customer's return form (linked from the tracking page and
    ``/account/orders``), the product pages' policy and the returns' part of a customer's
    data export."""
    from mall.accounts.export_contents import add_export_section
    from mall.accounts.order_history import add_order_link
    from mall.orders.tracking import add_page_link
    from mall.pagecache import versions
    from mall.returns import admin_views, privacy, views
    from mall.returns.models import ReturnCategoryWindow, ReturnPolicy
    from mall.returns.policy import product_policy
    from mall.returns.services import account_order_link, tracking_page_link

    app.register_blueprint(admin_views.bp)
    app.register_blueprint(views.bp)
    app.add_template_global(product_policy, "return_policy_of")
    add_page_link(app, tracking_page_link)
    add_order_link(app, account_order_link)
    add_export_section(app, "returns", privacy.export_section)
    # The policy shows on the shop's product pages: a change retires them.
    versions.watch(ReturnPolicy, shop=lambda row: row.tenant_id)
    versions.watch(ReturnCategoryWindow, shop=lambda row: row.tenant_id)
