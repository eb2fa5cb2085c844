"""Mall-wide product search and listings: published products of active shops only.

Full text:

- PostgreSQL: ``products.search_vector @@ websearch_to_tsquery('simple', q)``
  (websearch syntax never raises), ranked by ``ts_rank_cd``.
- SQLite: the FTS5 table ``product_search`` is matched with a query built here
  from the words typed, each quoted and the last one a prefix, so no user
  syntax reaches FTS5; ranked by ``bm25`` (title and SKUs weigh most).

On both, a variant whose SKU equals the query (case-insensitive) puts its
product first. Filters: category (with its sub-categories), shop, price range
(on ``price_min``, minor units), in stock. Sorts: relevance, newest, price.

A page of results costs at most five queries whatever its size: the category
tree (only when filtering by category), the facet counts (which also give the
total), one page of products with their shop, the first image of each, and
matching shops (first page of a text search only). ``search_text`` turns what
was typed into the full-text match.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import aliased, contains_eager

from mall.catalog.models import Category, Product, ProductImage, ProductStatus
from mall.catalog.search_text import TextMatch, clean_query, query_terms
from mall.db import escape_like, is_query_cancelled, statement_timeout
from mall.extensions import db
from mall.pagination import MAX_PER_PAGE, Page
from tenants.context import all_tenants, current_tenant_id
from tenants.models import Tenant, TenantStatus

SORTS = ("relevance", "newest", "price_asc", "price_desc")
SORT_LABELS = {
    "relevance": "Best match",
    "newest": "Newest",
    "price_asc": "Price: low to high",
    "price_desc": "Price: high to low",
}
SHOP_MATCHES = 6
# A text search ranks at most this many matches: the newest ones (a cheap order the
# index can serve). Past it the page says so and offers ways to narrow the search.
RANKED_MATCHES = 1000
SEARCH_TIMEOUT_MS = 3000


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class CategoryFacet:
    """A category among the results, with how many results it holds."""

    slug: str
    name: str
    count: int


@dataclass
class SearchResult:
    """One page of products, the first image of each, and what helps narrow the list."""

    page: Page
    query: str = ""
    sort: str = "newest"
    categories: list[CategoryFacet] = field(default_factory=list)
    images: dict[UUID, ProductImage] = field(default_factory=dict)
    shops: list[Tenant] = field(default_factory=list)
    # More than RANKED_MATCHES matched: the best of the newest RANKED_MATCHES are shown.
    too_many: bool = False
    # The database gave up within SEARCH_TIMEOUT_MS: nothing is shown, narrowing helps.
    timed_out: bool = False

    @property
    def products(self) -> list[Product]:
        return self.page.items


@dataclass
class CategoryTree:
    """Every category of the mall, loaded in one query (the tree is small)."""

    categories: list[Category]

    def __post_init__(self) -> None:
        self.by_id = {c.id: c for c in self.categories}
        self.by_slug = {c.slug: c for c in self.categories}
        self._children: dict[UUID | None, list[Category]] = {}
        for category in self.categories:
            self._children.setdefault(category.parent_id, []).append(category)

    def children(self, category: Category | None) -> list[Category]:
        """Direct sub-categories (or the top level for None), in their set order."""
        return self._children.get(category.id if category else None, [])

    def ancestors(self, category: Category) -> list[Category]:
        """From the top level down to the parent of ``category``."""
        chain: list[Category] = []
        seen = {category.id}
        parent = self.by_id.get(category.parent_id) if category.parent_id else None
        while parent is not None and parent.id not in seen:
            chain.append(parent)
            seen.add(parent.id)
            parent = self.by_id.get(parent.parent_id) if parent.parent_id else None
        return list(reversed(chain))

    def descendant_ids(self, category: Category) -> set[UUID]:
        """``category`` and every category below it."""
        found, stack = set(), [category]
        while stack:
            node = stack.pop()
            if node.id in found:
                continue
            found.add(node.id)
            stack.extend(self._children.get(node.id, []))
        return found


def category_tree() -> CategoryTree:
    """The mall's categories (one query)."""
    rows = db.session.scalars(sa.select(Category).order_by(Category.position, Category.name))
    return CategoryTree(list(rows))


# ---------------------------------------------------------------- listing


@dataclass(frozen=True)
class _Filters:
    category_ids: frozenset[UUID] | None = None
    shop_slug: str | None = None
    tenant_id: UUID | None = None
    price_min: int | None = None
    price_max: int | None = None
    in_stock: bool = False


def _visible(statement: sa.Select, filters: _Filters) -> sa.Select:
    """Published products of active shops, narrowed by ``filters`` (joins the shop)."""
    statement = statement.join(Product.shop).where(
        Product.status == ProductStatus.PUBLISHED, Tenant.status == TenantStatus.ACTIVE
    )
    if filters.tenant_id is not None:
        statement = statement.where(Product.tenant_id == filters.tenant_id)
    if filters.shop_slug:
        statement = statement.where(Tenant.slug == filters.shop_slug.lower())
    if filters.category_ids is not None:
        statement = statement.where(Product.category_id.in_(sorted(filters.category_ids)))
    if filters.price_min is not None:
        statement = statement.where(Product.price_min >= filters.price_min)
    if filters.price_max is not None:
        statement = statement.where(Product.price_min <= filters.price_max)
    if filters.in_stock:
        statement = statement.where(Product.in_stock.is_(True))
    return statement


