"""The payables report and a vendor's statement as CSV (through ``mall.csvsafe``: a vendor
named ``=HYPERLINK(…)`` stays text in a spreadsheet)."""

from __future__ import annotations

import io

from mall.csvsafe import writer
from mall.money import to_decimal_text
from vendors.bills.payables import BUCKETS, Payables, Statement


def payables_csv(report: Payables, *, code: str) -> str:
    """One row per vendor owed: its buckets and total, then the totals."""
    buffer = io.StringIO()
    out = writer(buffer)
    out.writerow(("vendor", "bills", *BUCKETS, "total", "currency", "as_of"))

    def money(amount: int) -> str:
        return to_decimal_text(amount, code=code)

    for row in report.vendors:
        out.writerow(
            (
                row.name,
                row.bills,
                *(money(row.buckets[b]) for b in BUCKETS),
                money(row.total),
                code,
                report.today.isoformat(),
            )
        )
    totals = report.totals
    out.writerow(
        (
            "Total",
            sum(v.bills for v in report.vendors),
            *(money(totals[b]) for b in BUCKETS),
            money(report.total),
            code,
            report.today.isoformat(),
        )
    )
    return buffer.getvalue()


def statement_csv(found: Statement, *, code: str) -> str:
    """The statement: the opening balance, a row per document, the closing balance."""
    buffer = io.StringIO()
    out = writer(buffer)
    out.writerow(("date", "type", "reference", "vendor_number", "amount", "balance", "currency"))

    def money(amount: int) -> str:
        return (
            to_decimal_text(amount, code=code)
            if amount >= 0
            else "-" + to_decimal_text(-amount, code=code)
        )

    out.writerow(
        (found.start.isoformat(), "opening balance", "", "", "", money(found.opening), code)
    )
    for row in found.rows:
        out.writerow(
            (
                row.on.isoformat(),
                row.kind,
                row.reference,
                row.vendor_number,
                money(row.amount),
                money(row.balance),
                code,
            )
        )
    out.writerow((found.end.isoformat(), "closing balance", "", "", "", money(found.closing), code))
    return buffer.getvalue()
