"""The shop's purchasing settings: one row per shop, made on the first save (absent: defaults).

``over_receipt_bp`` is how much more than ordered a receipt may take, in basis points of
the ordered quantity (0: nothing beyond the order; 10000: up to twice the order).
"""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from mall.extensions import db
from vendors.errors import PurchasingError
from vendors.models import PurchasingSettings

MAX_OVER_RECEIPT_BP = 10_000


def current_settings() -> PurchasingSettings | None:
    """The shop's settings row, or None while it has never saved them."""
    return db.session.scalar(sa.select(PurchasingSettings))


def over_receipt_bp() -> int:
    """The shop's over-receipt tolerance in basis points (0 when never set)."""
    found = current_settings()
    return found.over_receipt_bp if found is not None else 0


def locked_settings() -> PurchasingSettings:
    """The shop's settings row, made if missing, locked until the transaction ends.

    Purchasing actions that must take turns per shop (creating draft POs from the
    reorder suggestions) lock it first; two first saves meet at the unique constraint.
    """
    statement = sa.select(PurchasingSettings).with_for_update()
    found = db.session.scalar(statement)
    if found is not None:
        return found
    try:
        with db.session.begin_nested():
            db.session.add(PurchasingSettings(over_receipt_bp=0))
            db.session.flush()
    except IntegrityError:
        pass  # made at the same moment by another request: lock that one
    return db.session.scalars(statement).one()


def save_settings(*, over_receipt_bp: int, actor_id: UUID | None) -> PurchasingSettings:
    """Set the over-receipt tolerance (basis points, 0 to 10000); raises PurchasingError."""
    del actor_id
    if not isinstance(over_receipt_bp, int) or not 0 <= over_receipt_bp <= MAX_OVER_RECEIPT_BP:
        raise PurchasingError("Enter a tolerance from 0 % to 100 %.")
    found = locked_settings()
    found.over_receipt_bp = over_receipt_bp
    db.session.flush()
    return found