def published_of_active_shops(statement: sa.Select) -> sa.Select:
    """``statement`` narrowed to published products of active shops (no other filter)."""
    return _visible(statement, _Filters())


def _sort_order(sort: str, relevance: list[sa.ColumnElement]) -> list[sa.ColumnElement]:
    # Published products always have published_at; plain DESC lets the index serve the order.
    newest = [Product.published_at.desc(), Product.id.desc()]
    if sort == "price_asc":
        return [Product.price_min.asc(), *newest]
    if sort == "price_desc":
        return [Product.price_min.desc(), *newest]
    if sort == "relevance" and relevance:
        return [*relevance, *newest]
    return newest


def _listing(
    filters: _Filters,
    *,
    text: TextMatch | None,
    sort: str,
    page: int,
    per_page: int,
    with_shops: bool,
) -> SearchResult:
    """Facets and total (one query), a page of products with shops, their first images.

    A text search first takes its candidates (one more query): the newest
    ``RANKED_MATCHES`` matches; facets, total and ranking are over those only.
    """
    page = max(1, page)
    per_page = max(1, min(per_page, MAX_PER_PAGE))

    facet_query = _visible(
        sa.select(Category.slug, Category.name, sa.func.count().label("n")).select_from(Product),
        filters,
    ).outerjoin(Category, Category.id == Product.category_id)
    rows_query = _visible(sa.select(Product), filters).options(contains_eager(Product.shop))
    relevance: list[sa.ColumnElement] = []
    too_many = False
    if text is not None:
        candidates = _candidates(filters, text)
        if not candidates:
            result = _empty(text.query, sort, page, per_page)
            result.shops = matching_shops(text.query) if with_shops and page == 1 else []
            return result
        too_many = len(candidates) > RANKED_MATCHES
        candidates = candidates[:RANKED_MATCHES]
        facet_query = _among(facet_query, candidates)
        rows_query, relevance = text.apply(_among(rows_query, candidates), ranked_only=True)
    facet_rows = db.session.execute(
        facet_query.group_by(Product.category_id, Category.slug, Category.name)
    ).all()
    total = sum(row.n for row in facet_rows)
    categories = sorted(
        (CategoryFacet(row.slug, row.name, row.n) for row in facet_rows if row.slug),
        key=lambda f: (-f.count, f.name.lower()),
    )

    items: list[Product] = []
    if (page - 1) * per_page < total:
        rows_query = rows_query.order_by(*_sort_order(sort, relevance))
        items = list(
            db.session.scalars(rows_query.limit(per_page).offset((page - 1) * per_page)).unique()
        )
    shops = matching_shops(text.query) if with_shops and text is not None and page == 1 else []
    return SearchResult(
        page=Page(items=items, page=page, per_page=per_page, total=total),
        query=text.query if text else "",
        sort=sort,
        categories=categories,
        images=first_images(items),
        shops=shops,
        too_many=too_many,
    )


