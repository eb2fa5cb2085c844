"""Services behind the mall-wide pages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask

from mall.checkout.referral import COOKIE as REFERRAL_COOKIE
from mall.extensions import db
from mall.jobs import redis_connection


def check_health(app: Flask) -> tuple[bool, dict[str, Any]]:
    """Ping the database (and Redis when configured); returns (healthy, report)."""
    report: dict[str, Any] = {}
    healthy = True
    try:
        db.session.execute(sa.text("SELECT 1"))
        report["database"] = "ok"
    except Exception as error:  # any failure is the report, not a 500
        healthy = False
        report["database"] = f"error: {type(error).__name__}"
    finally:
        db.session.rollback()
    if app.config.get("REDIS_URL"):
        try:
            redis_connection(app).ping()
            report["redis"] = "ok"
        except Exception as error:
            healthy = False
            report["redis"] = f"error: {type(error).__name__}"
    else:
        report["redis"] = "not configured (jobs run inline)"
    report["status"] = "ok" if healthy else "error"
    return healthy, report


@dataclass(frozen=True)
class PrivacyFacts:
    """The numbers the privacy page states, read from the settings the code runs on."""

    retention_years: int  # shops' order copies anonymised after (tax records)
    log_retention_days: int  # sign-in events and download logs (IP addresses) deleted after
    export_link_hours: int  # a data export's link works this long
    offline_card_deadline_hours: int  # unprocessed offline card details deleted after
    cart_idle_days: int  # unused carts deleted after
    download_link_hours: int  # a download link works this long
    remember_days: int  # "Keep me signed in" lasts this long
    session_cookie: str  # the session cookie's name (SESSION_COOKIE_NAME)
    remember_cookie: str  # the remember-me cookie's name (REMEMBER_COOKIE_NAME)
    referral_cookie: str  # the affiliate referral cookie's name


def privacy_facts(config: Mapping[str, Any]) -> PrivacyFacts:
    """The privacy page's numbers from ``config`` (the app's), so the page never drifts."""
    remember = config.get("REMEMBER_COOKIE_DURATION") or timedelta(days=30)
    if not isinstance(remember, timedelta):
        remember = timedelta(seconds=int(remember))
    return PrivacyFacts(
        retention_years=int(config["RETENTION_YEARS"]),
        log_retention_days=int(config["LOG_RETENTION_DAYS"]),
        export_link_hours=int(config["EXPORT_LINK_HOURS"]),
        offline_card_deadline_hours=int(config["OFFLINE_CARD_DEADLINE_HOURS"]),
        cart_idle_days=int(config["CART_IDLE_DAYS"]),
        download_link_hours=max(1, int(config.get("DOWNLOAD_LINK_TTL") or 7 * 24 * 3600) // 3600),
        remember_days=max(1, remember.days),
        session_cookie=str(config.get("SESSION_COOKIE_NAME") or "session"),
        remember_cookie=str(config.get("REMEMBER_COOKIE_NAME") or "remember_token"),
        referral_cookie=REFERRAL_COOKIE,
    )
