"""Accounts: one platform-wide user table, sign-in, email verification, password resets."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Sign-in (Flask-Login), the account pages and ``flask mall create-operator``."""
    from mall.accounts import auth, jobs, views
    from mall.accounts.cli import create_operator_command
    from mall.cli import add_commands
    from mall.schedule import add_periodic

    auth.init_app(app)
    app.register_blueprint(views.bp)
    add_commands(create_operator_command)
    add_periodic(app, jobs.prune_device_sessions, interval=24 * 3600)