def _among(statement: sa.Select, candidates: list[tuple[UUID, UUID]]) -> sa.Select:
    """``statement`` narrowed to the candidates, each found by its primary key.

    PostgreSQL joins a ``VALUES`` list (a row-value ``IN`` of a thousand pairs
    would be planned as a scan); SQLite, which cannot name VALUES columns, takes the ``IN``.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return statement.where(sa.tuple_(Product.tenant_id, Product.id).in_(candidates))
    key = Product.__table__.c
    among = sa.values(
        sa.column("tenant_id", key.tenant_id.type), sa.column("id", key.id.type), name="candidates"
    ).data(candidates)
    return statement.join(
        among, sa.and_(Product.tenant_id == among.c.tenant_id, Product.id == among.c.id)
    )


def _candidates(filters: _Filters, text: TextMatch) -> list[tuple[UUID, UUID]]:
    """The keys of the newest ``RANKED_MATCHES`` + 1 matches (the one more tells "too many")."""
    statement, _ = text.apply(
        _visible(sa.select(Product.tenant_id, Product.id), filters), ranked_only=False
    )
    newest = _sort_order("newest", [])
    return [
        tuple(row)
        for row in db.session.execute(statement.order_by(*newest).limit(RANKED_MATCHES + 1))
    ]


def first_images(products: Iterable[Product]) -> dict[UUID, ProductImage]:
    """The first image of each product that has one (one query; none for no products)."""
    products = list(products)
    if not products:
        return {}
    ranked = (
        sa.select(
            ProductImage,
            sa.func.row_number()
            .over(
                partition_by=(ProductImage.tenant_id, ProductImage.product_id),
                order_by=(ProductImage.position, ProductImage.id),
            )
            .label("rn"),
        )
        .where(
            ProductImage.tenant_id.in_({p.tenant_id for p in products}),
            ProductImage.product_id.in_([p.id for p in products]),
        )
        .subquery()
    )
    image = aliased(ProductImage, ranked)
    rows = db.session.scalars(sa.select(image).where(ranked.c.rn == 1))
    return {row.product_id: row for row in rows}


def matching_shops(query: str, limit: int = SHOP_MATCHES) -> list[Tenant]:
    """Active shops whose name or address contains ``query`` (one query)."""
    if not query:
        return []
    pattern = f"%{escape_like(query.lower())}%"
    return list(
        db.session.scalars(
            sa.select(Tenant)
            .where(
                Tenant.status == TenantStatus.ACTIVE,
                sa.func.lower(Tenant.name).like(pattern, escape="\\")
                | Tenant.slug.like(pattern, escape="\\"),
            )
            .order_by(Tenant.created_at.desc(), Tenant.id.desc())
            .limit(limit)
        )
    )


def _normalise_sort(sort: str | None, has_query: bool) -> str:
    if sort in SORTS and (sort != "relevance" or has_query):
        return sort
    return "relevance" if has_query else "newest"


def _empty(query: str, sort: str, page: int, per_page: int) -> SearchResult:
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    return SearchResult(Page(items=[], page=max(1, page), per_page=per_page, total=0), query, sort)


def search_products(
    query: str | None,
    *,
    category_slug: str | None = None,
    shop_slug: str | None = None,
    price_min: int | None = None,
    price_max: int | None = None,
    in_stock: bool = False,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = 24,
    tree: CategoryTree | None = None,
) -> SearchResult:
    """Published products of active shops matching ``query`` and the filters (≤ 5 queries).

    ``query`` may be anything typed; ``tree`` saves a query when the caller has
    already loaded the categories. An unknown category or shop finds nothing.
    """
    text = clean_query(query)
    sort = _normalise_sort(sort, bool(text))
    terms = query_terms(text)
    if text and not terms:
        return _empty(text, sort, page, per_page)
    category_ids = None
    if category_slug:
        tree = tree or category_tree()
        category = tree.by_slug.get(category_slug)
        if category is None:
            return _empty(text, sort, page, per_page)
        category_ids = frozenset(tree.descendant_ids(category))
    filters = _Filters(
        category_ids=category_ids,
        shop_slug=shop_slug or None,
        price_min=price_min,
        price_max=price_max,
        in_stock=in_stock,
    )
    match = None
    if text:
        match = TextMatch.resolve(text, terms, db.session)
    with all_tenants("mall-wide catalog search"):
        if match is None:
            return _listing(
                filters, text=None, sort=sort, page=page, per_page=per_page, with_shops=True
            )
        try:
            with db.session.begin_nested(), statement_timeout(db.session, SEARCH_TIMEOUT_MS):
                return _listing(
                    filters, text=match, sort=sort, page=page, per_page=per_page, with_shops=True
                )
        except sa.exc.OperationalError as error:
            if not is_query_cancelled(error):
                raise
            result = _empty(text, sort, page, per_page)
            result.timed_out = True
            return result


def shop_products(
    *,
    sort: str = "newest",
    page: int = 1,
    per_page: int = 24,
    price_min: int | None = None,
    price_max: int | None = None,
    in_stock: bool = False,
) -> SearchResult:
    """Published products of the shop in context (its storefront), sorted and paginated."""
    tenant_id = current_tenant_id()
    if tenant_id is None:
        raise RuntimeError("shop_products() runs inside the shop's tenant context")
    sort = _normalise_sort(sort, has_query=False)
    return _listing(
        _Filters(tenant_id=tenant_id, price_min=price_min, price_max=price_max, in_stock=in_stock),
        text=None,
        sort=sort,
        page=page,
        per_page=per_page,
        with_shops=False,
    )


# ---------------------------------------------------------------- home page lists


@dataclass
class Showcase:
    """The home page's product lists with the first image of each product."""

    newest: list[Product]
    best_selling: list[Product]
    images: dict[UUID, ProductImage]


def showcase(limit: int = 8) -> Showcase:
    """Newest and best-selling products across active shops (three queries)."""
    with all_tenants("mall home page: newest and best-selling products of every shop"):
        base = _visible(sa.select(Product), _Filters()).options(contains_eager(Product.shop))
        newest = list(
            db.session.scalars(base.order_by(*_sort_order("newest", [])).limit(limit)).unique()
        )
        best = list(
            db.session.scalars(
                base.where(Product.sales_count > 0)
                .order_by(Product.sales_count.desc(), *_sort_order("newest", []))
                .limit(limit)
            ).unique()
        )
        images = first_images({p.id: p for p in (*newest, *best)}.values())
    return Showcase(newest=newest, best_selling=best, images=images)
