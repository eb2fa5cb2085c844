"""What the domains wire into the app: the same routes, commands and periodic jobs as before
the domains wired themselves (issue 7), listed here so that a change to any of them is deliberate.
"""

from __future__ import annotations

import click

import mall
from mall.schedule import periodic_jobs

# (path, methods) of every route; the endpoint names may move between modules, the URLs do not.
ROUTES = {
    ("/", "GET"),
    ("/static/v/<digest>/<path:filename>", "GET"),
    ("/account/", "GET"),
    ("/account/email", "POST"),
    ("/account/forgot", "GET,POST"),
    ("/account/login", "GET,POST"),
    ("/account/logout", "POST"),
    ("/account/password", "POST"),
    ("/account/profile", "POST"),
    ("/account/register", "GET,POST"),
    ("/account/reset/<token>", "GET,POST"),
    ("/account/verify/<token>", "GET"),
    ("/account/verify/resend", "POST"),
    ("/admin/", "GET"),
    ("/admin/audit", "GET"),
    ("/admin/categories/", "GET"),
    ("/admin/categories/<uuid:category_id>/delete", "GET,POST"),
    ("/admin/categories/<uuid:category_id>/edit", "GET,POST"),
    ("/admin/categories/<uuid:category_id>/move", "POST"),
    ("/admin/categories/new", "GET,POST"),
    ("/admin/settings", "GET,POST"),
    ("/admin/shops", "GET"),
    ("/admin/shops/<uuid:shop_id>", "GET"),
    ("/admin/shops/<uuid:shop_id>/approve", "POST"),
    ("/admin/shops/<uuid:shop_id>/close", "GET,POST"),
    ("/admin/shops/<uuid:shop_id>/commission", "POST"),
    ("/admin/shops/<uuid:shop_id>/reactivate", "POST"),
    ("/admin/shops/<uuid:shop_id>/suspend", "POST"),
    ("/cart/", "GET"),
    ("/cart/add", "POST"),
    ("/cart/country", "POST"),
    ("/cart/coupons", "POST"),
    ("/cart/remove", "POST"),
    ("/cart/shipping", "POST"),
    ("/cart/update", "POST"),
    ("/checkout/", "GET"),
    ("/checkout/address", "GET,POST"),
    ("/checkout/contact", "GET,POST"),
    ("/checkout/payment", "GET,POST"),
    ("/checkout/place", "POST"),
    ("/checkout/return/<uuid:checkout_id>", "GET"),
    ("/checkout/review", "GET"),
    ("/checkout/shipping", "GET,POST"),
    ("/checkout/thanks/<token>", "GET"),
    ("/orders/<token>", "GET"),
    ("/orders/<token>/contact", "GET,POST"),
    ("/messages/<token>", "GET,POST"),
    ("/orders/<token>/documents/<uuid:document_id>", "GET"),
    ("/orders/<token>/documents/<uuid:document_id>.pdf", "GET"),
    ("/categories/<slug>", "GET"),
    ("/healthz", "GET"),
    ("/invitations/<token>", "GET,POST"),
    ("/media/<path:key>", "GET"),
    ("/privacy", "GET"),
    ("/robots.txt", "GET"),
    ("/search", "GET"),
    ("/shop/<shop>/", "GET"),
    ("/shop/<shop>/admin/", "GET"),
    ("/shop/<shop>/admin/catalog/", "GET,POST"),
    ("/shop/<shop>/admin/catalog/csv/", "GET"),
    ("/shop/<shop>/admin/catalog/csv/export.csv", "GET"),
    ("/shop/<shop>/admin/catalog/csv/import", "POST"),
    ("/shop/<shop>/admin/catalog/csv/imports/<uuid:import_id>", "GET"),
    ("/shop/<shop>/admin/catalog/files/<uuid:file_id>/delete", "POST"),
    ("/shop/<shop>/admin/catalog/images/<uuid:image_id>", "POST"),
    ("/shop/<shop>/admin/catalog/images/<uuid:image_id>/delete", "POST"),
    ("/shop/<shop>/admin/catalog/images/<uuid:image_id>/file", "GET"),
    ("/shop/<shop>/admin/catalog/products/<uuid:product_id>", "GET,POST"),
    ("/shop/<shop>/admin/catalog/products/<uuid:product_id>/delete", "GET,POST"),
    ("/shop/<shop>/admin/catalog/products/<uuid:product_id>/files", "GET"),
    ("/shop/<shop>/admin/catalog/products/<uuid:product_id>/images", "GET"),
    ("/shop/<shop>/admin/catalog/products/<uuid:product_id>/images/upload", "POST"),
    ("/shop/<shop>/admin/catalog/products/<uuid:product_id>/stock", "GET,POST"),
    ("/shop/<shop>/admin/catalog/products/new", "GET,POST"),
    ("/shop/<shop>/admin/catalog/variants/<uuid:variant_id>/files", "POST"),
    ("/shop/<shop>/admin/invitations/<uuid:invitation_id>/revoke", "POST"),
    ("/shop/<shop>/admin/orders/", "GET"),
    ("/shop/<shop>/admin/orders/<uuid:order_id>", "GET"),
    ("/shop/<shop>/admin/orders/<uuid:order_id>/cancel", "POST"),
    ("/shop/<shop>/admin/orders/<uuid:order_id>/delivered", "POST"),
    ("/shop/<shop>/admin/orders/<uuid:order_id>/mark-paid", "POST"),
    ("/shop/<shop>/admin/orders/<uuid:order_id>/refunds", "POST"),
    ("/shop/<shop>/admin/orders/<uuid:order_id>/shipments", "GET"),
    ("/shop/<shop>/admin/orders/<uuid:order_id>/shipments", "POST"),
    ("/shop/<shop>/admin/orders/<uuid:order_id>/tracking-link", "POST"),
    ("/shop/<shop>/admin/invoices/", "GET"),
    ("/shop/<shop>/admin/invoices/<uuid:document_id>", "GET"),
    ("/shop/<shop>/admin/invoices/<uuid:document_id>.pdf", "GET"),
    ("/shop/<shop>/admin/invoices/details", "GET,POST"),
    ("/shop/<shop>/admin/customers/", "GET"),
    ("/shop/<shop>/admin/customers/find", "POST"),
    ("/shop/<shop>/admin/customers/export.csv", "GET"),
    ("/shop/<shop>/admin/customers/<uuid:customer_id>", "GET"),
    ("/shop/<shop>/admin/customers/<uuid:customer_id>/notes", "POST"),
    ("/shop/<shop>/admin/messages/", "GET"),
    ("/shop/<shop>/admin/messages/<uuid:thread_id>", "GET"),
    ("/shop/<shop>/admin/messages/<uuid:thread_id>/reply", "POST"),
    ("/shop/<shop>/admin/messages/<uuid:thread_id>/status", "POST"),
    ("/shop/<shop>/admin/messages/<uuid:thread_id>/assign", "POST"),
    ("/shop/<shop>/contact/", "GET,POST"),
    ("/shop/<shop>/admin/orders/customer", "POST"),
    ("/shop/<shop>/admin/orders/export.csv", "GET"),
    ("/shop/<shop>/admin/settings", "GET,POST"),
    ("/shop/<shop>/admin/staff", "GET"),
    ("/shop/<shop>/admin/staff/<uuid:membership_id>/remove", "GET,POST"),
    ("/shop/<shop>/admin/staff/<uuid:membership_id>/role", "POST"),
    ("/shop/<shop>/admin/staff/invite", "POST"),
    ("/shop/<shop>/media/<path:key>", "GET"),
    ("/shop/<shop>/products/<product_slug>", "GET"),
    ("/shops/new", "GET,POST"),
    ("/sitemap-<int:number>.xml", "GET"),
    ("/sitemap.xml", "GET"),
    ("/admin/tax/", "GET,POST"),
    ("/shop/<shop>/admin/shipping", "GET"),
    ("/shop/<shop>/admin/shipping/new", "GET,POST"),
    ("/shop/<shop>/admin/shipping/<uuid:method_id>", "GET,POST"),
    ("/shop/<shop>/admin/shipping/<uuid:method_id>/active", "POST"),
    ("/shop/<shop>/admin/shipping/<uuid:method_id>/delete", "GET,POST"),
    ("/shop/<shop>/admin/tax", "GET"),
    ("/shop/<shop>/admin/tax/settings", "POST"),
    ("/shop/<shop>/admin/tax/new", "GET,POST"),
    ("/shop/<shop>/admin/tax/<uuid:rate_id>", "GET,POST"),
    ("/shop/<shop>/admin/tax/<uuid:rate_id>/delete", "POST"),
    ("/payments/stripe/webhook", "POST"),
    ("/admin/payments", "GET,POST"),
    ("/admin/payouts", "GET"),
    ("/admin/payouts/settings", "POST"),
    ("/admin/payouts/run", "POST"),
    ("/admin/payouts/batches/<uuid:batch_id>", "GET"),
    ("/admin/payouts/batches/<uuid:batch_id>/export", "POST"),
    ("/admin/payouts/batches/<uuid:batch_id>/csv", "GET"),
    ("/admin/payouts/batches/<uuid:batch_id>/paid", "POST"),
    ("/admin/payouts/shops/<uuid:shop_id>", "GET"),
    ("/admin/payouts/shops/<uuid:shop_id>/controls", "POST"),
    ("/admin/payouts/shops/<uuid:shop_id>/payouts/<uuid:payout_id>/returned", "POST"),
    ("/admin/payouts/shops/<uuid:shop_id>/payouts/<uuid:payout_id>/cancel", "POST"),
    ("/payouts/stripe/connect-webhook", "POST"),
    ("/shop/<shop>/admin/payouts", "GET,POST"),
    ("/shop/<shop>/admin/payouts/refresh", "POST"),
    ("/shop/<shop>/admin/payouts/<uuid:payout_id>", "GET"),
    ("/admin/commission", "GET,POST"),
    ("/admin/revenue", "GET"),
    ("/admin/money/adjustments", "GET,POST"),
    ("/admin/money/disputes", "GET"),
    ("/admin/money/verify", "POST"),
    ("/admin/money/disputes/<uuid:dispute_id>", "GET"),
    ("/admin/money/disputes/<uuid:dispute_id>/send", "POST"),
    ("/admin/money/fees", "GET,POST"),
    ("/admin/money/reconciliation", "GET"),
    ("/admin/money/reconciliation/run", "POST"),
    ("/admin/money/unattributed", "GET"),
    ("/admin/money/unattributed/<uuid:refund_id>", "GET"),
    ("/admin/money/unattributed/<uuid:refund_id>", "POST"),
    ("/shop/<shop>/admin/disputes/", "GET"),
    ("/shop/<shop>/admin/disputes/<uuid:share_id>", "GET"),
    ("/shop/<shop>/admin/disputes/<uuid:share_id>/evidence", "POST"),
    ("/admin/revenue/export.csv", "GET"),
    ("/shop/<shop>/admin/money/", "GET"),
    ("/shop/<shop>/admin/money/statement.csv", "GET"),
    ("/shop/<shop>/admin/money/yearly.csv", "GET"),
    ("/downloads/order/<token>", "GET"),
    ("/downloads/file/<token>", "GET"),
    ("/account/downloads", "GET"),
    ("/account/orders", "GET"),
    ("/account/addresses", "GET"),
    ("/account/addresses/new", "GET,POST"),
    ("/account/addresses/<uuid:address_id>", "GET,POST"),
    ("/account/addresses/<uuid:address_id>/delete", "GET,POST"),
    ("/account/addresses/<uuid:address_id>/default", "POST"),
    ("/account/privacy/", "GET"),
    ("/account/privacy/export", "POST"),
    ("/account/privacy/export/<token>", "GET"),
    ("/account/privacy/delete", "GET,POST"),
    ("/contact", "GET,POST"),
    ("/admin/messages/", "GET"),
    ("/admin/messages/<uuid:message_id>", "GET"),
    ("/admin/messages/<uuid:message_id>/handled", "POST"),
    ("/shop/<shop>/admin/delivery/", "GET"),
    ("/shop/<shop>/admin/delivery/settings", "POST"),
    ("/shop/<shop>/admin/delivery/variants/<uuid:variant_id>", "GET"),
    ("/shop/<shop>/admin/delivery/variants/<uuid:variant_id>/keys", "POST"),
    ("/shop/<shop>/admin/delivery/variants/<uuid:variant_id>/threshold", "POST"),
    ("/shop/<shop>/admin/delivery/products/<uuid:product_id>/policy", "POST"),
    ("/shop/<shop>/admin/delivery/lines/<uuid:line_id>/regrant", "POST"),
    ("/shop/<shop>/admin/delivery/lines/<uuid:line_id>/extend", "POST"),
    ("/account/emails", "GET,POST"),
    ("/emails/unsubscribe/<token>", "GET"),
    ("/emails/unsubscribe/<token>", "POST"),
    ("/admin/newsletters/", "GET"),
    ("/admin/newsletters/", "POST"),
    ("/admin/newsletters/<uuid:newsletter_id>", "GET"),
    ("/admin/newsletters/<uuid:newsletter_id>", "POST"),
    ("/admin/newsletters/<uuid:newsletter_id>/send", "POST"),
    ("/shop/<shop>/admin/newsletters/", "GET"),
    ("/shop/<shop>/admin/newsletters/", "POST"),
    ("/shop/<shop>/admin/newsletters/<uuid:newsletter_id>", "GET"),
    ("/shop/<shop>/admin/newsletters/<uuid:newsletter_id>", "POST"),
    ("/shop/<shop>/admin/newsletters/<uuid:newsletter_id>/send", "POST"),
    ("/admin/commission/shops/<uuid:shop_id>", "GET"),
    ("/admin/commission/shops/<uuid:shop_id>/rate", "POST"),
    ("/admin/commission/shops/<uuid:shop_id>/categories", "POST"),
    ("/admin/commission/shops/<uuid:shop_id>/categories/<uuid:category_id>/remove", "POST"),
    ("/shop/<shop>/admin/payments", "GET,POST"),
    ("/shop/<shop>/admin/payments/cards", "GET"),
    ("/shop/<shop>/admin/payments/cards/<uuid:order_id>", "GET"),
    ("/shop/<shop>/admin/payments/cards/<uuid:order_id>/reveal", "POST"),
    ("/shop/<shop>/admin/payments/cards/<uuid:order_id>/process", "POST"),
    ("/shop/<shop>/admin/payments/cards/<uuid:order_id>/decline", "POST"),
    ("/admin/coupons/", "GET"),
    ("/admin/coupons/new", "GET,POST"),
    ("/admin/coupons/<uuid:mall_coupon_id>", "GET,POST"),
    ("/admin/coupons/<uuid:mall_coupon_id>/active", "POST"),
    ("/shop/<shop>/admin/coupons/", "GET"),
    ("/shop/<shop>/admin/coupons/new", "GET,POST"),
    ("/shop/<shop>/admin/coupons/<uuid:coupon_id>", "GET,POST"),
    ("/shop/<shop>/admin/coupons/<uuid:coupon_id>/active", "POST"),
}

