"""Pagination: one page of a list, with what a template needs to link around it."""

from __future__ import annotations

from dataclasses import dataclass

MAX_PER_PAGE = 100


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
    """A page number from a query string: bad or missing values mean page 1."""
    try:
        return max(1, min(int(raw or 1), 10_000))
    except ValueError:
        return 1
