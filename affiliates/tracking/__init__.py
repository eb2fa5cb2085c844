"""Affiliate links: ``/r/<code>`` and ``?ref=<code>``, the click record and the referral cookie,
and the daily rollups the dashboards read."""

from __future__ import annotations

from flask import Flask


def wire(app: Flask) -> None:
    """Register this part's pages and hooks (called by ``affiliates.init_app``): the short
    link (and its fast path before the app), the ``?ref=`` hook on every page, the click and
    rollup jobs and ``flask mall affiliates rollup``."""
    from affiliates.cli import add_command
    from affiliates.tracking import cli, fastpath, jobs, views
    from mall.schedule import add_periodic

    app.register_blueprint(views.bp)
    app.after_request(views.remember_ref)
    add_periodic(app, jobs.flush_clicks, interval=jobs.FLUSH_INTERVAL)
    add_periodic(app, jobs.roll_up_clicks, interval=jobs.INTERVAL)
    app.wsgi_app = fastpath.ShortLinkMiddleware(app.wsgi_app, app)  # type: ignore[method-assign]
    add_command(cli.rollup_command)
