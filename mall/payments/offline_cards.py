"""Offline card: card details a shop charges on its own terminal, sealed until it does.

The number, expiry and security code are validated (Luhn, a future expiry, 3-4
digit code), sealed under the shop's key and stored with the order; only the
brand and the last four digits are plain. A manager sees them once (the reveal
is recorded), then marks the order processed or declined; either deletes the
row in the same transaction. A job deletes rows left past the deadline and
cancels their orders. Nothing here logs, flashes or raises a card's digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from uuid import UUID

import sqlalchemy as sa
from flask import current_app

from mall.db import utcnow
from mall.extensions import db
from mall.orders.errors import OrderError
from mall.orders.models import Order, OrderStatus
from mall.orders.services import cancel_order, mark_order_paid
from mall.pagination import Page, paginate
from mall.payments.errors import PaymentError
from mall.payments.models import OfflineCard
from tenants.context import all_tenants, tenant_context

OFFLINE_CARD = "offline_card"
BRANDS = (
    ("Visa", re.compile(r"^4")),
    ("Mastercard", re.compile(r"^(5[1-5]|2[2-7])")),
    ("Amex", re.compile(r"^3[47]")),
    ("Discover", re.compile(r"^6(011|5)")),
)


@dataclass(frozen=True)
class CardDetails:
    """A card as typed, validated; its ``repr`` shows only the last four digits."""

    number: str = field(repr=False)
    exp_month: int = field(repr=False)
    exp_year: int = field(repr=False)
    cvc: str = field(repr=False)

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def brand(self) -> str:
        return next((name for name, pattern in BRANDS if pattern.match(self.number)), "")

    @property
    def expiry(self) -> str:
        return f"{self.exp_month:02d}/{self.exp_year % 100:02d}"

    def __repr__(self) -> str:
        return f"CardDetails(…{self.last4})"


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def parse_card(
    number: str | None, expiry: str | None, cvc: str | None, *, today: date | None = None
) -> CardDetails:
    """Validate what the customer typed; PaymentError with a message that says what is wrong."""
    digits = re.sub(r"[\s-]", "", number or "")
    if not digits.isdigit() or not 12 <= len(digits) <= 19:
        raise PaymentError("Enter the card number: 12 to 19 digits.")
    if not luhn_ok(digits):
        raise PaymentError("The card number is not valid: check it for a typing mistake.")
    match = re.fullmatch(r"\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*", expiry or "")
    if match is None or not 1 <= int(match.group(1)) <= 12:
        raise PaymentError("Enter the expiry date as MM/YY.")
    month, year = int(match.group(1)), int(match.group(2))
    year = year + 2000 if year < 100 else year
    today = today or utcnow().date()
    if (year, month) < (today.year, today.month):
        raise PaymentError("The card has expired: use another card.")
    if (year, month) > (today.year + 20, 12):
        raise PaymentError("Enter the expiry date as MM/YY.")
    code = (cvc or "").strip()
    if not re.fullmatch(r"\d{3,4}", code):
        raise PaymentError("Enter the security code: the 3 or 4 digits on the card.")
    return CardDetails(number=digits, exp_month=month, exp_year=year, cvc=code)


def card_of(order: Order) -> OfflineCard | None:
    """The order's stored card (in the order's shop context), or None once it is gone."""
    return db.session.scalar(sa.select(OfflineCard).where(OfflineCard.order_id == order.id))


def store_offline_card(order: Order, card: CardDetails) -> OfflineCard:
    """Seal ``card`` under the order's shop key for that order (once; a repeat returns the row).

    Call inside the order's shop context; the order must be paid by offline card.
    """
    if order.payment_method != OFFLINE_CARD:
        raise PaymentError("This order is not paid by card through the shop.")
    existing = card_of(order)
    if existing is not None:
        return existing
    row = OfflineCard(
        tenant_id=order.tenant_id, order_id=order.id, brand=card.brand, last4=card.last4
    )
    row.number = card.number
    row.expiry = card.expiry
    row.cvc = card.cvc
    db.session.add(row)
    db.session.flush()
    return row


def reveal_card(order: Order, *, actor_id: UUID) -> CardDetails:
    """The card's details, once: who and when are recorded; a second reveal is refused."""
    card = card_of(order)
    if card is None:
        raise PaymentError(f"Order {order.number} has no card details stored (any more).")
    changed = db.session.execute(
        sa.update(OfflineCard)
        .where(
            OfflineCard.tenant_id == card.tenant_id,
            OfflineCard.id == card.id,
            OfflineCard.revealed_at.is_(None),
        )
        .values(revealed_at=utcnow(), revealed_by_id=actor_id, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(card)
    if changed != 1:
        raise PaymentError(
            "The card details were already shown once; they cannot be shown again. "
            "Process the payment or decline it."
        )
    month, year = card.expiry.split("/")
    return CardDetails(
        number=card.number, exp_month=int(month), exp_year=2000 + int(year), cvc=card.cvc
    )


def process_card(order: Order, *, actor_id: UUID | None) -> bool:
    """The shop charged the card: the order is paid and the card deleted, in one transaction.

    False when there was nothing left to do (already processed: a second click).
    """
    card = card_of(order)
    if card is None:
        if order.status in (OrderStatus.PAID, OrderStatus.PAID_OUT_OF_STOCK):
            return False
        raise PaymentError(f"Order {order.number} has no card details stored (any more).")
    paid = mark_order_paid(order, actor_id=actor_id, note="Card charged by the shop.")
    if not paid and order.status not in (OrderStatus.PAID, OrderStatus.PAID_OUT_OF_STOCK):
        raise PaymentError(
            f"Order {order.number} is {order.status.value.replace('_', ' ')}: "
            "decline the card instead."
        )
    _delete(card)
    return paid


def decline_card(order: Order, *, actor_id: UUID | None, reason: str) -> bool:
    """The card was refused: the card is deleted and the order cancelled (its stock goes back)."""
    card = card_of(order)
    if card is None and order.status is OrderStatus.CANCELLED:
        return False
    if card is not None:
        _delete(card)
    try:
        return cancel_order(order, actor_id=actor_id, reason=f"Card declined: {reason}")
    except OrderError as refused:
        raise PaymentError(str(refused)) from None


def _delete(card: OfflineCard) -> None:
    db.session.delete(card)
    db.session.flush()


def pending_cards(*, page: int = 1, per_page: int = 25) -> Page:
    """The shop's orders with card details waiting, oldest first (in the shop's context)."""
    query = sa.select(OfflineCard).order_by(OfflineCard.created_at, OfflineCard.id)
    return paginate(query, page=page, per_page=per_page)


def deadline() -> timedelta:
    return timedelta(hours=int(current_app.config.get("OFFLINE_CARD_DEADLINE_HOURS", 72)))


def purge_overdue_cards(*, now: datetime | None = None, batch: int = 200) -> int:
    """Delete cards left unprocessed past the deadline and cancel their orders; how many."""
    cutoff = (now or utcnow()) - deadline()
    with all_tenants("payments: purge offline cards left past their deadline"):
        overdue = list(
            db.session.scalars(
                sa.select(OfflineCard)
                .where(OfflineCard.created_at < cutoff)
                .order_by(OfflineCard.created_at)
                .limit(batch)
            )
        )
    purged = 0
    for card in overdue:
        with tenant_context(card.tenant_id):
            order = db.session.scalar(sa.select(Order).where(Order.id == card.order_id))
            _delete(card)
            if order is not None and order.status is OrderStatus.AWAITING_PAYMENT:
                cancel_order(order, reason="The card was not processed in time.")
            purged += 1
    return purged
