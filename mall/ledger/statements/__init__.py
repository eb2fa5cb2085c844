"""What a shop sees of its money, and the operator's revenue: read from ledger lines only.

- ``summary``: a shop's balances by account (one query), whether it can be paid
  ("payable — blocked") and what it must do; the minimum payout.
- ``statement``: a shop's ledger lines with the event each came from and a
  running balance, page by page; its payouts. ``csv_export``: the whole
  statement as CSV, streamed.
- ``cursor``: the sealed token a statement link carries instead of a mall-wide
  entry number.
- ``weekly``: a shop's net sales per week (settled weeks remembered per process);
  ``yearly``: its yearly statement (CSV).
- ``revenue``: the operator's revenue per month or week, and what shops are owed.
- ``periods``: weeks and months, and the SQL that puts lines in them.

Nothing here is a stored counter; nothing here writes.
"""

from __future__ import annotations

from mall.ledger.statements.csv_export import statement_csv
from mall.ledger.statements.cursor import cursor_seq, page_cursor
from mall.ledger.statements.periods import PERIODS
from mall.ledger.statements.revenue import Revenue, platform_revenue, revenue_csv
from mall.ledger.statements.statement import (
    StatementLine,
    StatementPage,
    payout_history,
    statement_page,
    statement_years,
)
from mall.ledger.statements.summary import (
    ACCOUNT_LABELS,
    SHOP_ACCOUNTS,
    MoneySummary,
    blocking_reasons,
    money_summary,
)
from mall.ledger.statements.weekly import WeekSales, weekly_net_sales
from mall.ledger.statements.yearly import YearlyStatement, yearly_csv, yearly_statement

__all__ = [
    "ACCOUNT_LABELS",
    "PERIODS",
    "SHOP_ACCOUNTS",
    "MoneySummary",
    "Revenue",
    "StatementLine",
    "StatementPage",
    "WeekSales",
    "YearlyStatement",
    "blocking_reasons",
    "cursor_seq",
    "money_summary",
    "page_cursor",
    "payout_history",
    "platform_revenue",
    "revenue_csv",
    "statement_csv",
    "statement_page",
    "statement_years",
    "weekly_net_sales",
    "yearly_csv",
    "yearly_statement",
]
