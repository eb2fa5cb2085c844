"""Balance checkpoints: a balance is its newest checkpoint plus the lines posted after it.

Balances are sums of ledger lines, never a stored counter (design, "Money"). A
shop with 100,000 orders has over 600,000 lines, and summing them all on every
Money page took 1.6 s. So ``make_checkpoints`` (daily, and ``flask mall ledger
checkpoint``) stores, per shop and account, the sum of its lines up to the
ledger's last entry; ``ledger_sums`` adds the lines after the newest checkpoint,
which are a day's at most. A checkpoint is itself a sum of lines: it is made
once, never changed (on PostgreSQL the ledger's trigger refuses it), and
``flask mall ledger verify`` recomputes every one while it walks the chain.

A shop's checkpoints are made together at one entry number (a "round"), one row
per account it has lines on, so the newest round is found by one index look-up.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from mall.db import new_id, utcnow
from mall.extensions import db
from mall.ledger.models import Account, LedgerCheckpoint, LedgerEntry, LedgerHead, LedgerLine

# The row of ``ledger_head`` a checkpoint run locks, so two runs never make the same round.
LOCK = "checkpoints"
SHOPS_PER_QUERY = 500

ShopKey = UUID | None  # None: the platform's own accounts


def _of_shop(column: sa.ColumnElement, shop_id: ShopKey) -> sa.ColumnElement[bool]:
    return column.is_(None) if shop_id is None else column == shop_id


def _round_seq(shop_id: ShopKey, upto_seq: int | None) -> int:
    """The entry number of the shop's newest checkpoint round (at or before ``upto_seq``)."""
    query = sa.select(sa.func.max(LedgerCheckpoint.upto_seq)).where(
        _of_shop(LedgerCheckpoint.shop_id, shop_id)
    )
    if upto_seq is not None:
        query = query.where(LedgerCheckpoint.upto_seq <= upto_seq)
    return int(db.session.scalar(query) or 0)


def ledger_sums(
    shop_id: ShopKey, accounts: Iterable[Account] | None = None, *, upto_seq: int | None = None
) -> dict[Account, int]:
    """The sums of the shop's lines per account (every account it has, or ``accounts``),
    up to entry ``upto_seq`` (None: all): the newest checkpoint plus the lines after it,
    in two queries. Accounts without lines are missing from the result."""
    wanted = None if accounts is None else list(accounts)
    # Looked up first and passed as a number: as a subquery the planner cannot know the
    # lines after it are few, and plans (and starts workers) for a shop's whole history.
    round_seq = _round_seq(shop_id, upto_seq)
    saved = sa.select(
        LedgerCheckpoint.account.label("account"), LedgerCheckpoint.balance.label("amount")
    ).where(_of_shop(LedgerCheckpoint.shop_id, shop_id), LedgerCheckpoint.upto_seq == round_seq)
    since = sa.select(LedgerLine.account.label("account"), LedgerLine.amount.label("amount")).where(
        _of_shop(LedgerLine.shop_id, shop_id), LedgerLine.entry_seq > round_seq
    )
    if upto_seq is not None:
        since = since.where(LedgerLine.entry_seq <= upto_seq)
    if wanted is not None:
        saved = saved.where(LedgerCheckpoint.account.in_(wanted))
        since = since.where(LedgerLine.account.in_(wanted))
    both = sa.union_all(saved, since).subquery()
    rows = db.session.execute(
        sa.select(both.c.account, sa.func.sum(both.c.amount)).group_by(both.c.account)
    )
    return {Account(account): int(total) for account, total in rows}


# ---------------------------------------------------------------- making them


def last_round() -> int:
    """The entry number of the newest checkpoint round of all (0: none yet)."""
    return int(db.session.scalar(sa.select(sa.func.max(LedgerCheckpoint.upto_seq))) or 0)


def _lock() -> None:
    lock = db.session.scalar(sa.select(LedgerHead).where(LedgerHead.name == LOCK).with_for_update())
    if lock is None:  # made on first use; a concurrent twin waits on the insert's key
        db.session.add(LedgerHead(name=LOCK, seq=0, hash=""))
        db.session.flush()


def _head_seq() -> int:
    # The last entry committed: posting holds the chain's head until it commits, so every
    # entry up to this number is committed and visible too.
    return int(db.session.scalar(sa.select(LedgerHead.seq).where(LedgerHead.name == "main")) or 0)


def _changes(after: int, upto: int) -> dict[ShopKey, dict[Account, int]]:
    """What each shop's accounts moved by in entries ``after + 1`` … ``upto``."""
    rows = db.session.execute(
        sa.select(LedgerLine.shop_id, LedgerLine.account, sa.func.sum(LedgerLine.amount))
        .join(LedgerEntry, LedgerEntry.id == LedgerLine.entry_id)
        .where(LedgerEntry.seq > after, LedgerEntry.seq <= upto)
        .group_by(LedgerLine.shop_id, LedgerLine.account)
    )
    moved: dict[ShopKey, dict[Account, int]] = defaultdict(dict)
    for shop_id, account, total in rows:
        moved[shop_id][Account(account)] = int(total)
    return moved


