"""Mall-wide pages: home, search, privacy, health."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the home, privacy and health pages."""
    from mall.pages import views

    app.register_blueprint(views.bp)
