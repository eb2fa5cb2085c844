"""A shop's customers: one row per email, kept current from its orders and messages.

A row is added the first time someone's order is paid or their message
arrives (``find_or_add_customer``: one per blind index of the email, a lost race
reads the winner's). The totals are recomputed from the shop's paid orders of
that email (``record_order``), never added to, so a replayed ``order_paid`` or
``order_refunded`` leaves them as they are. Call everything in the shop's
tenant context; services flush, never commit.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from mall.crm.errors import CrmError
from mall.crm.models import CrmCustomer
from mall.csvsafe import SafeWriter
from mall.db import utcnow
from mall.extensions import db
from mall.money import minor_digits
from mall.orders.models import Order
from mall.orders.services import order_address
from mall.pagination import KeysetPage, Position, keyset_paginate
from tenants.context import TenantContextRequired, current_tenant_id
from tenants.guard import scoped_get
from tenants.keys import CiphertextInvalid, KeyDestroyed, reveal, tenant_scope

MAX_NOTES = 5000
MAX_TAGS = 200
MAX_NAME = 120
MAX_TAG = 30  # characters of one tag
CSV_BATCH = 500
CSV_HEADER = (
    "Name",
    "Email",
    "Orders",
    "Lifetime value",
    "Currency",
    "Last order",
    "Tags",
    "Notes",
)


def get_customer(customer_id: UUID | str | None) -> CrmCustomer | None:
    """The customer of the shop in context with this id, or None."""
    return scoped_get(CrmCustomer, customer_id)


def email_index(email: str) -> bytes:
    """The blind index of ``email`` among the customers of the shop in context."""
    tenant_id = current_tenant_id()
    if tenant_id is None:
        raise TenantContextRequired("customers looked up by email outside a tenant context")
    return CrmCustomer.email.lookup(email, scope=tenant_scope(tenant_id))


def customer_token(email: str) -> str:
    """The blind index of ``email`` as hex: what the list's link carries instead of the email."""
    return email_index(email).hex()


def find_customer(email: str) -> CrmCustomer | None:
    """The shop's customer with this email (any case), or None."""
    return db.session.scalar(
        sa.select(CrmCustomer).where(CrmCustomer.email_index == email_index(email))
    )


def find_or_add_customer(email: str, *, name: str | None = None) -> CrmCustomer:
    """The shop's customer with ``email``, added now when there is none.

    A name is kept when the row had none. Two requests adding the same person at
    once make one row: the loser's insert fails in its savepoint and reads the winner's.
    """
    found = find_customer(email)
    if found is None:
        customer = CrmCustomer(last_seen_at=utcnow())
        customer.email = email
        if name:
            customer.name = name[:MAX_NAME]
        try:
            with db.session.begin_nested():
                db.session.add(customer)
                db.session.flush()
        except IntegrityError:
            found = find_customer(email)
            if found is None:
                raise
        else:
            return customer
    if name and found.name_ct is None:
        found.name = name[:MAX_NAME]
        db.session.flush()
    return found


def _order_name(order: Order) -> str | None:
    try:
        address = order_address(order, "billing") or order_address(order)
    except (KeyDestroyed, CiphertextInvalid):
        return None
    return address.name if address and address.name else None


def record_order(order: Order) -> CrmCustomer:
    """Bring the order's customer up to date from the shop's paid orders of that email.

    Orders count once paid; the lifetime value is what they paid less what was
    refunded. Recomputed in one grouped query, so repeating it changes nothing.
    """
    customer = find_or_add_customer(order.email, name=_order_name(order))
    count, value, last = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(Order.total - Order.refunded_amount), 0),
            sa.func.max(Order.paid_at),
        ).where(Order.email_index == order.email_index, Order.paid_at.is_not(None))
    ).one()
    customer.orders_count = int(count)
    customer.lifetime_value = int(value)
    customer.currency = order.currency
    customer.last_order_at = last
    if last is not None and _later(last, customer.last_seen_at):
        customer.last_seen_at = last
    db.session.flush()
    return customer


