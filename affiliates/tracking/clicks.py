"""Recording a click, and the referral cookie.

Without Redis, a click is one INSERT on the request, nothing else: the affiliate is found
by code inside the INSERT itself (``INSERT … SELECT … FROM affiliates WHERE code = … AND
status = 'approved' RETURNING affiliate_id``), so an unknown, unapproved or suspended code
costs the same one statement and records nothing. The shop of a page reached by slug is
looked up inside the same statement. With Redis, the click is queued instead
(``click_entry``, ``buffer``): the code is found in a per-process copy of approved codes
(``approved_affiliate``), and the job that stores queued clicks keeps only those of
affiliates still approved, so a suspension still stops them.

No IP address is stored: ``ip_index`` is its blind index under the platform's index
key (``tenants.keys``). The program's cookie lifetime is read at most once a minute
per process, so it adds no query to a click.
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from functools import lru_cache
from urllib.parse import urlsplit
from uuid import UUID

import sqlalchemy as sa
from flask import Flask, current_app, request
from werkzeug.http import dump_cookie
from werkzeug.wrappers import Request, Response

from affiliates.models import Affiliate, AffiliateClick, AffiliateStatus, AgentClass
from affiliates.models.tracking import HOST_MAX, PATH_MAX
from affiliates.programs.settings import program_settings
from affiliates.tracking.buffer import click_buffer
from affiliates.tracking.links import normal_path
from mall.checkout import referral
from mall.db import new_id, utcnow
from mall.extensions import db
from tenants.keys import PLATFORM, key_service
from tenants.models import Tenant

CODE = re.compile(r"^[A-Z0-9-]{1,32}$")
IP_FIELD = "affiliate_clicks.ip_index"
SETTINGS_TTL = 60.0  # seconds a process keeps the cookie lifetime it read
AGENT_MAX = 1024  # the longest User-Agent read as a browser's
CODES_KEY = "affiliates.approved_codes"
CODES_LOADED_KEY = "affiliates.approved_codes.loaded_until"
CODES_TTL = 60.0  # seconds a process keeps which code is whose (queued clicks only)
CODES_MAX = 50_000
_PARTIAL_ESCAPE = re.compile(r"%[0-9A-Fa-f]?$")

_BOT = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|archiver|facebookexternalhit|embedly|preview|"
    r"headlesschrome|phantomjs|curl/|wget/|python-|httpclient|go-http|java/|libwww|"
    r"scrapy|okhttp|axios/|node-fetch|lighthouse|pingdom|uptime|monitor",
    re.IGNORECASE,
)
_MOBILE = re.compile(r"mobi|android|iphone|ipad|ipod|windows phone|opera mini|blackberry", re.I)
_DESKTOP = re.compile(r"windows nt|macintosh|mac os x|x11|linux x86_64|cros", re.I)


def agent_class(user_agent: str | None) -> AgentClass:
    """Bot, mobile, desktop or other, from the User-Agent (an empty one is a bot's)."""
    if user_agent and len(user_agent) > AGENT_MAX:
        return AgentClass.BOT  # no browser sends one this long
    return _agent_class(user_agent or "")


@lru_cache(maxsize=4096)  # a handful of browsers send most requests: classify each once
def _agent_class(user_agent: str) -> AgentClass:
    agent = user_agent.strip()
    if not agent or _BOT.search(agent):
        return AgentClass.BOT
    if _MOBILE.search(agent):
        return AgentClass.MOBILE
    if _DESKTOP.search(agent):
        return AgentClass.DESKTOP
    return AgentClass.OTHER


def clean_code(code: str | None) -> str | None:
    """The code as stored (upper case), or None when it cannot be anyone's."""
    wanted = (code or "").strip().upper()
    return wanted if CODE.match(wanted) else None


def referrer_host(referrer: str | None) -> str:
    """The Referer's host, lower case (``""`` without one)."""
    try:
        host = urlsplit(referrer or "").hostname or ""
    except ValueError:
        return ""
    return host.lower()[:HOST_MAX]


def landing_path(path: str) -> str:
    """The page as the click keeps it: normalised (``links.normal_path``), without its query,
    cut to the column's size (never inside a percent-escape)."""
    kept = normal_path(path.split("?", 1)[0])[:PATH_MAX]
    return _PARTIAL_ESCAPE.sub("", kept)


def ip_index(address: str | None) -> bytes | None:
    """The blind index of an IP address under the platform's index key (never the address)."""
    if not address:
        return None
    return key_service().blind_index(address.strip().lower(), scope=PLATFORM, field=IP_FIELD)


def record_click(
    code: str | None,
    *,
    path: str,
    shop_id: UUID | None = None,
    shop_slug: str | None = None,
    referrer: str | None = None,
    ip: str | None = None,
    agent: AgentClass = AgentClass.OTHER,
    at: datetime | None = None,
) -> UUID | None:
    """Record a click of the approved affiliate with ``code``, in one INSERT; its id, or None
    when no approved affiliate has that code (nothing recorded). Flushes nothing else.

    ``path`` is kept as ``landing_path`` makes it; the shop is ``shop_id`` or the one with
    ``shop_slug`` (looked up in the same statement), if any.
    """
    wanted = clean_code(code)
    if wanted is None:
        return None
    columns = AffiliateClick.__table__.c
    if shop_id is not None:
        shop = sa.literal(shop_id, columns.shop_id.type)
    elif shop_slug:
        shop = sa.select(Tenant.id).where(Tenant.slug == shop_slug.lower()).scalar_subquery()
    else:
        shop = sa.null()
    values = {
        "id": sa.literal(new_id(), columns.id.type),
        "affiliate_id": Affiliate.id,
        "clicked_at": sa.literal(at or utcnow(), columns.clicked_at.type),
        "shop_id": shop,
        "landing_path": sa.literal(landing_path(path), columns.landing_path.type),
        "referrer_host": sa.literal(referrer_host(referrer), columns.referrer_host.type),
        "ip_index": sa.literal(ip_index(ip), columns.ip_index.type),
        "agent": sa.literal(agent, columns.agent.type),
    }
    found = sa.select(*values.values()).where(
        Affiliate.code == wanted, Affiliate.status == AffiliateStatus.APPROVED
    )
    statement = (
        sa.insert(AffiliateClick)
        .from_select(list(values), found)
        .returning(AffiliateClick.affiliate_id)
    )
    return db.session.execute(statement).scalar()


def click_entry(
    affiliate_id: UUID,
    *,
    path: str,
    agent: AgentClass,
    shop_id: UUID | None = None,
    shop_slug: str | None = None,
    referrer: str | None = None,
    ip: str | None = None,
) -> dict[str, str | None]:
    """A click as the queue keeps it (``buffer``): what ``record_click`` would insert, with
    the click's own id (a replayed entry is the same row) and no address, only its index."""
    index = ip_index(ip)
    return {
        "id": new_id().hex,
        "a": affiliate_id.hex,
        "t": utcnow().isoformat(),
        "p": landing_path(path),
        "s": shop_id.hex if shop_id else None,
        "g": shop_slug.lower() if shop_slug and not shop_id else None,
        "r": referrer_host(referrer),
        "i": index.hex() if index else None,
        "k": agent.value,
    }


def approved_affiliate(code: str | None) -> UUID | None:
    """The id of the affiliate with ``code``, as last found approved: a per-process copy at
    most ``CODES_TTL`` seconds old, else the queue's Redis (``buffer.CODES``: a code never
    changes hands), else one SELECT of an approved affiliate. A suspension since costs
    nothing: queued clicks are kept only for affiliates approved when they are stored, and
    a sale is attributed only to an affiliate approved at the payment."""
    wanted = clean_code(code)
    if wanted is None:
        return None
    cache = current_app.extensions.setdefault(CODES_KEY, {})
    now = time.monotonic()
    found = cache.get(wanted)
    if found is not None and found[1] > now:
        return found[0]
    affiliate_id = _shared_code(wanted, cache, now)
    if affiliate_id is None:
        affiliate_id = db.session.scalar(
            sa.select(Affiliate.id).where(
                Affiliate.code == wanted, Affiliate.status == AffiliateStatus.APPROVED
            )
        )
        if affiliate_id is not None:
            _share_code(wanted, affiliate_id)
    if len(cache) >= CODES_MAX:
        cache.clear()  # a flood of made-up codes cannot grow it without bound
    cache[wanted] = (affiliate_id, now + CODES_TTL)
    return affiliate_id


def _shared_code(code: str, cache: dict, now: float) -> UUID | None:
    """The affiliate of ``code`` as the click queue's Redis knows it (some process looked it
    up already). Once per ``CODES_TTL`` a process copies every code Redis knows (when they
    are not too many), so a link's first visit to this process costs no round trip either."""
    buffer = click_buffer(current_app)
    if buffer is None:
        return None
    if current_app.extensions.get(CODES_LOADED_KEY, 0.0) < now:
        current_app.extensions[CODES_LOADED_KEY] = now + CODES_TTL
        known = buffer.all_codes(limit=CODES_MAX // 2)
        for other, affiliate in (known or {}).items():
            cache[other] = (UUID(hex=affiliate), now + CODES_TTL)
        if code in (known or {}):
            return cache[code][0]
    found = buffer.affiliate_of(code)
    return UUID(hex=found) if found else None


def _share_code(code: str, affiliate_id: UUID) -> None:
    buffer = click_buffer(current_app)
    if buffer is not None:
        buffer.remember_code(code, affiliate_id.hex)


# ---------------------------------------------------------------- the cookie


def set_referral_cookie(
    response: Response, affiliate_id: UUID, *, on: Request | None = None
) -> None:
    """Add the click to the visitor's signed referral cookie (one entry per affiliate);
    ``on`` is the request when there is no Flask request (``fastpath``)."""
    response.headers.add("Set-Cookie", referral_cookie(affiliate_id, on=on or request))
    # A response that sets a cookie is never kept by a shared cache (nor the browser's).
    response.headers["Cache-Control"] = "private, no-store"


def referral_cookie(affiliate_id: UUID, *, on: Request) -> str:
    """The ``Set-Cookie`` value that adds a click of ``affiliate_id`` to the visitor's
    signed referral cookie (HttpOnly, SameSite=Lax, the program's lifetime)."""
    days = cookie_days()
    entries = referral.add_click(
        referral.load(on.cookies.get(referral.COOKIE)),
        affiliate_id.hex,
        int(time.time()),
        lifetime=days * 86400,
    )
    return dump_cookie(
        referral.COOKIE,
        referral.dump(entries),
        max_age=days * 86400,
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")) or on.is_secure,
        domain=_cookie_domain(on.host),
        path="/",
    )


def _cookie_domain(host: str) -> str | None:
    """The mall's cookie domain when the request is on it (so the checkout on any of the
    mall's hosts reads it); host-only on a shop's custom domain."""
    domain = current_app.config.get("SESSION_COOKIE_DOMAIN")
    host = host.split(":", 1)[0].lower()
    if domain and (host == domain or host.endswith("." + domain)):
        return domain
    return None


def cookie_days() -> int:
    """The mall program's cookie lifetime in days (read at most once a minute per process)."""
    cache = _settings_cache(current_app)
    if cache.get("until", 0.0) < time.monotonic():
        cache["days"] = program_settings().cookie_days
        cache["until"] = time.monotonic() + SETTINGS_TTL
    return int(cache["days"])


def forget_settings(app: Flask) -> None:
    """Read the program's settings and the codes afresh on the next click (tests, the
    console's save)."""
    _settings_cache(app).clear()
    app.extensions.pop(CODES_KEY, None)
    app.extensions.pop(CODES_LOADED_KEY, None)


def _settings_cache(app: Flask) -> dict:
    return app.extensions.setdefault("affiliates.tracking.settings", {})
