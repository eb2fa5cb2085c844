"""A shop's whole statement as CSV: every line, oldest first, with the running balance,
streamed in keyset batches (the same lines and labels as ``statement.statement_page``)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from uuid import UUID

import sqlalchemy as sa

from mall.csvsafe import writer
from mall.extensions import db
from mall.ledger.models import LedgerLine
from mall.ledger.statements.statement import (
    CSV_BATCH,
    StatementLine,
    check_scope,
    statement_line,
    statement_query,
)
from mall.ledger.statements.summary import owed
from mall.money import to_decimal_text

# ``line_no`` and ``event_no`` count the shop's own lines and events (1, 2, 3…, oldest first):
# the ledger's entry numbers are mall-wide, and their gaps would show other shops' activity.
CSV_COLUMNS = (
    "line_no",
    "event_no",
    "posted_at",
    "event",
    "line",
    "account",
    "order",
    "amount",
    "balance",
    "currency",
)


def statement_rows(shop_id: UUID, *, size: int = CSV_BATCH) -> Iterator[list[StatementLine]]:
    """Every line of the shop, oldest first, ``size`` at a time (keyset on seq, position)."""
    check_scope(shop_id)
    query = statement_query(shop_id, None).order_by(LedgerLine.entry_seq, LedgerLine.position)
    running = 0
    last: tuple[int, int] | None = None
    while True:
        batch_query = query
        if last is not None:
            seq, position = last
            batch_query = query.where(
                LedgerLine.entry_seq >= seq,  # lets the index seek
                sa.or_(
                    LedgerLine.entry_seq > seq,
                    sa.and_(LedgerLine.entry_seq == seq, LedgerLine.position > position),
                ),
            )
        rows = list(db.session.execute(batch_query.limit(size)))
        if not rows:
            return
        batch = []
        for row in rows:
            running += row.amount
            batch.append(statement_line(row, owed(running)))
        yield batch
        if len(rows) < size:
            return
        last = (rows[-1].entry_seq, rows[-1].position)


def statement_csv(shop_id: UUID, *, currency: str) -> Iterator[str]:
    """The shop's whole statement as CSV text, a chunk per batch (header first), oldest first."""
    buffer = io.StringIO()
    out = writer(buffer)
    out.writerow(CSV_COLUMNS)
    line_no = event_no = 0
    last_seq = None
    for batch in statement_rows(shop_id):
        for line in batch:
            line_no += 1
            if line.seq != last_seq:
                event_no, last_seq = event_no + 1, line.seq
            out.writerow(
                [
                    line_no,
                    event_no,
                    line.posted_at.isoformat(timespec="seconds"),
                    line.event,
                    line.label,
                    line.account_label,
                    line.order_number or "",
                    to_decimal_text(line.amount, code=currency),
                    to_decimal_text(line.balance, code=currency),
                    currency,
                ]
            )
        yield drain(buffer)
    yield drain(buffer)


def drain(buffer: io.StringIO) -> str:
    """What was written to ``buffer`` since the last drain (then empties it)."""
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
