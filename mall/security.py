"""Security headers on every response (only self-hosted assets, no framing), and input hygiene.

- Headers: added after every request, and again by ``SecurityHeadersMiddleware``
  at the WSGI level for any response that did not pass through Flask's
  ``after_request`` (an error that escaped the app answers a plain 500 there).
- Input: a host, path, query-string or form value with a C0 control character
  (NUL and the like; tab, CR and LF are fine) is refused with a 400 before any
  view, form or shop look-up sees it (PostgreSQL cannot store NUL in text).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from flask import Flask, Response, request

from mall.errors import BadInput, plain_response

log = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")

# C0 control characters except tab (\x09), line feed (\x0a) and carriage return (\x0d).
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
CONTROL_CHARACTER_MESSAGE = (
    "What you sent contains a control character (such as a NUL byte) that no field accepts. "
    "Remove it, or type the text again instead of pasting it, and retry."
)


def policy_with_form_target(origin: str) -> str:
    """The CSP with ``origin`` added to form targets: a form answered by a redirect there
    (a payment provider's hosted page) is otherwise blocked by the browser."""
    return CONTENT_SECURITY_POLICY.replace("form-action 'self'", f"form-action 'self' {origin}")


def policy_also_allowing(origin: str) -> str:
    """The CSP with ``origin`` added to images and form targets (a shop's host links the mall's)."""
    return CONTENT_SECURITY_POLICY.replace(
        "img-src 'self' data:", f"img-src 'self' data: {origin}"
    ).replace("form-action 'self'", f"form-action 'self' {origin}")


def security_headers(config: Any) -> list[tuple[str, str]]:
    """The headers every response carries (HSTS when cookies are HTTPS-only, i.e. production)."""
    headers = list(HEADERS)
    if config.get("SESSION_COOKIE_SECURE"):
        headers.append(HSTS)
    return headers


def add_security_headers(headers: Any, config: Any) -> None:
    """Add the security headers ``headers`` (a ``Headers``) does not have yet."""
    for name, value in security_headers(config):
        headers.setdefault(name, value)


def register(app: Flask) -> None:
    """Add the headers after every request (and at the WSGI level); refuse control characters."""

    @app.after_request
    def add_headers(response: Response) -> Response:
        add_security_headers(response.headers, app.config)
        return response

    # The first hook of every request: app-level URL value preprocessors run before
    # blueprint ones (which load the shop by slug) and before every before_request.
    app.url_value_preprocessor(refuse_control_characters)
    app.wsgi_app = SecurityHeadersMiddleware(app.wsgi_app, app)  # type: ignore[method-assign]


def refuse_control_characters(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Answer 400 when the host, path, a query-string or form value (or a file's name) has one.

    File contents are not inspected: they are bytes, checked by whoever reads them.
    """
    if _has_control_character(_submitted_text()):
        raise BadInput(CONTROL_CHARACTER_MESSAGE)


def _submitted_text() -> Iterator[str]:
    yield request.environ.get("HTTP_HOST") or ""
    yield request.path
    for source in (request.args, request.form):
        for key, value in source.items(multi=True):
            yield key
            yield value
    for key, upload in request.files.items(multi=True):
        yield key
        yield upload.filename or ""


def _has_control_character(texts: Iterable[str]) -> bool:
    return any(CONTROL_CHARACTERS.search(text) for text in texts)


class SecurityHeadersMiddleware:
    """Every response leaves with the security headers, whatever produced it.

    An exception that escaped Flask's own error handling answers a plain 500
    here (with the headers) instead of the server's bare one; in debug and
    testing it propagates, as Flask's ``PROPAGATE_EXCEPTIONS`` says.
    """

    def __init__(self, wsgi_app: Callable, app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            present = {name.lower() for name, _ in headers}
            headers.extend(
                (name, value)
                for name, value in security_headers(self.app.config)
                if name.lower() not in present
            )
            return start_response(status, headers, exc_info)

        try:
            return self.wsgi_app(environ, start)
        except Exception:
            if self._propagate():
                raise
            log.exception("an error escaped the app on %s", environ.get("REQUEST_METHOD"))
            return plain_response(500)(environ, start)

    def _propagate(self) -> bool:
        propagate = self.app.config.get("PROPAGATE_EXCEPTIONS")
        return bool(self.app.testing or self.app.debug) if propagate is None else propagate
