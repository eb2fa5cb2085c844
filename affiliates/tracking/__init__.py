"""Affiliate links: ``/r/<code>`` and ``?ref=<code>``, the click record and the referral cookie,
and the daily rollups the dashboards read."""

from __future__ import annotations

from flask import Flask


def wire(app: Flask) -> None:
    """Register this part's pages and hooks (called by ``affiliates.init_app``): the short
    link, the ``?ref=`` hook on every page, the rollup job and ``flask mall affiliates rollup``."""
    from affiliates.cli import add_command
    from affiliates.tracking import cli, jobs, views
    from mall.schedule import add_periodic

    app.register_blueprint(views.bp)
    app.after_request(views.remember_ref)
    add_periodic(app, jobs.roll_up_clicks, interval=jobs.INTERVAL)
    add_command(cli.rollup_command)
