"""The affiliate's dashboard and link builder (blueprint ``affiliates_dashboard``):
``/affiliates/dashboard`` and ``/affiliates/links``.

Nothing here takes an affiliate's id: the signed-in person reaches only their own numbers,
through their account. The dashboard is an approved affiliate's (a suspended one still sees
their history); the link builder an approved one's. Everyone else is sent to their
affiliate page, which says where they stand.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from affiliates.applications.services import get_affiliate_of
from affiliates.dashboard import numbers
from affiliates.dashboard.links import build_links
from affiliates.errors import AffiliateError
from affiliates.models import Affiliate, AffiliateStatus, CommissionStatus, RateKind
from mall.ledger.commission import percent_text
from mall.money import format_money
from mall.pagination import decode_position, page_number

bp = Blueprint(
    "affiliates_dashboard", __name__, url_prefix="/affiliates", template_folder="../templates"
)

PRIVATE = {"Cache-Control": "private, no-store"}
TEMPLATES = "affiliates/dashboard"
STATUS_LABELS = {
    CommissionStatus.PENDING: "Pending",
    CommissionStatus.APPROVED: "Approved",
    CommissionStatus.PAID: "Paid",
    CommissionStatus.REJECTED: "Rejected",
}
STATUS_BADGES = {
    CommissionStatus.PENDING: "text-bg-warning",
    CommissionStatus.APPROVED: "text-bg-info",
    CommissionStatus.PAID: "text-bg-success",
    CommissionStatus.REJECTED: "text-bg-secondary",
}


@bp.context_processor
def dashboard_helpers() -> dict[str, Any]:
    """What the dashboard templates use."""
    return {
        "format_money": format_money,
        "percent": percent_text,
        "commission_label": lambda status: STATUS_LABELS.get(status, str(status)),
        "commission_badge": lambda status: STATUS_BADGES.get(status, "text-bg-light"),
        "rate_of": commission_rate,
    }


def commission_rate(row: Any) -> str:
    """A commission's frozen rate in words: ``5%`` or ``$2.00 per item``."""
    if row.rate_kind is RateKind.FIXED:
        return f"{format_money(row.rate_fixed)} per item"
    return f"{percent_text(row.rate_bp)}%"


def _mine(*, suspended_too: bool) -> Affiliate | None:
    """The signed-in person's affiliate row when it may use these pages, else None."""
    mine = get_affiliate_of(current_user)
    allowed = {AffiliateStatus.APPROVED}
    if suspended_too:
        allowed.add(AffiliateStatus.SUSPENDED)
    if mine is None or mine.status not in allowed or not mine.code:
        return None
    return mine


def _not_yet() -> ResponseReturnValue:
    flash("Your dashboard and links open once you are an approved affiliate.", "info")
    return redirect(url_for("affiliates.home"), 303)


def _chart(period: numbers.Period) -> dict[str, Any]:
    """The chart's data (read by money-charts.js from the canvas; the CSP forbids inline script)."""
    return {
        "labels": [f"{day.day:%b} {day.day.day}" for day in period.series],
        "datasets": [
            {"label": "Clicks", "data": [day.clicks for day in period.series]},
            {"label": "Conversions", "data": [day.conversions for day in period.series]},
        ],
    }


def _daily(period: numbers.Period) -> list[tuple[str, int, int, int, str]]:
    """The table's rows, formatted once: (ISO day, clicks, visitors, conversions, earned)."""
    return [
        (day.day.isoformat(), day.clicks, day.visitors, day.conversions, format_money(day.earned))
        for day in period.series
    ]


@bp.get("/dashboard")
@login_required
def dashboard() -> ResponseReturnValue:
    """Clicks, visitors, conversions and earnings of the last 30 or 90 days (``?days=``),
    commissions by status, the latest commissions, top landing pages and payouts."""
    mine = _mine(suspended_too=True)
    if mine is None:
        return _not_yet()
    days = numbers.period_days(request.args.get("days"))
    shown = numbers.dashboard(
        mine,
        days=days,
        older_than=decode_position(request.args.get("older")),
        newer_than=decode_position(request.args.get("newer")),
        payouts_page=page_number(request.args.get("payouts_page")),
    )
    return (
        render_template(
            f"{TEMPLATES}/dashboard.html",
            mine=mine,
            days=days,
            periods=numbers.PERIODS,
            chart=_chart(shown.period),
            daily=_daily(shown.period),
            **vars(shown),
        ),
        200,
        PRIVATE,
    )


@bp.get("/links")
@login_required
def links() -> ResponseReturnValue:
    """The link builder: ``?url=`` any page of the mall gives the affiliate's two links to it."""
    mine = _mine(suspended_too=False)
    if mine is None:
        return _not_yet()
    wanted = (request.args.get("url") or "").strip()
    built, error, status = None, None, 200
    if "url" in request.args:
        try:
            built = build_links(mine.code or "", wanted)
        except AffiliateError as refused:
            error, status = str(refused), 400
    return (
        render_template(
            f"{TEMPLATES}/links.html", mine=mine, wanted=wanted, built=built, error=error
        ),
        status,
        PRIVATE,
    )
