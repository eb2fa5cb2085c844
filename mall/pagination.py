"""Pagination: one page of a list, with what a template needs to link around it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import sqlalchemy as sa

from mall.extensions import db
from mall.numbers import NumberError, parse_whole

MAX_PER_PAGE = 100
# Past any real list; keeps OFFSET (page * per_page) far inside a 32-bit integer too.
MAX_PAGE = 10_000


@dataclass(frozen=True)
class Page:
    """One page of a paginated list."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def page_number(raw: str | None) -> int:
    """A page number from a query string: bad, missing or out-of-range values mean page 1."""
    try:
        return parse_whole(raw or "1", minimum=1, maximum=MAX_PAGE)
    except NumberError:
        return 1


def paginate(statement: sa.Select, *, page: int = 1, per_page: int = 25) -> Page:
    """Run ``statement`` for one page: a count, then the rows (none past the last page).

    ``statement`` must be ordered; ``per_page`` is capped at ``MAX_PER_PAGE``.
    """
    page = max(1, page)
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(statement.order_by(None).subquery())
    )
    offset = (page - 1) * per_page
    # A page past the end (an old link, a typed number) needs no second query.
    items = (
        db.session.scalars(statement.limit(per_page).offset(offset)).all()
        if offset < (total or 0)
        else []
    )
    return Page(items=list(items), page=page, per_page=per_page, total=total or 0)


# ---------------------------------------------------------------- keyset pages

# Counting stops here: past it a list says "10,000+" (counting a shop's every row
# on each view is what made the order list's cost grow with the orders).
COUNT_CAP = 10_000
_CURSOR = re.compile(r"(\d{1,19})-([0-9a-f]{32})\Z")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Position = tuple[datetime, UUID]


def encode_position(moment: datetime, row_id: UUID) -> str:
    """A row's place in a newest-first list as a link may carry it: ``<µs since 1970>-<id hex>``."""
    if moment.tzinfo is None:  # SQLite hands back naive UTC
        moment = moment.replace(tzinfo=UTC)
    return f"{(moment - _EPOCH) // timedelta(microseconds=1)}-{row_id.hex}"


def decode_position(raw: str | None) -> Position | None:
    """The position in a link (``encode_position``), or None when it is missing or not one.

    A position only says where a page starts; a made-up one shows another part of the
    same list, never another shop's rows (the query stays scoped).
    """
    found = _CURSOR.match(raw or "")
    if found is None:
        return None
    try:
        moment = _EPOCH + timedelta(microseconds=int(found.group(1)))
    except OverflowError:
        return None
    return moment, UUID(hex=found.group(2))


@dataclass(frozen=True)
class KeysetPage:
    """One page of a newest-first list paged by position, not by number.

    ``total`` is exact up to ``COUNT_CAP`` and ``COUNT_CAP + 1`` past it (``capped``).
    ``newer`` and ``older`` are the positions the links to the neighbouring pages carry
    (None: there is none); ``first`` is True on the newest page.
    """

    items: list
    total: int
    first: bool
    newer: str | None
    older: str | None

    @property
    def capped(self) -> bool:
        return self.total > COUNT_CAP


def capped_count(statement: sa.Select, *, cap: int = COUNT_CAP) -> int:
    """How many rows ``statement`` has, counting no further than ``cap + 1``."""
    limited = statement.order_by(None).limit(cap + 1).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(limited)) or 0


def keyset_paginate(
    statement: sa.Select,
    *,
    moment: sa.ColumnElement,
    row_id: sa.ColumnElement,
    older_than: Position | None = None,
    newer_than: Position | None = None,
    per_page: int = 25,
) -> KeysetPage:
    """One page of ``statement`` newest first by (``moment``, ``row_id``): three queries at most.

    ``older_than`` pages towards the oldest rows, ``newer_than`` back towards the newest;
    neither means the newest page. Every page costs the same wherever it is in the list
    (``WHERE (moment, id) < (…) ORDER BY moment DESC, id DESC LIMIT n``, an index range),
    unlike ``OFFSET``, which reads and throws away every row before the page. A position
    from a link need not be a row (made up, or its row gone): the links offered go only
    where there are rows.
    """
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    key = sa.tuple_(moment, row_id)
    # Whether any row lies behind the position asked for: the page itself cannot tell
    # (a far-future ``older`` shows the newest rows with nothing above them).
    behind = None
    if newer_than is not None:
        behind = key <= sa.tuple_(*_bound(newer_than, moment, row_id))
    elif older_than is not None:
        behind = key >= sa.tuple_(*_bound(older_than, moment, row_id))
    total, anything_behind = _count_and_probe(statement, behind)
    newest_first = statement.order_by(moment.desc(), row_id.desc())
    if newer_than is not None:
        rows = db.session.scalars(
            statement.where(key > sa.tuple_(*_bound(newer_than, moment, row_id)))
            .order_by(moment.asc(), row_id.asc())
            .limit(per_page + 1)
        ).all()
        if len(rows) > per_page:  # still newer rows above this page
            items = list(reversed(rows[:per_page]))
            return _page(
                items, total, first=False, has_older=anything_behind, keys=(moment, row_id)
            )
        older_than = None  # reached the newest: show the newest page whole
    if older_than is not None:
        newest_first = newest_first.where(key < sa.tuple_(*_bound(older_than, moment, row_id)))
    rows = db.session.scalars(newest_first.limit(per_page + 1)).all()
    return _page(
        list(rows[:per_page]),
        total,
        first=older_than is None or not anything_behind,
        has_older=len(rows) > per_page,
        keys=(moment, row_id),
    )


def _count_and_probe(statement: sa.Select, probe: sa.ColumnElement | None) -> tuple[int, bool]:
    """``capped_count(statement)`` and whether any row matches ``probe``, in one round trip."""
    if probe is None:
        return capped_count(statement), False
    limited = statement.order_by(None).limit(COUNT_CAP + 1).subquery()
    counted = sa.select(sa.func.count()).select_from(limited).scalar_subquery()
    found = statement.order_by(None).where(probe).exists()
    total, anything = db.session.execute(sa.select(counted, found)).one()
    return total or 0, bool(anything)


def _bound(position: Position, moment: sa.ColumnElement, row_id: sa.ColumnElement) -> tuple:
    return sa.literal(position[0], moment.type), sa.literal(position[1], row_id.type)


def _page(
    items: list, total: int, *, first: bool, has_older: bool, keys: tuple[sa.ColumnElement, ...]
) -> KeysetPage:
    moment, row_id = (key.key for key in keys)

    def position(row: object) -> str:
        return encode_position(getattr(row, moment), getattr(row, row_id))

    return KeysetPage(
        items=items,
        total=total,
        first=first,
        newer=position(items[0]) if items and not first else None,
        older=position(items[-1]) if items and has_older else None,
    )