MALL_COMMANDS = [
    "catalog",
    "catalog export",
    "catalog import",
    "create-operator",
    "keys",
    "keys rotate",
    "keys rotate-master",
    "keys status",
    "ledger",
    "ledger checkpoint",
    "ledger verify",
    "periodic",
    "run-periodic",
    "seed-demo",
    "worker",
]

PERIODIC_JOBS = [
    ("mall.jobs:prune_job_failures", 24 * 3600),
    ("mall.accounts.jobs:prune_device_sessions", 24 * 3600),
    ("mall.accounts.jobs:delete_expired_exports", 3600),
    ("mall.accounts.jobs:anonymise_old_orders", 24 * 3600),
    ("mall.accounts.jobs:prune_personal_logs", 24 * 3600),
    ("mall.console.jobs:shred_due_shops", 3600),
    ("mall.cart.jobs:expire_idle_carts", 24 * 3600),
    ("mall.payments.jobs:purge_overdue_offline_cards", 3600),
    ("mall.checkout.jobs:expire_overdue_checkouts", 60),
    ("mall.ledger.reconciliation:reconcile_daily", 24 * 3600),
    ("mall.ledger.jobs:verify_ledger", 24 * 3600),
    ("mall.ledger.jobs:make_balance_checkpoints", 24 * 3600),
    ("mall.ledger.jobs:release_due_orders", 3600),
    ("mall.ledger.jobs:run_payouts", 24 * 3600),
    ("mall.ledger.jobs:sync_connect_accounts", 6 * 3600),
]


