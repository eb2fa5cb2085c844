"""What the checkout hands the payments domain and what it gets back (plain values)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from mall.payments.models import Payment


@dataclass(frozen=True)
class PaymentMethod:
    """One way to pay offered at checkout."""

    name: str  # "stripe", "test", "bank_transfer", "offline_card"
    label: str
    description: str = ""
    test_mode: bool = False  # no real money moves: pages say "test mode"


@dataclass(frozen=True)
class PaymentPart:
    """One shop's part of a checkout: its lines as (description, quantity, amount) and totals."""

    shop_name: str
    lines: list[tuple[str, int, int]]
    shipping: int = 0
    discount: int = 0
    tax: int = 0
    total: int = 0


@dataclass(frozen=True)
class PaymentRequest:
    """Everything a provider needs to take a checkout's payment, and nothing personal."""

    checkout_id: UUID
    amount: int
    currency: str
    parts: list[PaymentPart]
    success_url: str
    cancel_url: str
    expires_at: datetime
    attempt: int = 1


@dataclass
class PaymentStart:
    """What happened when a payment started: go to ``redirect_url``, done, or wait."""

    payment: Payment
    redirect_url: str | None = None  # the provider's hosted page (Stripe)
    completed: bool = False  # paid at once (test provider); payment_succeeded was sent
    awaiting: bool = False  # the shops confirm later (bank transfer, offline card)
