"""Tenant tables that exist only in the test database, to exercise the tenancy core.

They live in their own metadata (so migrations and models still agree) and
get exactly the row-level security the migrations give real tenant tables.
"""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry, relationship

from mall.db import NAMING_CONVENTION, PlatformModel
from tenants.keys import EncryptedField, normalise_email
from tenants.models import Tenant
from tenants.scoping import TenantScoped, tenant_fk, tenant_unique


class SupportBase(DeclarativeBase):
    registry = registry(metadata=sa.MetaData(naming_convention=NAMING_CONVENTION))


# The tenants table, mirrored so that ForeignKey("tenants.id") resolves here.
Tenant.__table__.to_metadata(SupportBase.metadata)


class Shelf(TenantScoped, SupportBase):
    __tablename__ = "test_shelves"

    name: Mapped[str] = mapped_column(sa.String(100))
    books: Mapped[list[Book]] = relationship(back_populates="shelf", overlaps="author,books")
    __table_args__ = (tenant_unique("name"),)


class Author(TenantScoped, SupportBase):
    __tablename__ = "test_authors"

    name: Mapped[str] = mapped_column(sa.String(100))
    email_ct: Mapped[bytes | None] = mapped_column("email", sa.LargeBinary)
    email_index: Mapped[bytes | None] = mapped_column(sa.LargeBinary(32))
    phone_ct: Mapped[bytes | None] = mapped_column("phone", sa.LargeBinary)
    books: Mapped[list[Book]] = relationship(back_populates="author", overlaps="shelf,books")
    __table_args__ = (tenant_unique("email_index"),)

    email = EncryptedField("email_ct", index="email_index", normalise=normalise_email)
    phone = EncryptedField("phone_ct")


class Contact(PlatformModel, SupportBase):
    """A platform-scope row with personal data."""

    __tablename__ = "test_contacts"

    email_ct: Mapped[bytes | None] = mapped_column("email", sa.LargeBinary)
    email_index: Mapped[bytes | None] = mapped_column(sa.LargeBinary(32), unique=True)
    email = EncryptedField("email_ct", index="email_index", normalise=normalise_email)


class Book(TenantScoped, SupportBase):
    __tablename__ = "test_books"

    title: Mapped[str] = mapped_column(sa.String(200))
    shelf_id: Mapped[UUID]
    author_id: Mapped[UUID | None]
    shelf: Mapped[Shelf] = relationship(back_populates="books", overlaps="author,books")
    author: Mapped[Author | None] = relationship(back_populates="books", overlaps="shelf,books")
    __table_args__ = (
        tenant_fk(["shelf_id"], "test_shelves"),
        tenant_fk(["author_id"], "test_authors"),
        tenant_unique("title"),
    )


SUPPORT_TABLES = [Shelf.__table__, Author.__table__, Book.__table__, Contact.__table__]