def _later(moment: datetime, than: datetime | None) -> bool:
    if than is None:
        return True
    return moment.replace(tzinfo=None) > than.replace(tzinfo=None)


def _valid_tag(label: str) -> bool:
    """Letters and digits of any script, and dashes after the first character."""
    return (
        0 < len(label) <= MAX_TAG
        and label[0].isalnum()
        and all(char.isalnum() or char == "-" for char in label)
    )


def parse_tags(text: str) -> str:
    """``"VIP, Über-kunde"`` -> ``"vip über-kunde"``: lower-case labels, each once, in order.

    Labels are NFC-normalised so "ü" typed either way is one tag. Raises CrmError for a
    label with other characters than letters, digits and dashes, or longer than 30.
    """
    labels: list[str] = []
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).strip().lower())
    for raw in re.split(r"[\s,]+", folded):
        if not raw:
            continue
        if not _valid_tag(raw):
            raise CrmError(
                f"The tag {raw[:30]!r} is not valid: use letters, digits and dashes, "
                f"at most {MAX_TAG} characters each."
            )
        if raw not in labels:
            labels.append(raw)
    joined = " ".join(labels)
    if len(joined) > MAX_TAGS:
        raise CrmError(f"Tags are too long: use at most {MAX_TAGS} characters in all.")
    return joined


def update_notes(customer: CrmCustomer, *, notes: str, tags: str) -> bool:
    """Save the staff's notes (sealed) and tags about ``customer``; False when unchanged."""
    notes = notes.strip()
    if len(notes) > MAX_NOTES:
        raise CrmError(f"Notes are too long: use at most {MAX_NOTES} characters.")
    labels = parse_tags(tags)
    current = customer.notes or ""
    if current == notes and customer.tags == labels:
        return False
    customer.notes = notes or None
    customer.tags = labels
    db.session.flush()
    return True


def customer_list(
    *,
    email_token: bytes | None = None,
    older_than: Position | None = None,
    newer_than: Position | None = None,
    per_page: int = 25,
) -> KeysetPage:
    """One page of the shop's customers, most recently active first: three queries at most."""
    query = sa.select(CrmCustomer)
    if email_token is not None:
        query = query.where(CrmCustomer.email_index == email_token)
    return keyset_paginate(
        query,
        moment=CrmCustomer.last_seen_at,
        row_id=CrmCustomer.id,
        older_than=older_than,
        newer_than=newer_than,
        per_page=per_page,
    )


@dataclass(frozen=True)
class CsvBatch:
    text: str
    after: Position | None


def _decimal(minor: int, code: str) -> str:
    # A plain number (``12.50``), so the spreadsheet sums it; the currency has its own column.
    digits = minor_digits(code or None)
    return f"{Decimal(minor).scaleb(-digits):.{digits}f}"


def csv_header() -> str:
    """The CSV's first line."""
    out = io.StringIO()
    SafeWriter(out).writerow(CSV_HEADER)
    return out.getvalue()


def csv_batch(*, after: Position | None) -> CsvBatch:
    """The next ``CSV_BATCH`` customers as CSV lines (formula-safe) and where the next starts."""
    page = customer_list(older_than=after, per_page=CSV_BATCH)
    out = io.StringIO()
    writer = SafeWriter(out)
    for customer in page.items:
        writer.writerow(
            (
                reveal(customer, "name") or "",
                reveal(customer, "email") or "",
                str(customer.orders_count),
                _decimal(customer.lifetime_value, customer.currency),
                customer.currency,
                customer.last_order_at.strftime("%Y-%m-%d") if customer.last_order_at else "",
                customer.tags,
                reveal(customer, "notes") or "",
            )
        )
    last = page.items[-1] if page.items else None
    more = last is not None and page.older is not None
    return CsvBatch(out.getvalue(), (last.last_seen_at, last.id) if more else None)
