"""Statements: a shop's Money page and its CSVs (back office), the operator's revenue page."""

from __future__ import annotations

SHOP_ROUTES = {
    "ledger_admin.money",
    "ledger_admin.statement_csv",
    "ledger_admin.yearly_csv",
}
MALL_ROUTES = {
    "revenue_console.revenue",
    "revenue_console.revenue_csv",
}
