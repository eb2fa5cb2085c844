"""Posting to the ledger: one balanced, chained, immutable entry per business event.

``post(kind, lines, key=…)`` is the only way in. It checks that the lines sum to
zero and name a shop exactly when their account is a shop's, then, holding the
chain's head row (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's writer lock),
numbers the entry after the last one and hashes it with the previous hash.
The idempotency key is unique: posting the same event again returns the entry
posted the first time and changes nothing, whichever path (admin, webhook,
job) got there first. Balances are sums of lines, never stored counters.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from mall.db import new_id, utcnow
from mall.extensions import db
from mall.ledger.chain import GENESIS, HEAD, entry_hash
from mall.ledger.checkpoints import ledger_sums
from mall.ledger.errors import LedgerError
from mall.ledger.models import Account, EntryKind, LedgerEntry, LedgerHead, LedgerLine


@dataclass(frozen=True)
class Line:
    """One line to post: ``amount`` > 0 debits ``account``, < 0 credits it."""

    account: Account
    amount: int
    shop_id: UUID | None = None
    kind: str = ""
    order_id: UUID | None = None
    affiliate_id: UUID | None = None


def debit(account: Account, amount: int, **kw: object) -> Line:
    return Line(account, amount, **kw)  # type: ignore[arg-type]


def credit(account: Account, amount: int, **kw: object) -> Line:
    return Line(account, -amount, **kw)  # type: ignore[arg-type]


def check_lines(lines: Sequence[Line]) -> list[Line]:
    """The lines worth posting (zero amounts dropped); LedgerError when they cannot be posted."""
    kept = [line for line in lines if line.amount != 0]
    for line in kept:
        if not isinstance(line.amount, int) or isinstance(line.amount, bool):
            raise LedgerError(f"An amount must be whole minor units, not {line.amount!r}.")
        if line.account.per_shop and line.shop_id is None:
            raise LedgerError(f"A line on {line.account} must name its shop.")
        if not line.account.per_shop and line.shop_id is not None:
            raise LedgerError(f"{line.account} is the platform's: a line on it names no shop.")
        if line.account.per_affiliate != (line.affiliate_id is not None):
            raise LedgerError(
                f"A line on {line.account} must name its affiliate."
                if line.account.per_affiliate
                else f"A line on {line.account} names no affiliate."
            )
    if sum(line.amount for line in kept) != 0:
        raise LedgerError(
            f"The entry does not balance: its lines sum to {sum(line.amount for line in kept)}."
        )
    return kept


def find_entry(key: str) -> LedgerEntry | None:
    """The entry posted under ``key``, if any."""
    return db.session.scalar(sa.select(LedgerEntry).where(LedgerEntry.idempotency_key == key))


def lock_chain() -> None:
    """Hold the chain's head until the transaction ends: what is read next cannot change.

    A posting that depends on balances (a refund choosing pending or available, a
    release moving an order's pending balance) locks first, then reads, then posts.
    """
    _locked_head()


def _locked_head() -> LedgerHead:
    head = db.session.scalar(
        sa.select(LedgerHead)
        .where(LedgerHead.name == HEAD)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if head is None:  # the migration inserts it; a database made by create_all may not have it
        head = LedgerHead(name=HEAD, seq=0, hash=GENESIS)
        db.session.add(head)
        db.session.flush()
    return head


def post(
    kind: EntryKind,
    lines: Sequence[Line],
    *,
    key: str,
    ref_type: str,
    ref_id: UUID | str,
    shop_id: UUID | None = None,
    memo: str = "",
    actor_id: UUID | None = None,
) -> LedgerEntry | None:
    """Post one entry for one event (once per ``key``); the entry, or None when nothing moves.

    A second call with the same key returns the first entry and posts nothing.
    Raises LedgerError when the lines do not balance or name the wrong party.
    """
    kept = check_lines(lines)
    existing = find_entry(key)
    if existing is not None or not kept:
        return existing
    head = _locked_head()
    existing = find_entry(key)  # posted by another transaction while this one waited
    if existing is not None:
        return existing
    now = utcnow()
    entry = LedgerEntry(
        id=new_id(),
        seq=head.seq + 1,
        kind=kind,
        ref_type=ref_type,
        ref_id=str(ref_id),
        shop_id=shop_id,
        idempotency_key=key[:200],
        memo=memo[:300],
        actor_id=actor_id,
        posted_at=now,
        prev_hash=head.hash,
    )
    rows = [
        LedgerLine(
            id=new_id(),
            entry_id=entry.id,
            entry_seq=entry.seq,
            position=position,
            account=line.account,
            shop_id=line.shop_id,
            amount=line.amount,
            kind=line.kind or str(kind),
            order_id=line.order_id,
            posted_at=now,
            affiliate_id=line.affiliate_id,
        )
        for position, line in enumerate(kept)
    ]
    entry.hash = entry_hash(entry, rows)
    try:
        with db.session.begin_nested():
            db.session.add(entry)
            db.session.flush()
            db.session.add_all(rows)
            db.session.flush()
    except IntegrityError:
        again = find_entry(key)
        if again is None:
            raise
        return again
    head.seq, head.hash = entry.seq, entry.hash
    db.session.flush()
    return entry


# ---------------------------------------------------------------- balances


def balance(
    account: Account,
    *,
    shop_id: UUID | None = None,
    order_id: UUID | None = None,
    affiliate_id: UUID | None = None,
) -> int:
    """The sum of the lines on ``account`` (for ``shop_id`` or ``affiliate_id``; for one
    order's lines)."""
    if account.per_shop and order_id is None:  # from the shop's newest checkpoint
        return balances(shop_id, [account])[account]
    query = sa.select(sa.func.coalesce(sa.func.sum(LedgerLine.amount), 0)).where(
        LedgerLine.account == account
    )
    if account.per_shop:
        query = query.where(LedgerLine.shop_id == shop_id)
    if account.per_affiliate:
        if affiliate_id is None:
            raise LedgerError(f"The balance of {account} is an affiliate's: name the affiliate.")
        query = query.where(LedgerLine.affiliate_id == affiliate_id)
    if order_id is not None:
        query = query.where(LedgerLine.order_id == order_id)
    return int(db.session.scalar(query) or 0)


def balances(shop_id: UUID | None, accounts: Iterable[Account]) -> dict[Account, int]:
    """Several accounts' sums in one query (a shop's, or the platform's with ``shop_id`` None):
    the newest balance checkpoint plus the lines after it (``mall.ledger.checkpoints``)."""
    wanted = list(accounts)
    found = ledger_sums(shop_id, wanted)
    return {account: found.get(account, 0) for account in wanted}
