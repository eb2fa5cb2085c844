"""The providers with no outside service: test payments, bank transfer, offline card."""

from __future__ import annotations

from mall.payments.contract import PaymentRequest, PaymentStart
from mall.payments.models import Payment, RefundStatus


class TestProvider:
    """Marks paid at once (the embedded default for ``make run``; never in production)."""

    name = "test"

    def start(self, payment: Payment, request: PaymentRequest) -> PaymentStart:
        # The caller settles the payment (one conditional update) and announces it.
        return PaymentStart(payment, completed=True)

    def refund(self, payment: Payment, amount: int, *, key: str) -> tuple[str | None, str]:
        return None, RefundStatus.SUCCEEDED.value


class ManualProvider:
    """Bank transfer and offline card: the shops confirm payment; refunds are theirs to pay."""

    def __init__(self, name: str) -> None:
        self.name = name

    def start(self, payment: Payment, request: PaymentRequest) -> PaymentStart:
        return PaymentStart(payment, awaiting=True)

    def refund(self, payment: Payment, amount: int, *, key: str) -> tuple[str | None, str]:
        return None, RefundStatus.MANUAL.value
