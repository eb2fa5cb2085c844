"""Affiliate links (blueprint ``affiliates_tracking``): the short link ``/r/<code>`` and the
``?ref=<code>`` hook on every page.

Both record one click and put the affiliate in the visitor's signed referral cookie: with
Redis, the click is queued (``buffer``: one RPUSH, no database write on the request; the
plain short link on the mall's host is even answered before the app, ``fastpath``);
without, it is one INSERT (``clicks.record_click``), nothing else. Bots are recorded
(flagged) and get no cookie. A visitor always reaches a page: an unknown, unapproved or
suspended code records nothing and still leads to the target (or, for ``?ref=``, serves
the page).

Cached pages: the page cache (``mall.pagecache``) is consulted inside the view, so
this hook runs for a cached page too; a response that sets the cookie is marked
``private, no-store``, so no shared cache keeps it (or its ``Set-Cookie``) and every
``?ref=`` request reaches the app. The ``?ref=`` stays in the address bar: a redirect to
strip it would cost every visitor a second round trip.
"""

from __future__ import annotations

import logging
from uuid import UUID

from flask import Blueprint, current_app, g, redirect, request
from flask.typing import ResponseReturnValue
from redis import RedisError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from affiliates.models import AgentClass
from affiliates.tracking import clicks, links
from affiliates.tracking.buffer import ClickBuffer, click_buffer
from mall.extensions import db
from tenants.keys import KeyServiceError

log = logging.getLogger(__name__)

bp = Blueprint("affiliates_tracking", __name__)


@bp.get("/r/<code>")
def follow(code: str) -> ResponseReturnValue:
    """An affiliate's short link: record the click, set the cookie, go to the target."""
    target = links.safe_target(
        request.args.get("to"), host_shop=request.environ.get("mall.host_shop")
    )
    agent = clicks.agent_class(request.user_agent.string)
    affiliate_id = _record(code, path=target.path, shop_slug=target.shop_slug, agent=agent)
    response = redirect(target.location, code=302)
    if affiliate_id is not None and agent is not AgentClass.BOT:
        clicks.set_referral_cookie(response, affiliate_id)
    response.headers["Cache-Control"] = "no-store"
    return response


def remember_ref(response: Response) -> Response:
    """``after_request``: a GET page answered in HTML with ``?ref=<code>`` records the click."""
    code = request.args.get("ref")
    if (
        not code
        or request.method != "GET"
        or response.status_code != 200
        or response.mimetype != "text/html"
        or request.endpoint == "affiliates_tracking.follow"
        or clicks.clean_code(code) is None
    ):
        return response
    agent = clicks.agent_class(request.user_agent.string)
    shop = g.get("shop")
    affiliate_id = _record(code, path=request.path, shop_id=shop.id if shop else None, agent=agent)
    if affiliate_id is not None and agent is not AgentClass.BOT:
        clicks.set_referral_cookie(response, affiliate_id)
    return response


def _record(
    code: str,
    *,
    agent: AgentClass,
    path: str,
    shop_id: UUID | None = None,
    shop_slug: str | None = None,
) -> UUID | None:
    """Record the click (queued, or inserted and committed); the affiliate's id, None for an
    unknown code or (the page still served) when the click could not be recorded."""
    buffer = click_buffer(current_app)
    if buffer is not None:
        try:
            return _queue(
                buffer, code, agent=agent, path=path, shop_id=shop_id, shop_slug=shop_slug
            )
        except (RedisError, SQLAlchemyError, KeyServiceError):
            db.session.rollback()
            log.warning("could not queue an affiliate click: recording it directly")
    try:
        affiliate_id = clicks.record_click(
            code,
            path=path,
            shop_id=shop_id,
            shop_slug=shop_slug,
            referrer=request.referrer,
            ip=request.remote_addr,
            agent=agent,
        )
        if affiliate_id is not None:
            db.session.commit()
        return affiliate_id
    except (SQLAlchemyError, KeyServiceError):
        # A lost click must never cost the visitor the page.
        db.session.rollback()
        log.exception("could not record an affiliate click")
        return None


def _queue(
    buffer: ClickBuffer,
    code: str,
    *,
    agent: AgentClass,
    path: str,
    shop_id: UUID | None,
    shop_slug: str | None,
) -> UUID | None:
    affiliate_id = clicks.approved_affiliate(code)
    if affiliate_id is not None:
        buffer.push(
            clicks.click_entry(
                affiliate_id,
                path=path,
                agent=agent,
                shop_id=shop_id,
                shop_slug=shop_slug,
                referrer=request.referrer,
                ip=request.remote_addr,
            )
        )
    return affiliate_id
