"""Pagination: one page of a list, with what a template needs to link around it."""

from __future__ import annotations

from dataclasses import dataclass

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
    """Run ``statement`` for one page: two queries (a count and the rows), whatever the size.

    ``statement`` must be ordered; ``per_page`` is capped at ``MAX_PER_PAGE``.
    """
    page = max(1, page)
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(statement.order_by(None).subquery())
    )
    items = db.session.scalars(statement.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items=list(items), page=page, per_page=per_page, total=total or 0)
