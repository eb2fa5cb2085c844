"""The short link's fast path: ``/r/<code>`` answered before the app's request stack.

An affiliate's link is the busiest URL a campaign makes, and all it does is remember a
click and redirect. With Redis configured, this WSGI middleware (the app's outermost)
answers the plain case itself: a GET of ``/r/<code>`` on the mall's own host, with no
query but an optional ``to`` that is a path. It does what the view does (``views.follow``:
the same ``links.safe_target``, the click queued with ``clicks.click_entry``, the same
cookie through ``clicks.set_referral_cookie``, the app's security headers), without
Flask's routing, sessions, rate limiter or the shop-host and security middlewares, which
have nothing to do for it. The code is looked up in the per-process copy of approved
codes (``clicks.approved_affiliate``: one SELECT a minute per code).

Everything else goes to the app unchanged: another host (a shop's subdomain or custom
domain), an absolute ``to``, other query parameters, no Redis, or any failure (Redis or
the database not answering), in which case the view records the click itself.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask
from markupsafe import escape
from redis import RedisError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.urls import iri_to_uri
from werkzeug.wrappers import Request

from affiliates.models import AgentClass
from affiliates.tracking import clicks, links
from affiliates.tracking.buffer import click_buffer
from mall.extensions import db
from mall.security import security_headers
from tenants.keys import KeyServiceError

log = logging.getLogger(__name__)

SHORT_LINK = re.compile(r"^/r/([A-Za-z0-9-]{1,32})$")
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})


class ShortLinkMiddleware:
    """Answers plain short links on the mall's host; passes every other request on."""

    def __init__(self, wsgi_app: Callable, app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        found = SHORT_LINK.match(environ.get("PATH_INFO") or "")
        if found is None or environ.get("REQUEST_METHOD") != "GET":
            return self.wsgi_app(environ, start_response)
        response = self._answer(environ, found.group(1))
        if response is None:
            return self.wsgi_app(environ, start_response)
        return response(environ, start_response)

    def _answer(self, environ: dict[str, Any], code: str) -> _Answer | None:
        """The redirect with the click queued, or None to leave the request to the app."""
        to = _plain_to(environ.get("QUERY_STRING") or "")
        if to is None:
            return None
        with self.app.app_context():
            buffer = click_buffer(self.app)
            if buffer is None or not _on_the_mall(environ):
                return None
            try:
                return self._follow(environ, code, to, buffer)
            except (RedisError, SQLAlchemyError, KeyServiceError):
                log.warning("short link fast path failed: the app records the click")
                return None
            finally:
                db.session.remove()

    def _follow(self, environ: dict[str, Any], code: str, to: str, buffer: Any) -> _Answer:
        asked = Request(environ)
        target = links.safe_target(to)
        agent = clicks.agent_class(asked.user_agent.string)
        affiliate_id = clicks.approved_affiliate(code)
        if affiliate_id is not None:
            buffer.push(
                clicks.click_entry(
                    affiliate_id,
                    path=target.path,
                    agent=agent,
                    shop_slug=target.shop_slug,
                    referrer=asked.referrer,
                    ip=asked.remote_addr,
                )
            )
        headers = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Location", iri_to_uri(target.location)),
            ("Cache-Control", "no-store"),
            # What ``mall.security`` adds to the app's answers.
            *security_headers(self.app.config),
        ]
        if affiliate_id is not None and agent is not AgentClass.BOT:
            headers.append(("Set-Cookie", clicks.referral_cookie(affiliate_id, on=asked)))
        return _Answer(headers, _redirect_page(target.location))


class _Answer:
    """A ready 302: the WSGI call without a werkzeug ``Response`` object to build."""

    def __init__(self, headers: list[tuple[str, str]], body: bytes) -> None:
        self.headers = [*headers, ("Content-Length", str(len(body)))]
        self.body = body

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        start_response("302 FOUND", self.headers)
        return [self.body]


def _redirect_page(location: str) -> bytes:
    """The page werkzeug's ``redirect`` sends along (for a client that shows it)."""
    shown = escape(location)
    return (
        "<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n"
        "<h1>Redirecting...</h1>\n<p>You should be redirected automatically to the target "
        f'URL: <a href="{shown}">{shown}</a>. If not, click the link.\n'
    ).encode()


def _plain_to(query: str) -> str | None:
    """``to`` when the query holds nothing else and it is empty or a path; None otherwise."""
    if not query:
        return ""
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return None
    if len(pairs) != 1 or pairs[0][0] != "to":
        return None
    to = pairs[0][1]
    return to if to == "" or (to.startswith("/") and not to.startswith("//")) else None


def _on_the_mall(environ: dict[str, Any]) -> bool:
    """The request came to the mall's own host (not a shop's subdomain or custom domain)."""
    host = (environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or "").lower()
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return name in LOCAL_HOSTS or name in links.mall_hosts()