def command_names(group: click.Group, prefix: str = "") -> list[str]:
    names = []
    for name, command in sorted(group.commands.items()):
        names.append(prefix + name)
        if isinstance(command, click.Group):
            names.extend(command_names(command, f"{prefix}{name} "))
    return names


def test_the_routes_are_the_ones_listed(app):
    routes = {
        (rule.rule, ",".join(sorted(rule.methods - {"HEAD", "OPTIONS"})))
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and not rule.endpoint.startswith("probe_admin.")
    }
    assert routes == ROUTES


def test_the_mall_commands_are_the_ones_listed(app):
    assert command_names(app.cli.commands["mall"]) == MALL_COMMANDS


def test_the_periodic_jobs_are_the_ones_listed(app):
    assert [(job.ref, job.interval) for job in periodic_jobs(app)] == PERIODIC_JOBS


def test_flask_mall_periodic_lists_them(app):
    result = app.test_cli_runner().invoke(args=["mall", "periodic"])
    assert result.exit_code == 0, result.output
    assert [line.split("\t")[0] for line in result.output.splitlines()] == [
        ref for ref, _ in PERIODIC_JOBS
    ]


def test_every_domain_wires_itself():
    import importlib

    for name in mall.DOMAINS:
        package = importlib.import_module(name)
        assert callable(getattr(package, "init_app", None)), f"{name} has no init_app(app)"
