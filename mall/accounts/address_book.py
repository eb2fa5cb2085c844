"""The customer's address book (``/account/addresses``): the addresses checkout offers.

Rows are ``SavedAddress`` (platform table, the address sealed as JSON under the
platform's key, a blind index of it as ``fingerprint``); checkout saves into the
same book. Every function takes the account and finds rows by id *and* account,
so another customer's id is simply not found. Services flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa

from mall.accounts.addresses import PostalAddress
from mall.accounts.models import SavedAddress, User
from mall.extensions import db
from tenants.keys import EncryptedField

# An address book is short; the cap keeps the page (and its decryption) bounded.
MAX_ADDRESSES = 20


class AddressBookError(ValueError):
    """A change to the address book that cannot be made; the message says why."""


@dataclass(frozen=True)
class BookEntry:
    """One saved address as the page shows it."""

    id: UUID
    address: PostalAddress
    is_default: bool


def _fingerprint(address: PostalAddress) -> bytes:
    field_: EncryptedField = SavedAddress.address_json  # type: ignore[assignment]
    return field_.lookup(address.to_json())


def address_book(user: User) -> list[BookEntry]:
    """The account's saved addresses, the default first, then newest first (one query)."""
    rows = db.session.scalars(
        sa.select(SavedAddress)
        .where(SavedAddress.user_id == user.id)
        .order_by(
            SavedAddress.is_default.desc(), SavedAddress.created_at.desc(), SavedAddress.id.desc()
        )
        .limit(MAX_ADDRESSES)
    )
    return [
        BookEntry(row.id, PostalAddress.from_json(row.address_json), row.is_default) for row in rows
    ]


def get_saved_address(user: User, address_id: UUID) -> SavedAddress | None:
    """One of the account's saved addresses by id; another account's id: None."""
    return db.session.scalar(
        sa.select(SavedAddress).where(
            SavedAddress.id == address_id, SavedAddress.user_id == user.id
        )
    )


def add_address(user: User, address: PostalAddress, *, make_default: bool = False) -> SavedAddress:
    """Add ``address`` to the book; the same address again keeps its one row (safe to repeat).

    Raises ``AddressBookError`` when the book is full.
    """
    fingerprint = _fingerprint(address)
    saved = db.session.scalar(
        sa.select(SavedAddress).where(
            SavedAddress.user_id == user.id, SavedAddress.fingerprint == fingerprint
        )
    )
    if saved is None:
        count = db.session.scalar(sa.select(sa.func.count()).where(SavedAddress.user_id == user.id))
        if (count or 0) >= MAX_ADDRESSES:
            raise AddressBookError(
                f"Your address book is full ({MAX_ADDRESSES} addresses): delete one first."
            )
        saved = SavedAddress(user_id=user.id)
        saved.address_json = address.to_json()
        db.session.add(saved)
        db.session.flush()
    if make_default:
        set_default_address(user, saved.id)
    return saved


def update_address(
    user: User, address_id: UUID, *, address: PostalAddress, make_default: bool = False
) -> SavedAddress:
    """Replace a saved address with ``address`` (saving it unchanged is no change).

    Raises ``AddressBookError`` when it is not the account's or the book holds it already.
    """
    saved = get_saved_address(user, address_id)
    if saved is None:
        raise AddressBookError("This address is not in your address book.")
    fingerprint = _fingerprint(address)
    if fingerprint != saved.fingerprint:
        twin = db.session.scalar(
            sa.select(SavedAddress.id).where(
                SavedAddress.user_id == user.id, SavedAddress.fingerprint == fingerprint
            )
        )
        if twin is not None:
            raise AddressBookError("This address is already in your address book.")
        saved.address_json = address.to_json()
        db.session.flush()
    if make_default:
        set_default_address(user, saved.id)
    return saved


def delete_address(user: User, address_id: UUID) -> bool:
    """Delete a saved address; False when it was already gone (a repeated click)."""
    deleted = db.session.execute(
        sa.delete(SavedAddress).where(
            SavedAddress.id == address_id, SavedAddress.user_id == user.id
        )
    )
    return bool(deleted.rowcount)


def set_default_address(user: User, address_id: UUID) -> None:
    """Make a saved address the one checkout offers first (the others stop being default).

    Raises ``AddressBookError`` when it is not the account's.
    """
    if get_saved_address(user, address_id) is None:
        raise AddressBookError("This address is not in your address book.")
    db.session.execute(
        sa.update(SavedAddress)
        .where(SavedAddress.user_id == user.id)
        .values(is_default=SavedAddress.id == address_id)
    )
    db.session.flush()
