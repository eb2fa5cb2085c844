"""Closed shops past their grace period: keys shredded, rows purged, the shop row kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import render_template_string

from mall.console.jobs import purge_order, purge_shop_rows, shred_due_shops
from mall.db import utcnow
from mall.extensions import db
from mall.shops.models import Membership, Role
from tenants.context import tenant_context
from tenants.keys import ERASED, KeyDestroyed
from tenants.models import AuditEvent, Tenant, TenantStatus
from tests.support.models import Author, Book, Shelf


@pytest.fixture
def stocked_shop(make_shop, make_user):
    """A shop with a contact email, an owner, and tenant rows holding personal data."""

    def make(status=TenantStatus.ACTIVE, shred_after=None):
        shop = make_shop(status=status)
        shop.contact_email = f"hello@{shop.slug}.example"
        if status is TenantStatus.CLOSED:
            shop.closed_at = utcnow() - timedelta(days=31)
            shop.shred_after = shred_after
        owner = make_user(f"owner-{shop.slug}@example.com")
        db.session.add(Membership(user_id=owner.id, tenant_id=shop.id, role=Role.OWNER))
        with tenant_context(shop):
            shelf = Shelf(name="Poetry")
            author = Author(name="Emily")
            author.email = f"emily@{shop.slug}.example"
            db.session.add_all([shelf, author])
            db.session.flush()
            db.session.add(Book(title="Poems", shelf_id=shelf.id, author_id=author.id))
            db.session.flush()
        db.session.commit()
        return shop

    return make


def count(model, shop) -> int:
    with tenant_context(shop.id):
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def author_email(shop) -> str:
    db.session.expire_all()
    with tenant_context(shop.id):
        author = db.session.scalars(sa.select(Author)).one()
        return author.email


def test_shred_due_shops_erases_only_due_shops_then_purges_their_rows(app_ctx, stocked_shop):
    past = utcnow() - timedelta(minutes=1)
    due = stocked_shop(TenantStatus.CLOSED, shred_after=past)
    later = stocked_shop(TenantStatus.CLOSED, shred_after=utcnow() + timedelta(days=3))
    other = stocked_shop(TenantStatus.ACTIVE)

    assert shred_due_shops() == 1
    # Keys are gone at once: the shop's own contact email and its rows' personal data.
    assert render_template_string("{{ shop.contact_email }}", shop=due) == ERASED
    with pytest.raises(KeyDestroyed):
        author_email(due)
    assert author_email(later) == f"emily@{later.slug}.example"
    assert author_email(other) == f"emily@{other.slug}.example"
    assert reload(other).contact_email == f"hello@{other.slug}.example"

    due = reload(due)
    assert due.shredded_at is not None
    [event] = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "shop.shredded"))
    assert (event.actor_id, event.target_id) == (None, str(due.id))

    db.session.commit()  # the purge job runs (inline) after the commit
    for model in (Author, Book, Shelf):
        assert count(model, due) == 0
        assert count(model, later) == 1
        assert count(model, other) == 1
    assert memberships(due) == 0 and memberships(later) == 1
    tombstone = reload(due)
    assert (tombstone.status, tombstone.slug) == (TenantStatus.CLOSED, due.slug)


def test_shredding_again_changes_nothing(app_ctx, stocked_shop):
    due = stocked_shop(TenantStatus.CLOSED, shred_after=utcnow() - timedelta(days=1))
    shred_due_shops()
    db.session.commit()
    shredded_at = reload(due).shredded_at

    assert shred_due_shops() == 0
    db.session.commit()
    assert purge_shop_rows(str(due.id)) == 0
    assert reload(due).shredded_at == shredded_at
    shredded = sa.select(sa.func.count()).where(AuditEvent.action == "shop.shredded")
    assert db.session.scalar(shredded.select_from(AuditEvent)) == 1


def test_shops_not_closed_or_not_due_are_never_shredded(app_ctx, stocked_shop):
    not_due = stocked_shop(TenantStatus.CLOSED, shred_after=utcnow() + timedelta(minutes=5))
    unscheduled = stocked_shop(TenantStatus.CLOSED, shred_after=None)
    # An active shop with a stale date (e.g. reopened by hand) is left alone too.
    active = stocked_shop(TenantStatus.ACTIVE)
    active.shred_after = utcnow() - timedelta(days=1)
    db.session.commit()
    assert shred_due_shops() == 0
    for shop in (not_due, unscheduled, active):
        assert author_email(shop) == f"emily@{shop.slug}.example"


def test_purge_refuses_a_shop_that_was_not_shredded(app_ctx, stocked_shop):
    closed = stocked_shop(TenantStatus.CLOSED, shred_after=utcnow() + timedelta(days=1))
    assert purge_shop_rows(str(closed.id)) == 0
    assert count(Author, closed) == 1 and memberships(closed) == 1


def test_purge_deletes_children_before_parents():
    order = [model.__table__.name for model in purge_order()]
    assert order.index("test_books") < order.index("test_shelves")
    assert order.index("test_books") < order.index("test_authors")
    assert "invitations" in order


def test_the_periodic_job_runs_through_the_job_wrapper(app_ctx, stocked_shop):
    from mall.jobs import run_job

    due = stocked_shop(TenantStatus.CLOSED, shred_after=utcnow() - timedelta(seconds=1))
    assert run_job("mall.console.jobs:shred_due_shops", None) == 1
    assert reload(due).shredded_at is not None
    assert count(Author, due) == 0


def reload(shop) -> Tenant:
    db.session.expire_all()
    return db.session.get(Tenant, shop.id)


def memberships(shop) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Membership).where(Membership.tenant_id == shop.id)
    )


def test_purge_frees_the_custom_domain_and_deletes_the_logo_files(app_ctx, stocked_shop):
    from mall.storage import storage
    from tenants.models import TenantDomain
    from tenants.services import add_domain

    due = stocked_shop(TenantStatus.CLOSED, shred_after=utcnow() - timedelta(minutes=1))
    keep = stocked_shop(TenantStatus.ACTIVE)
    add_domain(due, f"{due.slug}.example")
    for shop in (due, keep):
        storage().save(f"logos/{shop.id}/logo.png", b"\x89PNG fake")
        shop.logo_path = f"logos/{shop.id}/logo.png"
    db.session.commit()
    shred_due_shops()
    db.session.commit()  # the purge runs after the commit
    assert (
        db.session.scalar(sa.select(TenantDomain).where(TenantDomain.tenant_id == due.id)) is None
    )
    with pytest.raises(FileNotFoundError):
        storage().open(f"logos/{due.id}/logo.png")
    assert reload(due).logo_path is None
    assert storage().open(f"logos/{keep.id}/logo.png") == b"\x89PNG fake"
