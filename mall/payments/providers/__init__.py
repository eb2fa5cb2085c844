"""The payment providers and which of them the platform offers.

``PaymentProvider`` is what a provider does for ``start_payment`` and ``refund``;
Stripe and the test provider are the platform's (the operator enables them),
bank transfer and offline card are the shops' own (each shop enables them).
The test provider is never offered in production, whatever is stored, unless code
allowed it (``PAYMENTS_TEST_PROVIDER_ALLOWED``, set only by ``bench/wsgi_checkout.py``).
"""

from __future__ import annotations

from typing import Protocol

from flask import current_app

from mall.payments.contract import PaymentRequest, PaymentStart
from mall.payments.errors import PaymentError
from mall.payments.models import Payment
from tenants.settings import get_setting, put_setting

STRIPE = "stripe"
TEST = "test"
BANK_TRANSFER = "bank_transfer"
OFFLINE_CARD = "offline_card"
PLATFORM_PROVIDERS = (STRIPE, TEST)
SHOP_PROVIDERS = (BANK_TRANSFER, OFFLINE_CARD)
SETTING_KEY = "payments.providers"  # {"stripe": bool, "test": bool}

# The banner shows the last value this process read or wrote: a page pays no query for it.
BANNER_KEY = "mall.payments.test_mode"


class PaymentProvider(Protocol):
    """A way to take money for a checkout."""

    name: str

    def start(self, payment: Payment, request: PaymentRequest) -> PaymentStart:
        """Start (or find again) the payment; the row exists and is flushed."""
        ...

    def refund(self, payment: Payment, amount: int, *, key: str) -> tuple[str | None, str]:
        """Give back ``amount``: (provider's refund id or None, RefundStatus value)."""
        ...


def is_production() -> bool:
    return current_app.config.get("ENV_NAME") == "production"


def allows_test_payments() -> bool:
    """Test payments may be offered: outside production, or where code allowed them.

    ``PAYMENTS_TEST_PROVIDER_ALLOWED`` is read from no environment variable: only code
    (the bench's ``bench/wsgi_checkout.py``) sets it, so no deployment switches it on.
    """
    allowed = current_app.config.get("PAYMENTS_TEST_PROVIDER_ALLOWED")
    return not is_production() if allowed is None else bool(allowed)


def stripe_configured() -> bool:
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def stored_choice() -> dict[str, bool]:
    """The operator's choice as stored (one query); defaults: Stripe on, test on."""
    stored = get_setting(SETTING_KEY) or {}
    choice = {name: bool(stored.get(name, True)) for name in PLATFORM_PROVIDERS}
    current_app.extensions[BANNER_KEY] = choice[TEST]
    return choice


def enabled_platform_providers(choice: dict[str, bool] | None = None) -> list[str]:
    """The platform providers offered now: chosen, configured, and test never in production."""
    choice = stored_choice() if choice is None else choice
    enabled = []
    if choice.get(STRIPE) and stripe_configured():
        enabled.append(STRIPE)
    if choice.get(TEST) and allows_test_payments():
        enabled.append(TEST)
    return enabled


def set_platform_providers(*, stripe: bool, test: bool) -> None:
    """Store the operator's choice; refuses the test provider in production."""
    if test and not allows_test_payments():
        raise PaymentError("Test payments cannot be enabled in production: no money would move.")
    if stripe and not stripe_configured():
        raise PaymentError("Stripe is not configured: set STRIPE_SECRET_KEY first.")
    put_setting(SETTING_KEY, {STRIPE: stripe, TEST: test})
    current_app.extensions[BANNER_KEY] = test


def payments_test_mode() -> bool:
    """True when test payments are on (the layout shows a "test mode" banner); never in production.

    It costs a page no query: the value is the one this process last read or wrote
    (every checkout and the console page read the setting); until then, on, the
    default, so a development deployment warns rather than stays silent.
    """
    if not allows_test_payments():
        return False
    return bool(current_app.extensions.get(BANNER_KEY, True))


def forget_banner() -> None:
    """Drop this process's copy (tests)."""
    current_app.extensions.pop(BANNER_KEY, None)
