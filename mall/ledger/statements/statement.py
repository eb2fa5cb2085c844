"""A shop's statement: its ledger lines with the event each came from and a running balance.

``statement_page``: the shop's lines, newest first, with the balance after each
line. The running balance is over ALL the shop's accounts: what the mall owes
the shop in all, wherever it sits (pending, available, reserve, disputed, on
its way). Internal moves (a release, a reserve, a payout sent) show as two
lines that leave it unchanged; a sale raises it, a payout paid lowers it. With
``account=`` the statement is one account's lines and that account's balance
instead. Pages are keyset pages on ``entry_seq`` (index
``ix_ledger_lines_shop_id_entry_seq``), and a page never splits an entry, so
each event's lines are read together. Entry numbers are mall-wide (their gaps
are other shops' entries): they never leave the server. Links carry
``older_cursor`` (``cursor.page_cursor``, sealed) and the CSV numbers the
shop's own lines and events. Each page joins the orders its lines
came from in the same query (by the shop's key: read in the shop's context).

``payout_history``: the shop's payouts, newest first. The CSV of every line is
``csv_export.statement_csv``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa

from mall.db import utcnow
from mall.extensions import db
from mall.ledger.checkpoints import ledger_sums
from mall.ledger.errors import LedgerError
from mall.ledger.models import Account, EntryKind, LedgerEntry, LedgerLine, Payout
from mall.ledger.statements.cursor import page_cursor
from mall.ledger.statements.summary import ACCOUNT_LABELS, SHOP_ACCOUNTS, owed
from mall.orders.models import Order
from mall.pagination import Page, paginate
from tenants.context import current_tenant_id

STATEMENT_PER_PAGE = 50
CSV_BATCH = 1000

# What each line is, as the shop reads it (line kinds from mall.ledger.sales and the entry kinds).
LINE_LABELS = {
    "sale": "Sale",
    "discount_shop": "Discount you fund",
    "shipping": "Shipping",
    "tax": "Tax",
    "commission": "Commission",
    "commission_tax": "Tax on commission",
    "collected_by_shop": "Collected by you (paid to you directly)",
    "refund": "Refund",
    "shipping_refund": "Shipping refunded",
    "commission_reversal": "Commission returned",
    "commission_tax_reversal": "Tax on commission returned",
    "refunded_by_shop": "Refunded by you directly",
    "processor_fee": "Processing fee",
    "refund_fee": "Processing fee on a refund",
    "fee": "Fee",
    "affiliate_commission": "Affiliate commission",
    "affiliate_reversal": "Affiliate commission reduced",
}
EVENT_LABELS = {  # (with its order's number, without an order)
    EntryKind.PAYMENT: ("Order {number} paid", "Order paid"),
    EntryKind.REFUND: ("Refund on order {number}", "Refund"),
    EntryKind.ATTRIBUTION: (
        "Refund on order {number} (made at the payment provider)",
        "Refund made at the payment provider",
    ),
    EntryKind.RELEASE: ("Holding period over for order {number}", "Holding period over"),
    EntryKind.RESERVE: ("Rolling reserve held", "Rolling reserve held"),
    EntryKind.RESERVE_RELEASE: ("Rolling reserve released", "Rolling reserve released"),
    EntryKind.DISPUTE: ("Dispute opened on order {number}", "Dispute opened"),
    EntryKind.DISPUTE_WON: ("Dispute won on order {number}", "Dispute won"),
    EntryKind.DISPUTE_LOST: ("Dispute lost on order {number}", "Dispute lost"),
    EntryKind.PAYOUT: ("Payout sent", "Payout sent"),
    EntryKind.PAYOUT_PAID: ("Payout paid", "Payout paid"),
    EntryKind.PAYOUT_FAILED: ("Payout failed or returned", "Payout failed or returned"),
    EntryKind.TRANSFER_REVERSAL: (
        "Transfer taken back after a refund on order {number}",
        "Transfer taken back after a refund",
    ),
    EntryKind.FEE: ("Fee on order {number}", "Fee"),
    EntryKind.ADJUSTMENT: ("Adjustment by the mall", "Adjustment by the mall"),
    EntryKind.AFFILIATE_COMMISSION: (
        "Affiliate commission on order {number}",
        "Affiliate commission",
    ),
    EntryKind.AFFILIATE_REVERSAL: (
        "Affiliate commission reduced on order {number}",
        "Affiliate commission reduced",
    ),
}
# Entries whose memo explains them to the shop: an operator's reason follows the label;
# a payout's memo names it by its reference (``Payout PO-…``), a fee's says what it is.
MEMO_SHOWN = {EntryKind.ADJUSTMENT}
MEMO_IS_EVENT = {
    EntryKind.PAYOUT,
    EntryKind.PAYOUT_PAID,
    EntryKind.PAYOUT_FAILED,
    EntryKind.FEE,
}


def line_label(kind: str) -> str:
    """``commission_reversal`` -> ``"Commission returned"`` (unknown kinds made readable)."""
    return LINE_LABELS.get(kind) or kind.replace("_", " ").capitalize()


# ---------------------------------------------------------------- the statement


@dataclass(frozen=True)
class StatementLine:
    """One ledger line of the shop, with the event it came from and the balance after it."""

    seq: int
    position: int
    posted_at: datetime
    account: Account
    kind: str  # the line's: sale, commission, refund…
    entry_kind: EntryKind
    ref_type: str
    ref_id: str
    memo: str
    order_id: UUID | None
    order_number: str | None
    amount: int  # as the shop reads it: + owed to the shop, - taken from it
    balance: int  # after this line, same sign
    # The entry's last line (newest first: its first row): the balance after the whole event,
    # the one a page shows; inside an entry a line's balance is only a step on the way.
    ends_entry: bool = True

    @property
    def label(self) -> str:
        return line_label(self.kind)

    @property
    def account_label(self) -> str:
        return ACCOUNT_LABELS.get(self.account, str(self.account))

    @property
    def event(self) -> str:
        """What happened: ``Order ACME-1001 paid``, ``Payout paid``, ``Adjustment: reason``."""
        if self.entry_kind in MEMO_IS_EVENT and self.memo:
            return self.memo
        readable = self.entry_kind.replace("_", " ").capitalize()
        with_order, without = EVENT_LABELS.get(self.entry_kind, (readable, readable))
        text = with_order.format(number=self.order_number) if self.order_number else without
        if self.entry_kind in MEMO_SHOWN and self.memo:
            text = f"{text}: {self.memo}"
        return text

    @property
    def links_order(self) -> bool:
        """The event names its order (a payout paying several orders does not link one)."""
        with_order, _ = EVENT_LABELS.get(self.entry_kind, ("", ""))
        return bool(self.order_id and self.order_number and "{number}" in with_order)


@dataclass(frozen=True)
class StatementPage:
    """One page of the statement, newest first; ``older`` is the next page's ``before_seq``.

    Entry numbers are mall-wide, so ``before_seq`` and ``older`` stay on the server:
    a link to the older page carries ``older_cursor``, the same number sealed.
    """

    lines: list[StatementLine]
    account: Account | None
    before_seq: int | None
    older: int | None
    older_cursor: str | None = None

    @property
    def is_first(self) -> bool:
        return self.before_seq is None


def _statement_columns() -> tuple:
    return (
        LedgerLine.entry_seq,
        LedgerLine.position,
        LedgerLine.posted_at,
        LedgerLine.account,
        LedgerLine.kind,
        LedgerLine.amount,
        LedgerLine.order_id,
        LedgerEntry.kind.label("entry_kind"),
        LedgerEntry.ref_type,
        LedgerEntry.ref_id,
        LedgerEntry.memo,
        Order.number.label("order_number"),
    )


def statement_query(shop_id: UUID, account: Account | None) -> sa.Select:
    """The shop's lines with their entry and order (one query; the order by the shop's key)."""
    query = (
        sa.select(*_statement_columns())
        .join(LedgerEntry, LedgerEntry.id == LedgerLine.entry_id)
        .outerjoin(
            Order, sa.and_(Order.tenant_id == LedgerLine.shop_id, Order.id == LedgerLine.order_id)
        )
        .where(LedgerLine.shop_id == shop_id)
    )
    if account is None:  # the mall's money with the shop, not the shop's own purchasing books
        return query.where(LedgerLine.account.in_(SHOP_ACCOUNTS))
    return query.where(LedgerLine.account == account)


def check_scope(shop_id: UUID) -> None:
    """Refuse to read a shop's statement outside that shop's context (LedgerError)."""
    # The statement joins the shop's orders: it is read in that shop's context, never another's.
    if current_tenant_id() != shop_id:
        raise LedgerError("A shop's statement is read in that shop's context only.")


def _ledger_sum(shop_id: UUID, account: Account | None, *, upto_seq: int | None = None) -> int:
    # From the shop's newest balance checkpoint (at or before ``upto_seq``) and the lines after.
    return sum(
        ledger_sums(shop_id, None if account is None else [account], upto_seq=upto_seq).values()
    )


def _whole_entries(rows: list, per_page: int) -> tuple[list, int | None, bool]:
    """The rows of a page without a cut entry, the next page's ``before_seq`` (None: last page),
    and whether one entry fills the page alone (its other lines must be fetched with it).

    ``rows`` is ``per_page + 1`` rows when there are more: the entry the extra row
    belongs to is left whole for the next page.
    """
    if len(rows) <= per_page:
        return rows, None, False
    cut = rows[per_page].entry_seq
    kept = [row for row in rows[:per_page] if row.entry_seq != cut]
    if not kept:
        return rows[:per_page], cut, True
    return kept, kept[-1].entry_seq, False


def statement_page(
    shop_id: UUID,
    *,
    before_seq: int | None = None,
    account: Account | None = None,
    per_page: int = STATEMENT_PER_PAGE,
    balance: int | None = None,
) -> StatementPage:
    """The shop's lines older than entry ``before_seq`` (None: the newest), with running balances.

    ``balance`` is the ledger's current sum over every account (or ``account``'s)
    when the caller has it already (``MoneySummary.ledger_balance``): the first
    page then costs one query; others cost two (the lines, and the balance before them: a
    checkpoint and the few lines after it).
    Read in the shop's context (LedgerError otherwise).
    """
    check_scope(shop_id)
    per_page = max(1, min(per_page, 200))
    query = statement_query(shop_id, account).order_by(
        LedgerLine.entry_seq.desc(), LedgerLine.position.desc()
    )
    if before_seq is not None:
        query = query.where(LedgerLine.entry_seq < before_seq)
    found = list(db.session.execute(query.limit(per_page + 1)))
    rows, older, long_entry = _whole_entries(found, per_page)
    if long_entry and older is not None:
        # One entry longer than a page (rare): the rest of its lines join this page.
        rest = query.where(LedgerLine.entry_seq == older, LedgerLine.position < rows[-1].position)
        rows += list(db.session.execute(rest))
        more = query.where(LedgerLine.entry_seq < older).limit(1)
        older = older if db.session.execute(more).first() is not None else None
    running = _balance_before(shop_id, account, before_seq, balance)
    lines, previous = [], None
    for row in rows:
        lines.append(statement_line(row, owed(running), ends_entry=row.entry_seq != previous))
        running -= row.amount
        previous = row.entry_seq
    return StatementPage(
        lines=lines,
        account=account,
        before_seq=before_seq,
        older=older,
        older_cursor=None if older is None else page_cursor(shop_id, older),
    )


def _balance_before(
    shop_id: UUID, account: Account | None, before_seq: int | None, balance: int | None
) -> int:
    """The ledger's sum over the lines older than ``before_seq`` (all of them when None)."""
    if before_seq is None:
        return _ledger_sum(shop_id, account) if balance is None else balance
    return _ledger_sum(shop_id, account, upto_seq=before_seq - 1)


