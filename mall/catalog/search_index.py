"""Keeping the full-text index of products current.

PostgreSQL: ``products.search_vector`` (weighted ``tsvector`` of the unaccented
text, GIN index).
SQLite: the FTS5 table ``product_search`` (made by migration 0003).
Every product is indexed whatever its status; searches filter on published
products of active shops, so publishing or a shop's approval needs no reindex.
A renamed shop or category is reindexed by a job (``jobs.reindex_shop``,
``jobs.reindex_category``).
"""

from __future__ import annotations

from uuid import UUID

import nh3
import sqlalchemy as sa

from mall.catalog import jobs
from mall.catalog.models import Category, Product
from mall.extensions import db
from mall.jobs import enqueue_after_commit
from tenants.context import all_tenants, tenant_context
from tenants.models import Tenant

REINDEX_BATCH = 500


def document(product: Product) -> dict[str, str]:
    """The searchable text of a product, by field."""
    shop = db.session.get(Tenant, product.tenant_id)
    category = db.session.get(Category, product.category_id) if product.category_id else None
    return {
        "title": product.title,
        "body": nh3.clean(product.description_html or "", tags=set()),
        "skus": " ".join(v.sku for v in product.variants if v not in db.session.deleted),
        "shop": shop.name if shop else "",
        "category": category.name if category else "",
        "tags": " ".join(product.tags or []),
    }


def index_product(product: Product) -> None:
    """(Re)index one product of the shop in context."""
    fields = document(product)
    if db.session.get_bind().dialect.name == "postgresql":
        _index_postgresql(product, fields)
    else:
        _index_sqlite(product, fields)


def remove_product(product: Product) -> None:
    """Drop a product from the index (PostgreSQL drops it with the row)."""
    if db.session.get_bind().dialect.name != "postgresql":
        db.session.execute(
            sa.text("DELETE FROM product_search WHERE product_id = :id"), {"id": product.id.hex}
        )


def _weighted(text: str, weight: str) -> sa.ColumnElement:
    # setweight() takes a "char" weight: a literal, not a bound varchar.
    assert weight in "ABCD"
    folded = sa.func.unaccent(sa.cast(sa.literal(text), sa.Text))  # "Café" is found as "cafe"
    vector = sa.func.to_tsvector(sa.literal_column("'simple'"), folded)
    return sa.func.setweight(vector, sa.literal_column(f"'{weight}'"))


def _index_postgresql(product: Product, fields: dict[str, str]) -> None:
    vector = (
        _weighted(fields["title"], "A")
        .op("||")(_weighted(f"{fields['skus']} {fields['tags']}", "A"))
        .op("||")(_weighted(f"{fields['shop']} {fields['category']}", "B"))
        .op("||")(_weighted(fields["body"], "C"))
    )
    db.session.execute(
        sa.update(Product)
        .where(Product.tenant_id == product.tenant_id, Product.id == product.id)
        .values(search_vector=vector, updated_at=Product.updated_at)  # indexing is no edit
        .execution_options(synchronize_session=False)
    )


def _index_sqlite(product: Product, fields: dict[str, str]) -> None:
    remove_product(product)
    db.session.execute(
        sa.text(
            "INSERT INTO product_search "
            "(tenant_id, product_id, title, body, skus, shop, category, tags) "
            "VALUES (:tenant_id, :product_id, :title, :body, :skus, :shop, :category, :tags)"
        ),
        {"tenant_id": product.tenant_id.hex, "product_id": product.id.hex, **fields},
    )


def reindex_shop() -> int:
    """Reindex every product of the shop in context (after a rename); returns how many."""
    return _reindex(sa.true())


def reindex_category(category_id: str) -> int:
    """Reindex the products of a renamed category, shop by shop; returns how many."""
    wanted = Product.category_id == UUID(str(category_id))
    with all_tenants("search index: which shops have products in a renamed category"):
        shop_ids = db.session.scalars(sa.select(Product.tenant_id).where(wanted).distinct()).all()
    count = 0
    for shop_id in shop_ids:
        with tenant_context(shop_id):
            count += _reindex(wanted)
    return count


def _reindex(condition: sa.ColumnElement[bool]) -> int:
    """Reindex the products of the shop in context matching ``condition``, in batches."""
    count, after = 0, None
    while True:
        query = sa.select(Product).where(condition).order_by(Product.id).limit(REINDEX_BATCH)
        if after is not None:
            query = query.where(Product.id > after)
        batch = db.session.scalars(query).all()
        for product in batch:
            index_product(product)
        count += len(batch)
        if len(batch) < REINDEX_BATCH:
            return count
        after = batch[-1].id


# Subscribed to ``mall.signals`` by ``mall.catalog.init_app``.


def reindex_renamed_shop(shop: Tenant, **_: object) -> None:
    """``shop_renamed``: reindex the shop's products (its name is in their documents)."""
    enqueue_after_commit(jobs.reindex_shop)


def reindex_renamed_category(category: Category, **_: object) -> None:
    """``category_renamed``: reindex the category's products in every shop."""
    enqueue_after_commit(jobs.reindex_category, category.id)
