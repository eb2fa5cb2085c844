"""The operator console (/admin): shops, commission, settings, audit log."""

from __future__ import annotations

from flask import Flask

SHRED_SWEEP_SECONDS = 3600


def init_app(app: Flask) -> None:
    """The console pages, and the hourly sweep that shreds closed shops after their grace period."""
    from mall.console import jobs, nav, views
    from mall.schedule import add_periodic

    app.register_blueprint(views.bp)
    app.add_template_global(nav.console_links)
    add_periodic(app, jobs.shred_due_shops, interval=SHRED_SWEEP_SECONDS)