def statement_line(row: sa.Row, balance: int, *, ends_entry: bool = True) -> StatementLine:
    """A row of ``statement_query`` as a statement line with the balance after it."""
    return StatementLine(
        seq=row.entry_seq,
        position=row.position,
        posted_at=row.posted_at,
        account=Account(row.account),
        kind=row.kind,
        entry_kind=EntryKind(row.entry_kind),
        ref_type=row.ref_type,
        ref_id=row.ref_id,
        memo=row.memo or "",
        order_id=row.order_id,
        order_number=row.order_number,
        amount=owed(row.amount),
        balance=balance,
        ends_entry=ends_entry,
    )


# ---------------------------------------------------------------- payouts, years


def payout_history(shop_id: UUID, *, page: int = 1, per_page: int = 10) -> Page:
    """The shop's payouts, newest first (two queries), read in the shop's context."""
    check_scope(shop_id)
    query = (
        sa.select(Payout)
        .where(Payout.tenant_id == shop_id)
        .order_by(Payout.created_at.desc(), Payout.id.desc())
    )
    return paginate(query, page=page, per_page=per_page)


def statement_years(shop_id: UUID) -> list[int]:
    """The calendar years the shop has lines in, newest first (the current year at least)."""
    first = db.session.scalar(
        sa.select(LedgerLine.posted_at)
        .where(LedgerLine.shop_id == shop_id)
        .order_by(LedgerLine.entry_seq)
        .limit(1)
    )
    this_year = utcnow().year
    start = min(first.year, this_year) if first is not None else this_year
    return list(range(this_year, start - 1, -1))
