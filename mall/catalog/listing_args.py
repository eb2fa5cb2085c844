"""Listing filters and sort from a query string: bad values become no filter, never a 500."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mall.catalog.search import SORTS
from mall.money import MoneyError, parse_money
from mall.pagination import page_number

# Pages past this, and filtered lists, render without the page cache (their
# combinations are endless; caching them would let anyone fill the store).
CACHED_PAGES = 20


@dataclass(frozen=True)
class ListingArgs:
    """The narrowing and paging a visitor asked for in the query string (bad values ignored)."""

    sort: str | None = None
    page: int = 1
    price_min: int | None = None
    price_max: int | None = None
    price_min_text: str = ""
    price_max_text: str = ""
    in_stock: bool = False

    def cache_key(self, max_page: int = CACHED_PAGES) -> tuple[str, int] | None:
        """The sort and page when the list is one worth caching (no filter, an early page)."""
        if self.price_min is not None or self.price_max is not None or self.in_stock:
            return None
        return (self.sort or "", self.page) if self.page <= max_page else None

    def query_args(self) -> dict[str, str | int | None]:
        """The arguments to keep in links to other pages of the same list."""
        return {
            "sort": self.sort,
            "price_min": self.price_min_text or None,
            "price_max": self.price_max_text or None,
            "in_stock": "1" if self.in_stock else None,
        }


def parse_listing_args(args: Mapping[str, str]) -> ListingArgs:
    """Sort, page, price range (typed as ``12.50``) and in-stock from a query string."""
    prices: dict[str, tuple[int | None, str]] = {}
    for name in ("price_min", "price_max"):
        raw = (args.get(name) or "").strip()[:20]
        try:
            prices[name] = (parse_money(raw), raw) if raw else (None, "")
        except MoneyError:
            prices[name] = (None, "")
    sort = args.get("sort")
    return ListingArgs(
        sort=sort if sort in SORTS else None,
        page=page_number(args.get("page")),
        price_min=prices["price_min"][0],
        price_max=prices["price_max"][0],
        price_min_text=prices["price_min"][1],
        price_max_text=prices["price_max"][1],
        in_stock=args.get("in_stock") in ("1", "on", "true", "yes"),
    )
