"""Attribution and commissions: made when a shop order is paid, approved when their hold
ends, reduced or clawed back by refunds, each step posted to the ledger once."""

from __future__ import annotations

from flask import Flask


def wire(app: Flask) -> None:
    """Subscribe to the orders' signals, add the hourly approval job and
    ``flask mall affiliates approve-due`` (called by ``affiliates.init_app``)."""
    from affiliates.cli import add_command
    from affiliates.commissions import cli, jobs, refunds, subscribers
    from mall.schedule import add_periodic
    from mall.signals import dispute_lost, order_cancelled, order_paid, order_refunded

    # Module-level functions: blinker keeps weak references.
    order_paid.connect(subscribers.on_order_paid)
    order_refunded.connect(refunds.on_order_refunded)
    order_cancelled.connect(refunds.on_order_cancelled)
    dispute_lost.connect(refunds.on_dispute_lost)
    add_periodic(app, jobs.approve_due_commissions, interval=jobs.INTERVAL)
    add_command(cli.approve_due_command)
