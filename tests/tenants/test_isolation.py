"""The ORM guard (SQLite and PostgreSQL) and row-level security (PostgreSQL)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload, selectinload

from mall.extensions import db
from tenants.context import (
    CrossTenantWrite,
    TenantContextRequired,
    all_tenants,
    current_tenant_id,
    tenant_context,
)
from tenants.guard import scoped_get
from tenants.scoping import TenantScoped
from tests.support.models import Author, Book, Shelf


@pytest.fixture
def library(shop_a, shop_b):
    """Each shop gets a shelf with two books by one author, all with the same names."""
    ids = {}
    for shop in (shop_a, shop_b):
        with tenant_context(shop):
            shelf = Shelf(name="Fiction")
            author = Author(name="Same Name")
            db.session.add_all(
                [
                    shelf,
                    author,
                    Book(title=f"{shop.slug} one", shelf=shelf, author=author),
                    Book(title=f"{shop.slug} two", shelf=shelf, author=author),
                ]
            )
            db.session.flush()
            ids[shop.slug] = {"shelf": shelf.id, "author": author.id}
    db.session.commit()
    forget_tenant_rows()
    return ids


def forget_tenant_rows() -> None:
    """Empty the identity map of tenant rows, so the next reads go to the database."""
    for obj in list(db.session):
        if isinstance(obj, TenantScoped):
            db.session.expunge(obj)


def titles(books) -> set[str]:
    return {b.title for b in books}


# ---------------------------------------------------------------- fail closed


def test_query_on_tenant_table_outside_context_raises(library):
    with pytest.raises(TenantContextRequired):
        db.session.scalars(sa.select(Book)).all()
    db.session.rollback()
    with pytest.raises(TenantContextRequired):
        db.session.scalar(sa.select(sa.func.count()).select_from(Book))
    db.session.rollback()
    with pytest.raises(TenantContextRequired):
        db.session.execute(sa.select(Book.title).join(Shelf)).all()
    db.session.rollback()
    with pytest.raises(TenantContextRequired):
        db.session.execute(sa.update(Book).values(title="x"))
    db.session.rollback()
    with pytest.raises(TenantContextRequired):
        db.session.execute(sa.delete(Book))


def test_writing_a_tenant_row_outside_context_raises(shop_a):
    db.session.add(Shelf(name="Orphan"))
    with pytest.raises(TenantContextRequired):
        db.session.flush()


def test_platform_tables_need_no_context(shop_a):
    from tenants.models import Tenant

    assert db.session.scalar(sa.select(Tenant.slug).where(Tenant.id == shop_a.id)) == "shop-a"


# ---------------------------------------------------------------- scoped reads


def test_select_sees_only_the_shop_in_context(shop_a, library):
    with tenant_context(shop_a):
        assert titles(db.session.scalars(sa.select(Book))) == {"shop-a one", "shop-a two"}


def test_count_sees_only_the_shop_in_context(shop_a, library):
    with tenant_context(shop_a):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Book)) == 2
        assert db.session.scalar(sa.select(sa.func.count(Book.id))) == 2


def test_joins_and_aliases_are_scoped(shop_a, library):
    with tenant_context(shop_a):
        rows = db.session.execute(
            sa.select(Book.title, Shelf.name).join(Shelf, Book.shelf_id == Shelf.id)
        ).all()
        assert {r.title for r in rows} == {"shop-a one", "shop-a two"}
        # A join on the name alone would pair shop A's books with shop B's shelf: it must not.
        other = aliased(Shelf)
        rows = db.session.execute(
            sa.select(Book.title, other.id).join(other, other.name == "Fiction")
        ).all()
        assert {r[1] for r in rows} == {library["shop-a"]["shelf"]}


def test_relationship_loads_are_scoped(shop_a, library):
    with tenant_context(shop_a):
        shelf = db.session.scalars(sa.select(Shelf)).one()
        assert titles(shelf.books) == {"shop-a one", "shop-a two"}
        forget_tenant_rows()
        eager = db.session.scalars(sa.select(Shelf).options(selectinload(Shelf.books))).one()
        assert titles(eager.books) == {"shop-a one", "shop-a two"}
        forget_tenant_rows()
        joined = db.session.scalars(sa.select(Author).options(joinedload(Author.books))).unique()
        assert titles(joined.one().books) == {"shop-a one", "shop-a two"}


def test_bulk_update_and_delete_touch_only_the_shop_in_context(shop_a, shop_b, library):
    with tenant_context(shop_a):
        updated = db.session.execute(sa.update(Book).values(title=Book.title + " (sale)"))
        assert updated.rowcount == 2
        deleted = db.session.execute(sa.delete(Book).where(Book.title.like("%one%")))
        assert deleted.rowcount == 1
    db.session.commit()
    with tenant_context(shop_b):
        assert titles(db.session.scalars(sa.select(Book))) == {"shop-b one", "shop-b two"}
    with tenant_context(shop_a):
        assert titles(db.session.scalars(sa.select(Book))) == {"shop-a two (sale)"}


def test_scoped_get_never_returns_another_shops_row(shop_a, shop_b, library):
    b_shelf = library["shop-b"]["shelf"]
    with tenant_context(shop_b):
        assert scoped_get(Shelf, b_shelf) is not None  # now in the identity map
    with tenant_context(shop_a):
        assert scoped_get(Shelf, b_shelf) is None
        assert scoped_get(Shelf, "not-a-uuid") is None
        assert scoped_get(Shelf, library["shop-a"]["shelf"]).name == "Fiction"


def test_all_tenants_reads_every_shop(library):
    with all_tenants("test: the mall-wide view"):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Book)) == 4
        assert current_tenant_id() is None


def test_all_tenants_needs_a_reason():
    with pytest.raises(ValueError), all_tenants(""):
        pass


# ---------------------------------------------------------------- guarded writes


def test_new_rows_are_stamped_with_the_shop_in_context(shop_a):
    with tenant_context(shop_a):
        shelf = Shelf(name="Poetry")
        db.session.add(shelf)
        db.session.flush()
        assert shelf.tenant_id == shop_a.id


def test_creating_a_row_for_another_shop_is_refused(shop_a, shop_b):
    with tenant_context(shop_a):
        db.session.add(Shelf(name="Smuggled", tenant_id=shop_b.id))
        with pytest.raises(CrossTenantWrite):
            db.session.flush()


def test_changing_another_shops_row_is_refused(shop_a, shop_b, library):
    with tenant_context(shop_b):
        b_shelf = scoped_get(Shelf, library["shop-b"]["shelf"])
    with tenant_context(shop_a):
        b_shelf.name = "Hijacked"
        with pytest.raises(CrossTenantWrite):
            db.session.flush()


def test_deleting_another_shops_row_is_refused(shop_a, shop_b, library):
    with tenant_context(shop_b):
        b_shelf = scoped_get(Shelf, library["shop-b"]["shelf"])
    with tenant_context(shop_a):
        db.session.delete(b_shelf)
        with pytest.raises(CrossTenantWrite):
            db.session.flush()


def test_unique_constraints_are_per_shop(shop_a, shop_b):
    for shop in (shop_a, shop_b):
        with tenant_context(shop):
            db.session.add(Shelf(name="Same"))
            db.session.flush()
    with tenant_context(shop_a):
        db.session.add(Shelf(name="Same"))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.flush()


# ---------------------------------------------------------------- row-level security


@pytest.fixture
def postgres_only(backend):
    if backend != "postgresql":
        pytest.skip("row-level security exists on PostgreSQL only")


def test_rls_refuses_raw_insert_for_another_shop(postgres_only, shop_a, shop_b):
    statement = sa.text(
        "INSERT INTO test_shelves (tenant_id, id, name) VALUES (:tenant, gen_random_uuid(), 'Raw')"
    )
    with tenant_context(shop_a):
        refused = pytest.raises(sa.exc.ProgrammingError, match="row-level security")
        with refused, db.session.begin_nested():
            db.session.execute(statement, {"tenant": shop_b.id})
        with db.session.begin_nested():  # the same insert for its own shop is fine
            db.session.execute(statement, {"tenant": shop_a.id})


def test_rls_shows_nothing_to_raw_sql_without_a_tenant(postgres_only, library):
    count = sa.text("SELECT count(*) FROM test_books")
    assert db.session.scalar(count) == 0
    assert db.session.scalar(sa.text("SELECT count(*) FROM test_shelves")) == 0


def test_rls_scopes_raw_sql_to_the_shop_in_context(postgres_only, shop_a, library):
    with tenant_context(shop_a):
        titles_seen = db.session.scalars(sa.text("SELECT title FROM test_books")).all()
        assert set(titles_seen) == {"shop-a one", "shop-a two"}
        # Raw updates cannot reach shop B's rows either.
        result = db.session.execute(sa.text("UPDATE test_books SET title = title || '!'"))
        assert result.rowcount == 2
    with all_tenants("test: count every row"):
        assert db.session.scalar(sa.text("SELECT count(*) FROM test_books")) == 4


def test_rls_setting_is_transaction_local(postgres_only, app, shop_a):
    """A pooled connection never carries one shop's setting into the next transaction."""
    engine = db.engine
    with engine.connect() as connection:
        with connection.begin():
            connection.execute(
                sa.text("SELECT set_config('mall.tenant_id', :v, true)"), {"v": str(shop_a.id)}
            )
        assert connection.scalar(sa.text("SELECT current_setting('mall.tenant_id', true)")) in (
            "",
            None,
        )


def test_rls_follows_every_context_switch_inside_one_transaction(
    postgres_only, shop_a, shop_b, library
):
    raw_titles = sa.text("SELECT title FROM test_books ORDER BY title")
    with tenant_context(shop_a):
        assert db.session.scalars(raw_titles).all() == ["shop-a one", "shop-a two"]
        with tenant_context(shop_b):
            assert db.session.scalars(raw_titles).all() == ["shop-b one", "shop-b two"]
        assert db.session.scalars(raw_titles).all() == ["shop-a one", "shop-a two"]
    assert db.session.scalars(raw_titles).all() == []
