"""The ledger: double-entry journal of every movement of money, commission, statements, payouts."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The ledger's pages (shop and operator), its CLI (``flask mall ledger …``), what it
    listens to (orders, payments, disputes, transfers) and its periodic jobs."""
    from mall.cli import add_commands
    from mall.ledger import (
        connect,
        dispute_funds,
        disputes,
        fees,
        jobs,
        reconciliation,
        services,
        subscribers,
    )
    from mall.ledger.admin_views import disputes as shop_disputes
    from mall.ledger.admin_views import money as shop_money
    from mall.ledger.admin_views import payouts as shop_payouts
    from mall.ledger.cli import ledger_cli
    from mall.ledger.console_views import commission as console_commission
    from mall.ledger.console_views import money as console_money
    from mall.ledger.console_views import payouts as console_payouts
    from mall.ledger.console_views import revenue as console_revenue
    from mall.ledger.payouts import refunds as payout_refunds
    from mall.ledger.payouts import transfers
    from mall.payments.webhooks import register_handler
    from mall.schedule import add_periodic

    for blueprint in (
        shop_money.bp,  # the shop's Money page
        shop_disputes.bp,
        shop_payouts.bp,
        console_commission.bp,  # the operator's commission pages
        console_revenue.bp,
        console_money.bp,  # disputes, unattributed refunds, reconciliation, adjustments
        console_payouts.bp,
        connect.bp,  # Stripe Connect's webhook
    ):
        app.register_blueprint(blueprint)
    add_commands(ledger_cli)
    subscribers.connect()
    disputes.connect()
    fees.connect()
    payout_refunds.connect()
    # Transfers are the platform's objects: their events come to the payments webhook.
    register_handler("transfer.reversed", transfers.transfer_reversed)
    for event_type in dispute_funds.EVENTS:  # a dispute's fee and what came back
        register_handler(event_type, dispute_funds.funds_moved)
    add_periodic(app, reconciliation.reconcile_daily, interval=24 * 3600)
    add_periodic(app, jobs.verify_ledger, interval=24 * 3600)
    add_periodic(app, jobs.make_balance_checkpoints, interval=24 * 3600)
    app.add_template_global(services.last_verification, "last_ledger_verification")
    add_periodic(app, jobs.release_due_orders, interval=3600)
    add_periodic(app, jobs.run_payouts, interval=24 * 3600)
    add_periodic(app, jobs.sync_connect_accounts, interval=6 * 3600)
