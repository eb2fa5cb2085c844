"""Manual adjustments: an operator credits or debits a shop's available balance, with a reason.

A positive amount is money the mall owes the shop (``Cr shop_available,
Dr adjustments``: a goodwill payment, a fee returned); a negative one is money
the shop owes (``Dr shop_available, Cr adjustments``: a cost passed on). The
reason is the entry's memo, so the shop's statement shows it beside the amount.
Each adjustment is posted once per rendered form (its key) and written to the
audit log; a mistake is corrected by another adjustment, never by an edit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa

from mall.extensions import db
from mall.ledger.errors import LedgerError
from mall.ledger.models import Account, EntryKind, LedgerEntry, LedgerLine
from mall.ledger.posting import credit, debit, find_entry, post
from mall.money import check_amount
from mall.pagination import Page, paginate
from tenants.audit import record_audit
from tenants.models import Tenant

MAX_REASON = 250


def find_shop(slug: str) -> Tenant | None:
    """The shop with this address (slug), whatever its status."""
    slug = (slug or "").strip().lower()
    if not slug:
        return None
    return db.session.scalar(sa.select(Tenant).where(Tenant.slug == slug))


def adjustment_key(form_key: str) -> str:
    return f"adjustment:{form_key}"


def adjust(
    shop: Tenant,
    *,
    amount: int,
    reason: str,
    key: str,
    actor_id: UUID | None,
    ip_address: str | None = None,
) -> tuple[LedgerEntry, bool]:
    """Post the adjustment once per ``key``: (its entry, posted now?).

    ``amount`` > 0 credits the shop, < 0 debits it. Raises LedgerError without a
    reason, for a zero amount or one past the maximum.
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise LedgerError("Give the reason: the shop sees it on its statement.")
    if len(reason) > MAX_REASON:
        raise LedgerError(f"Use at most {MAX_REASON} characters for the reason.")
    if amount == 0:
        raise LedgerError("Enter an amount other than zero.")
    problem = check_amount(abs(amount))
    if problem:
        raise LedgerError(problem)
    existing = find_entry(adjustment_key(key))
    if existing is not None:
        return existing, False
    entry = post(
        EntryKind.ADJUSTMENT,
        [
            credit(Account.SHOP_AVAILABLE, amount, shop_id=shop.id, kind="adjustment"),
            debit(Account.ADJUSTMENTS, amount, kind="adjustment"),
        ],
        key=adjustment_key(key),
        ref_type="shop",
        ref_id=shop.id,
        shop_id=shop.id,
        memo=reason,
        actor_id=actor_id,
    )
    assert entry is not None  # a non-zero amount always posts
    record_audit(
        "ledger.adjustment",
        actor_id=actor_id,
        ip_address=ip_address,
        target_type="shop",
        target_id=shop.id,
        details={"amount": amount, "entry_seq": entry.seq},
    )
    return entry, True


@dataclass(frozen=True)
class Adjustment:
    """One adjustment for the console's list: when, which shop, how much (to the shop), why."""

    posted_at: datetime
    shop_name: str
    amount: int
    reason: str
    seq: int


def recent_adjustments(*, page: int = 1, per_page: int = 25) -> Page:
    """Adjustments, newest first (their lines on the platform's ``adjustments`` account)."""
    statement = (
        sa.select(LedgerLine)
        .where(LedgerLine.account == Account.ADJUSTMENTS)
        .order_by(LedgerLine.posted_at.desc(), LedgerLine.entry_seq.desc())
    )
    found = paginate(statement, page=page, per_page=per_page)
    entry_ids = [line.entry_id for line in found.items]
    rows = db.session.execute(
        sa.select(LedgerEntry, Tenant.name)
        .outerjoin(Tenant, Tenant.id == LedgerEntry.shop_id)
        .where(LedgerEntry.id.in_(entry_ids))
    ).all()
    entries = {entry.id: (entry, name) for entry, name in rows}
    items = []
    for line in found.items:
        entry, name = entries[line.entry_id]
        items.append(Adjustment(entry.posted_at, name or "", line.amount, entry.memo, entry.seq))
    return Page(items=items, page=found.page, per_page=found.per_page, total=found.total)
