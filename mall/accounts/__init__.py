"""Accounts: one platform-wide user table, sign-in, email verification, password resets."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Sign-in (Flask-Login), the account pages (profile, orders across shops, address book),
    the contact form with the operator's inbox and ``flask mall create-operator``."""
    from mall.accounts import (
        address_views,
        auth,
        contact_views,
        jobs,
        orders_views,
        privacy_views,
        views,
    )
    from mall.accounts.cli import create_operator_command
    from mall.cli import add_commands
    from mall.schedule import add_periodic

    auth.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(orders_views.bp)
    app.register_blueprint(address_views.bp)
    app.register_blueprint(contact_views.bp)
    app.register_blueprint(contact_views.console_bp)
    app.register_blueprint(privacy_views.bp)
    add_commands(create_operator_command)
    add_periodic(app, jobs.prune_device_sessions, interval=24 * 3600)
    # Privacy (data export, retention): the emailed export links' files, the shops' order
    # copies past the retention period, sign-in events and download logs past theirs.
    add_periodic(app, jobs.delete_expired_exports, interval=3600)
    add_periodic(app, jobs.anonymise_old_orders, interval=24 * 3600)
    add_periodic(app, jobs.prune_personal_logs, interval=24 * 3600)
