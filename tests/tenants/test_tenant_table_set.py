"""The guard's set of tenant tables is found once, and again when a class is mapped later."""

from __future__ import annotations

import gc

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase

from tenants.scoping import TenantScoped, tenant_models, tenant_table_set


def test_the_set_is_kept_between_calls(app):
    assert tenant_table_set() is tenant_table_set()
    assert "orders" in {table.name for table in tenant_table_set()}


def test_a_class_mapped_later_joins_the_set(app):
    before = tenant_table_set()

    class Base(DeclarativeBase):
        pass

    class LateNote(TenantScoped, Base):
        __tablename__ = "late_notes"
        text: sa.orm.Mapped[str]

    after = tenant_table_set()
    try:
        assert after is not before
        assert LateNote.__table__ in after
    finally:
        # Gone again, so that no later test (the shop purge, the schema checks) meets it.
        del LateNote, Base
        gc.collect()
    assert "late_notes" not in {cls.__table__.name for cls in tenant_models()}
