"""The operator's revenue page at /admin/revenue (blueprint ``revenue_console``).

Commission earned (net of what refunds returned), platform-funded discounts,
refunds, payments and payouts per month or week, from the platform's ledger
accounts only, with a chart, a table and a CSV; and what the mall owes shops
now (payouts due, debts, pending). Totals only: no shop, customer or order is named.
Operators only; read-only.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue

from mall.accounts.auth import operator_required
from mall.db import utcnow
from mall.errors import BadInput
from mall.ledger import statements
from mall.ledger.console_views import TEMPLATES
from mall.money import currency, format_money, to_decimal_text

bp = Blueprint("revenue_console", __name__, url_prefix="/admin/revenue", template_folder=TEMPLATES)

COUNTS = {"month": 12, "week": 12}
PERIOD_LABELS = {"month": "Month", "week": "Week"}


def _period_arg(raw: str | None) -> str:
    period = raw or "month"
    if period not in statements.PERIODS:
        raise BadInput("Choose months or weeks.")
    return period


def _chart(revenue: statements.Revenue, code: str) -> dict[str, Any]:
    """Commission and platform-funded discounts per period (major units), for money-charts.js."""

    def major(amounts: list[int]) -> list[float]:
        return [float(to_decimal_text(amount, code=code)) for amount in amounts]

    return {
        "labels": [row.label for row in revenue.rows],
        "datasets": [
            {"label": "Commission earned", "data": major([r.commission for r in revenue.rows])},
            {
                "label": "Platform-funded discounts",
                "data": major([r.platform_discounts for r in revenue.rows]),
            },
        ],
    }


@bp.get("")
@operator_required
def revenue() -> ResponseReturnValue:
    """Commission, discounts, refunds and payouts per period; what shops are owed now."""
    period = _period_arg(request.args.get("period"))
    found = statements.platform_revenue(period, count=COUNTS[period])
    return render_template(
        "ledger/console/revenue.html",
        revenue=found,
        chart=_chart(found, currency()),
        period=period,
        period_labels=PERIOD_LABELS,
        format_money=format_money,
        active="revenue_console.revenue",
    )


@bp.get("/export.csv")
@operator_required
def revenue_csv() -> ResponseReturnValue:
    """The same figures as CSV (``?period=month|week``)."""
    period = _period_arg(request.args.get("period"))
    found = statements.platform_revenue(period, count=COUNTS[period])
    name = f"revenue-by-{period}-{utcnow():%Y-%m-%d}.csv"
    return Response(
        statements.revenue_csv(found, currency=currency()),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