def _previous_rounds(shop_ids: list[ShopKey]) -> dict[ShopKey, dict[Account, int]]:
    """Each shop's newest checkpoint round (empty for a shop that has none)."""
    found: dict[ShopKey, dict[Account, int]] = defaultdict(dict)
    shops = [shop_id for shop_id in shop_ids if shop_id is not None]
    for start in range(0, len(shops), SHOPS_PER_QUERY):
        chunk = shops[start : start + SHOPS_PER_QUERY]
        newest = (
            sa.select(LedgerCheckpoint.shop_id, sa.func.max(LedgerCheckpoint.upto_seq).label("seq"))
            .where(LedgerCheckpoint.shop_id.in_(chunk))
            .group_by(LedgerCheckpoint.shop_id)
            .subquery()
        )
        rows = db.session.execute(
            sa.select(
                LedgerCheckpoint.shop_id, LedgerCheckpoint.account, LedgerCheckpoint.balance
            ).join(
                newest,
                sa.and_(
                    newest.c.shop_id == LedgerCheckpoint.shop_id,
                    newest.c.seq == LedgerCheckpoint.upto_seq,
                ),
            )
        )
        for shop_id, account, amount in rows:
            found[shop_id][Account(account)] = int(amount)
    if None in shop_ids:
        platform = db.session.execute(
            sa.select(LedgerCheckpoint.account, LedgerCheckpoint.balance).where(
                LedgerCheckpoint.shop_id.is_(None),
                LedgerCheckpoint.upto_seq == _round_seq(None, None),
            )
        )
        found[None] = {Account(account): int(amount) for account, amount in platform}
    return found


def make_checkpoints(
    *, upto_seq: int | None = None, progress: Callable[[int], Any] | None = None
) -> int:
    """Checkpoint the balances of every shop (and the platform) whose lines moved since the
    last round, at the ledger's last entry (or at entry ``upto_seq``, which must be after the
    last round: ``backfill_checkpoints``); how many checkpoints were made (0: nothing new).

    Safe to repeat: a second run finds no entry after the round the first one made.
    ``progress(n)`` is told of each shop done.
    """
    _lock()
    after, head = last_round(), _head_seq()
    upto = head if upto_seq is None else min(upto_seq, head)
    if upto <= after:
        return 0
    moved = _changes(after, upto)
    previous = _previous_rounds(list(moved))
    rows = []
    for shop_id, changes in moved.items():
        sums = dict(previous.get(shop_id, {}))
        for account, amount in changes.items():
            sums[account] = sums.get(account, 0) + amount
        rows += [
            {"id": new_id(), "shop_id": shop_id, "account": account, "upto_seq": upto,
             "balance": amount, "made_at": utcnow()}
            for account, amount in sums.items()
        ]  # fmt: skip
        if progress is not None:
            progress(1)
    if rows:  # one multi-row INSERT: a mall-wide round is a few thousand rows
        db.session.execute(sa.insert(LedgerCheckpoint), rows)
    return len(rows)


def backfill_checkpoints(*, every_days: int, progress: Callable[[int], Any] | None = None) -> int:
    """Rounds every ``every_days`` days from the ledger's first entry, then one at its last,
    for a ledger that has history but no checkpoints yet (after the upgrade that brought
    them): older statement pages then start from a checkpoint near them. Days are UTC
    midnights; a round is at the last entry posted before one. How many checkpoints were
    made; nothing before the newest existing round (a repeat makes nothing)."""
    first = db.session.scalar(sa.select(sa.func.min(LedgerEntry.posted_at)))
    made = 0
    if first is not None:
        day = datetime.combine(first.date(), time.min, tzinfo=UTC) + timedelta(days=every_days)
        while day < utcnow():
            seq = db.session.scalar(
                sa.select(LedgerEntry.seq)
                .where(LedgerEntry.posted_at < day)
                .order_by(LedgerEntry.posted_at.desc(), LedgerEntry.seq.desc())
                .limit(1)
            )
            if seq is not None:
                made += make_checkpoints(upto_seq=seq)
            if progress is not None:
                progress(1)
            day += timedelta(days=every_days)
    return made + make_checkpoints()


def history_days() -> int:
    """Days from the ledger's first entry to now (for a progress bar)."""
    first = db.session.scalar(sa.select(sa.func.min(LedgerEntry.posted_at)))
    if first is None:
        return 0
    return max(0, (utcnow().date() - first.date()).days)


def shops_to_checkpoint() -> int:
    """How many shops (and the platform) have lines after the last round (for a progress bar)."""
    shops = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(LedgerLine.shop_id)))
        .join(LedgerEntry, LedgerEntry.id == LedgerLine.entry_id)
        .where(LedgerEntry.seq > last_round())
    )
    return int(shops or 0) + 1  # and the platform's accounts


# ---------------------------------------------------------------- verifying them


def checkpoints_in_order(batch: int = 5_000) -> Iterator[Any]:
    """Every checkpoint, oldest round first (plain rows, in batches: there may be millions)."""
    table = LedgerCheckpoint.__table__
    after: tuple[int, UUID] | None = None
    while True:
        query = sa.select(table).order_by(table.c.upto_seq, table.c.id).limit(batch)
        if after is not None:
            query = query.where(sa.tuple_(table.c.upto_seq, table.c.id) > sa.tuple_(*after))
        rows = db.session.execute(query).all()
        if not rows:
            return
        yield from rows
        after = (rows[-1].upto_seq, rows[-1].id)
