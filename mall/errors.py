"""Error pages for 400/403/404/405/429/500, rendered in the site layout."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import Flask, abort, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from mall.extensions import db

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

MESSAGES = {
    400: ("Bad request", "The request could not be understood. Please check what you sent."),
    403: ("Not allowed", "You do not have permission to do that."),
    404: ("Page not found", "We could not find that page. It may have moved or never existed."),
    405: ("Method not allowed", "That action is not available here."),
    429: ("Too many requests", "You are going a little fast. Please wait a moment and try again."),
    500: ("Something went wrong", "An error on our side stopped this page. It has been logged."),
}


def get_or_404(getter: Callable[P, T | None], *args: P.args, **kwargs: P.kwargs) -> T:
    """``getter(*args)``, or a 404 when it finds nothing (another shop's id finds nothing)."""
    found = getter(*args, **kwargs)
    if found is None:
        abort(404)
    return found


def register(app: Flask) -> None:
    """Render every HTTP error in the layout (JSON for JSON clients)."""

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException) -> tuple:
        return _render(error.code or 500, error.description)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception) -> tuple:
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _render(500, InternalServerError.description)


def _render(code: int, description: str | None) -> tuple:
    title, message = MESSAGES.get(code, (f"Error {code}", description or ""))
    if code == 400 and description and "CSRF" in description:
        message = "Your form expired or was sent from elsewhere. Please reload the page and retry."
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error=title, message=message), code
    return render_template("errors/error.html", code=code, title=title, message=message), code
