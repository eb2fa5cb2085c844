"""Error pages for 400/403/404/405/429/500, rendered in the site layout.

The error page never fails in turn: a request whose Host header could not be
routed (no URL adapter) gets one bound to the mall's public address, so the
layout's links still build; and if the layout cannot render at all, a plain
page without links or assets answers instead (``plain_page``).

A rate-limited request is told how long to wait, from the limit it broke; a view
that answers its own breach (``on_breach``: a form shown again with what was
typed) has that answer sent as is.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, jsonify, render_template, request
from flask.globals import request_ctx
from flask_limiter import RateLimitExceeded
from markupsafe import escape
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError
from werkzeug.wrappers import Response

from mall.extensions import db, limiter

if TYPE_CHECKING:
    from limits import RateLimitItem

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

MESSAGES = {
    400: ("Bad request", "The request could not be understood. Please check what you sent."),
    403: ("Not allowed", "You do not have permission to do that."),
    404: ("Page not found", "We could not find that page. It may have moved or never existed."),
    405: ("Method not allowed", "That action is not available here."),
    429: ("Too many requests", "Too many requests from your connection: please try again later."),
    500: ("Something went wrong", "An error on our side stopped this page. It has been logged."),
    503: ("Temporarily unavailable", "This page is not available right now. Please try again."),
}


def retry_after(limit: RateLimitItem | None = None) -> int:
    """Seconds until the limits this request broke let it through again (at least 1).

    From the limiter's own count when it answers; otherwise the longest window broken
    (``limit``'s when the request records none), which is never too short.
    """
    breached = [found for found in limiter.current_limits if found.breached]
    windows = [found.limit.get_expiry() for found in breached]
    if limit is not None:
        windows.append(limit.get_expiry())
    longest = max(windows, default=60)
    try:
        wait = max(found.reset_at for found in breached) - time.time() if breached else longest
    except Exception:  # the limiter's store is out of reach: the window is the safe answer
        log.warning("could not read when the rate limit resets; saying its window instead")
        wait = longest
    return max(1, min(longest, math.ceil(wait)))


def wait_phrase(seconds: int) -> str:
    """``seconds`` as a person says it, rounded: "about a minute", "about 20 minutes"."""
    if seconds < 20:
        return "a few seconds"
    minutes = max(1, round(seconds / 60))
    if minutes < 60:
        count, unit = minutes, "minute"
    elif minutes < 36 * 60:
        count, unit = round(minutes / 60), "hour"
    else:
        count, unit = round(minutes / (24 * 60)), "day"
    if count == 1:
        return f"about {'an' if unit == 'hour' else 'a'} {unit}"
    return f"about {count} {unit}s"


def rate_limited_message(seconds: int, *, what: str = "requests") -> str:
    """What a rate-limited person reads: too many ``what``, and how long to wait."""
    return f"Too many {what} from your connection: try again in {wait_phrase(seconds)}."


class BadInput(BadRequest):
    """A 400 whose description is written for the person who sent the request (shown as is)."""


def get_or_404(getter: Callable[P, T | None], *args: P.args, **kwargs: P.kwargs) -> T:
    """``getter(*args)``, or a 404 when it finds nothing (another shop's id finds nothing)."""
    found = getter(*args, **kwargs)
    if found is None:
        abort(404)
    return found


def register(app: Flask) -> None:
    """Render every HTTP error in the layout (JSON for JSON clients)."""

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException) -> Response | tuple:
        if error.response is not None:  # the view wrote this answer itself (``on_breach``)
            return error.response
        if isinstance(error, RateLimitExceeded):
            wait = retry_after(error.limit.limit)
            return _render(
                429, None, shown=rate_limited_message(wait), headers={"Retry-After": str(wait)}
            )
        shown = error.description if isinstance(error, BadInput) else None
        return _render(error.code or 500, error.description, shown=shown)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception) -> tuple:
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _render(500, InternalServerError.description)


def _render(
    code: int,
    description: str | None,
    *,
    shown: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple:
    headers = headers or {}
    title, message = MESSAGES.get(code, (f"Error {code}", description or ""))
    if code == 400 and description and "CSRF" in description:
        message = "Your form expired or was sent from elsewhere. Please reload the page and retry."
    message = shown or message
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error=title, message=message), code, headers
    try:
        _bind_url_adapter()
        page = render_template("errors/error.html", code=code, title=title, message=message)
        return page, code, headers
    except Exception:
        log.exception("the %s page failed to render; answering with the plain page", code)
        headers = {**headers, "Content-Type": "text/html; charset=utf-8"}
        return plain_page(code, title, message), code, headers


def _bind_url_adapter() -> None:
    """Give a request that could not be routed (malformed Host) a URL adapter for the mall.

    Flask leaves ``url_adapter`` unset when the Host header is not a valid
    name (``..``, a label over 63 characters); ``url_for`` in the layout would
    then fail. Links are built relative to the mall's public address instead.
    """
    ctx = request_ctx._get_current_object()
    if ctx.url_adapter is not None:
        return
    public = urlsplit(current_app.config.get("PUBLIC_URL") or "")
    server = public.netloc or current_app.config.get("BASE_DOMAIN") or "localhost"
    ctx.url_adapter = current_app.url_map.bind(
        server, url_scheme=public.scheme or "http", script_name="/"
    )


def plain_page(code: int, title: str | None = None, message: str | None = None) -> str:
    """A self-contained error page: no layout, links, assets or inline style (for last resorts)."""
    default_title, default_message = MESSAGES.get(code, (f"Error {code}", ""))
    return (
        '<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title or default_title)}</title></head>\n"
        f'<body><main id="main"><h1>{escape(title or default_title)}</h1>'
        f"<p>{escape(message or default_message)}</p></main></body>\n</html>\n"
    )


def plain_response(code: int) -> Response:
    """``plain_page(code)`` as a response, for answers made outside Flask's request handling."""
    return Response(plain_page(code), status=code, content_type="text/html; charset=utf-8")
