"""A shop's Money page in its back office, /shop/<slug>/admin/money/ (``ledger_admin``).

Balances by account, whether the shop can be paid and what it must do if not,
its net sales per week, its statement (ledger lines with a running balance,
older pages by ``?before=<sealed cursor>``: entry numbers are mall-wide and never
shown), its commission rates and its payouts (each linking to its page); the
statement and the yearly statement as CSV. Read-only; needs ``payouts.view``
(owners and managers). Every figure is read for the shop in context only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Response, g, render_template, request, stream_with_context
from flask.typing import ResponseReturnValue

from mall.db import utcnow
from mall.errors import BadInput
from mall.ledger import statements
from mall.ledger.admin_views import PAYOUT_LABELS, TEMPLATES, member_can
from mall.ledger.commission import percent_text, shop_rates
from mall.ledger.errors import LedgerError
from mall.ledger.models import Account
from mall.ledger.payouts.entries import reference
from mall.money import currency, format_money, to_decimal_text
from mall.numbers import NumberError, parse_whole
from mall.pagination import page_number
from mall.shops.permissions import requires
from tenants.context import tenant_context
from tenants.resolution import shop_blueprint

bp = shop_blueprint(
    "ledger_admin", __name__, admin=True, url_prefix="/admin/money", template_folder=TEMPLATES
)

PAYOUTS_PER_PAGE = 10
FIRST_YEAR = 2000


@bp.context_processor
def money_helpers() -> dict[str, Any]:
    """What the Money page (and ``shops/admin_base.html``) uses."""
    return {
        "can": member_can,
        "shop": g.get("shop"),
        "format_money": format_money,
        "percent": percent_text,
        "payout_label": lambda status: PAYOUT_LABELS.get(status, str(status)),
        "payout_reference": reference,
        "ACCOUNT_LABELS": statements.ACCOUNT_LABELS,
    }


def _account_arg(raw: str | None) -> Account | None:
    """``?account=`` limits the statement to one of the shop's accounts."""
    if not raw:
        return None
    try:
        account = Account(raw)
    except ValueError:
        raise BadInput("Choose one of the accounts listed to filter the statement.") from None
    if account not in statements.SHOP_ACCOUNTS:
        raise BadInput("Choose one of the accounts listed to filter the statement.")
    return account


def _before_arg(raw: str | None) -> int | None:
    """``?before=`` the sealed cursor of the older page (the entry it starts below)."""
    if raw is None or raw == "":
        return None
    try:
        return statements.cursor_seq(g.shop.id, raw)
    except LedgerError as error:
        raise BadInput(str(error)) from None


def _chart(weeks: list[statements.WeekSales], digits_of: str) -> dict[str, Any]:
    """The chart's data (read by money-charts.js from the canvas; the CSP forbids inline script)."""
    return {
        "labels": [week.label for week in weeks],
        "datasets": [
            {
                "label": "Net sales",
                "data": [float(to_decimal_text(week.net, code=digits_of)) for week in weeks],
            }
        ],
    }


@bp.get("/")
@requires("payouts.view")
def money() -> ResponseReturnValue:
    """Balances, the weekly chart, the statement, rates and payouts of the shop in context."""
    account = _account_arg(request.args.get("account"))
    before = _before_arg(request.args.get("before"))
    shop_id = g.shop.id
    summary = statements.money_summary(shop_id)
    page = statements.statement_page(
        shop_id, before_seq=before, account=account, balance=summary.ledger_balance(account)
    )
    weeks = statements.weekly_net_sales(shop_id)
    return render_template(
        "ledger/admin/money.html",
        summary=summary,
        page=page,
        account=account,
        weeks=weeks,
        chart=_chart(weeks, currency()),
        rates=shop_rates(shop_id),
        payouts=statements.payout_history(
            shop_id, page=page_number(request.args.get("payouts_page")), per_page=PAYOUTS_PER_PAGE
        ),
        years=statements.statement_years(shop_id),
    )


@bp.get("/statement.csv")
@requires("payouts.view")
def statement_csv() -> ResponseReturnValue:
    """Every line of the shop's statement, oldest first, with the running balance (streamed)."""
    name = f"{g.shop.slug}-statement-{utcnow():%Y-%m-%d}.csv"
    return Response(
        stream_with_context(_statement_chunks(g.shop, currency())),
        mimetype="text/csv",
        headers=_download(name),
    )


def _statement_chunks(shop: Any, code: str) -> Iterator[str]:
    # The body is written after the view returned: stay in the shop's context meanwhile.
    with tenant_context(shop):
        yield from statements.statement_csv(shop.id, currency=code)


@bp.get("/yearly.csv")
@requires("payouts.view")
def yearly_csv() -> ResponseReturnValue:
    """The shop's figures per month of a calendar year (``?year=``) and for the year."""
    this_year = utcnow().year
    try:
        year = parse_whole(request.args.get("year"), minimum=FIRST_YEAR, maximum=this_year)
    except NumberError:
        raise BadInput(f"Choose a year from {FIRST_YEAR} to {this_year}.") from None
    statement = statements.yearly_statement(g.shop.id, year)
    body = statements.yearly_csv(statement, currency=currency())
    return Response(
        body, mimetype="text/csv", headers=_download(f"{g.shop.slug}-{year}-statement.csv")
    )


def _download(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
