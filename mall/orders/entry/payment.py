"""Paying an invoice makes one normal order, as a checkout would.

The pay page (or staff marking a bank transfer) places the order: a ``Checkout``
and the shop's ``Order`` built from the invoice's frozen lines (``pricing.frozen_part``:
the agreed prices, discounts and tax are what the order records), stock held as the
checkout holds it, then the provider's payment started. From there the checkout's
own completion (``mall.checkout.completion``) pays the order, posts the ledger
(``order_paid``), and fulfilment and tracking work as for web orders.

Exactly one order per invoice: the conditional UPDATE ``sales_documents SET order_id
= :new WHERE id = :id AND order_id IS NULL`` (and the unique ``(tenant_id, order_id)``)
claims the invoice inside a savepoint; the loser's order, checkout and holds roll back
and it resumes the winner's payment. A second "Pay" resumes that payment too; an
order that lapsed unpaid (cancelled) is let go and a new one placed.

Stock that ran out after the invoice was issued: the customer's payment is not taken
(the pay page says the shop was told, and the shop's owners are emailed); staff who
received the bank transfer still record it: the order is placed owing the missing
stock and paid as "paid — out of stock", as a web order whose stock went elsewhere.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from mall.catalog.models import Variant
from mall.checkout.jobs import send_checkout_confirmation
from mall.checkout.models import Checkout, CheckoutStatus
from mall.checkout.submission import hold_window
from mall.db import utcnow
from mall.extensions import db
from mall.invoices.models import Invoice
from mall.jobs import enqueue_after_commit
from mall.orders.actions import confirm_transfer_by_shop
from mall.orders.bank_transfers import BANK_TRANSFER
from mall.orders.entry.errors import EntryError
from mall.orders.entry.jobs import send_unpayable_email
from mall.orders.entry.lifecycle import OPEN, move
from mall.orders.entry.models import SalesDocument, SalesKind, SalesStatus
from mall.orders.entry.pricing import frozen_part
from mall.orders.entry.services import opened_address
from mall.orders.entry.shortage import hold_what_is_there, record_paid_short
from mall.orders.entry.tokens import pay_link_url
from mall.orders.errors import StockShortage
from mall.orders.models import Order, OrderEvent, OrderStatus
from mall.orders.notifications import notify_shop_of_order
from mall.orders.services import Contact, create_order, get_order, hold_stock
from mall.payments.providers import OFFLINE_CARD
from mall.payments.services import (
    PaymentError,
    PaymentMethod,
    PaymentPart,
    PaymentRequest,
    available_methods,
    resume_url,
    start_payment,
)
from mall.signals import order_paid
from tenants.models import Tenant

PAID_STATUSES = frozenset(
    {
        OrderStatus.PAID,
        OrderStatus.PAID_OUT_OF_STOCK,
        OrderStatus.PARTIALLY_FULFILLED,
        OrderStatus.FULFILLED,
        OrderStatus.DELIVERED,
        OrderStatus.REFUNDED,
    }
)


@dataclass
class PayResult:
    """What the customer sees next: the provider's page, the paid invoice, or how to pay."""

    order: Order | None = None
    redirect_url: str | None = None
    paid: bool = False  # paid now or before
    awaiting: bool = False  # a bank transfer: the page shows the shop's instructions
    pending: bool = False  # a card payment under way (its page closed): wait for it
    out_of_stock: bool = False  # not payable now: the shop was told


class _Claimed(Exception):
    """Another request placed the invoice's order first (rolls our savepoint back)."""


class _Short(Exception):
    """The invoice's stock ran out since it was issued (rolls our savepoint back)."""


def payment_methods(shop: Tenant) -> list[PaymentMethod]:
    """The ways this shop's invoice can be paid online (the offline card needs the checkout)."""
    return [method for method in available_methods([shop.id]) if method.name != OFFLINE_CARD]


def check_payable(document: SalesDocument) -> None:
    """Refuse (EntryError) a document that is not an issued, open invoice."""
    if document.kind is not SalesKind.INVOICE or document.invoice_id is None:
        raise EntryError("Only an issued invoice can be paid.")
    if document.status is SalesStatus.VOID:
        raise EntryError("This invoice is void: it cannot be paid.")
    if document.status is not SalesStatus.PAID and document.status not in OPEN:
        raise EntryError("This invoice cannot be paid now.")


def pay_document(
    document: SalesDocument, *, shop: Tenant, method: str, success_url: str, cancel_url: str
) -> PayResult:
    """Place the invoice's order (once) and start its payment with ``method``.

    A repeat resumes the payment under way (Stripe's page again, the bank instructions)
    or says it is paid. Raises EntryError with a message for the customer.
    """
    check_payable(document)
    if method not in {m.name for m in payment_methods(shop)}:
        raise EntryError("This payment method is not available: choose another one.")
    if document.status is SalesStatus.PAID:
        return PayResult(order=get_order(document.order_id), paid=True)
    order = current_order(document)
    if order is not None:
        return _resume(order)
    try:
        order = _place(document, shop=shop, method=method)
    except _Short:
        db.session.refresh(document)  # our claim rolled back with the savepoint
        enqueue_after_commit(send_unpayable_email, str(document.tenant_id), str(document.id))
        return PayResult(out_of_stock=True)
    except _Claimed:
        db.session.refresh(document)
        found = current_order(document)
        if found is None:
            raise EntryError("The invoice changed meanwhile: please try again.") from None
        return _resume(found)
    return _start(document, order, shop=shop, success_url=success_url, cancel_url=cancel_url)


def current_order(document: SalesDocument) -> Order | None:
    """The order placed for the invoice, or None; an order that lapsed unpaid is let go."""
    if document.order_id is None:
        return None
    order = get_order(document.order_id)
    if order is not None and order.status is not OrderStatus.CANCELLED:
        return order
    # Not paid in time (or cancelled by the shop): the invoice is open for a new payment.
    db.session.execute(
        sa.update(SalesDocument)
        .where(
            SalesDocument.tenant_id == document.tenant_id,
            SalesDocument.id == document.id,
            SalesDocument.order_id == document.order_id,
        )
        .values(order_id=None, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(document)
    return None


def _resume(order: Order) -> PayResult:
    if order.status in PAID_STATUSES:
        return PayResult(order=order, paid=True)
    if order.payment_method == BANK_TRANSFER:
        return PayResult(order=order, awaiting=True)
    url = resume_url(order.checkout_id)
    return PayResult(order=order, redirect_url=url, pending=url is None)


def _variants(document: SalesDocument) -> dict[UUID, Variant]:
    ids = sorted({line.variant_id for line in document.lines})
    rows = db.session.scalars(sa.select(Variant).where(Variant.id.in_(ids))).all()
    return {variant.id: variant for variant in rows}


def _new_checkout(document: SalesDocument, *, method: str, until: Any) -> Checkout:
    shipping = opened_address(document, "shipping")
    checkout = Checkout(
        token_digest=hashlib.sha256(secrets.token_bytes(32)).digest(),
        status=CheckoutStatus.SUBMITTED,
        currency=document.currency,
        payment_method=method,
        total=document.total,
        country=shipping.country if shipping else None,
        submitted_at=utcnow(),
        hold_until=until,
    )
    checkout.email = document.email
    if document.shipping_address_ct:
        checkout.shipping_address_json = document.shipping_address_json
    if document.billing_address_ct:
        checkout.billing_address_json = document.billing_address_json
    db.session.add(checkout)
    db.session.flush()
    return checkout


def _place(document: SalesDocument, *, shop: Tenant, method: str, short_ok: bool = False) -> Order:
    """The order for the invoice, its checkout and stock holds, in one savepoint.

    Raises ``_Short`` when stock is missing, unless ``short_ok`` (staff recording money
    received): then the order owes what is missing (``shortage.hold_what_is_there``).
    """
    variants = _variants(document)
    part = frozen_part(document, variants)
    if part.total != document.total:  # the frozen lines must be what is paid, to the cent
        raise EntryError("This invoice's figures do not add up: ask the shop for a new one.")
    until = utcnow() + hold_window(method)
    shipping = opened_address(document, "shipping")
    contact = Contact(
        email=document.email,
        shipping_address=shipping,
        billing_address=opened_address(document, "billing") or shipping,
    )
    demand: dict[UUID, int] = defaultdict(int)
    for line in document.lines:
        demand[line.variant_id] += line.quantity
    with db.session.begin_nested():
        checkout = _new_checkout(document, method=method, until=until)
        order = create_order(
            part,
            shop=shop,
            checkout_id=checkout.id,
            contact=contact,
            variants=variants,
            payment_method=method,
            currency=document.currency,
        )
        order.entered_by_id = document.entered_by_id
        db.session.flush()
        _placed_from_invoice(order, document)
        if not _claim(document, order):
            raise _Claimed
        if short_ok:
            hold_what_is_there(order, demand, until=until)
        else:
            try:
                hold_stock(order, demand, until=until)
            except StockShortage:
                raise _Short from None
    return order


def _placed_from_invoice(order: Order, document: SalesDocument) -> None:
    """The timeline says the order came from a staff member's invoice, and who entered it."""
    db.session.execute(
        sa.update(OrderEvent)
        .where(
            OrderEvent.tenant_id == order.tenant_id,
            OrderEvent.order_id == order.id,
            OrderEvent.kind == "placed",
        )
        .values(
            actor_id=document.entered_by_id,
            # The member's name is shown from ``actor_id``: no name is copied into the text.
            message=f"Order {order.number} placed from invoice {document.number}, entered by "
            "staff (a phone or mail order).",
        )
        .execution_options(synchronize_session=False)
    )


def _claim(document: SalesDocument, order: Order) -> bool:
    changed = db.session.execute(
        sa.update(SalesDocument)
        .where(
            SalesDocument.tenant_id == document.tenant_id,
            SalesDocument.id == document.id,
            SalesDocument.order_id.is_(None),
            SalesDocument.status.in_(OPEN),
        )
        .values(order_id=order.id, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        return False
    db.session.refresh(document)
    # The invoice already issued is this order's: its own ``order_paid`` issues no other.
    db.session.execute(
        sa.update(Invoice)
        .where(Invoice.tenant_id == document.tenant_id, Invoice.id == document.invoice_id)
        .values(order_id=order.id)
        .execution_options(synchronize_session=False)
    )
    return True


def _request(
    document: SalesDocument, order: Order, *, shop: Tenant, success_url: str, cancel_url: str
) -> PaymentRequest:
    checkout = db.session.get(Checkout, order.checkout_id)
    return PaymentRequest(
        checkout_id=order.checkout_id,
        amount=document.total,
        currency=document.currency,
        parts=[
            PaymentPart(
                shop_name=shop.name,
                lines=[(line.title, line.quantity, line.total) for line in document.lines],
                shipping=order.shipping_amount
                + (0 if order.prices_include_tax else order.shipping_tax),
                discount=document.discount,
                tax=document.tax,
                total=document.total,
            )
        ],
        success_url=success_url,
        cancel_url=cancel_url,
        expires_at=checkout.hold_until,
        attempt=1,
    )


def _start(
    document: SalesDocument,
    order: Order,
    *,
    shop: Tenant,
    success_url: str,
    cancel_url: str,
    announce: bool = True,
) -> PayResult:
    request = _request(document, order, shop=shop, success_url=success_url, cancel_url=cancel_url)
    try:
        started = start_payment(request, method=order.payment_method)
    except PaymentError as error:
        raise EntryError(str(error)) from None
    if started.awaiting:
        _await(order, announce=announce)
        return PayResult(order=order, awaiting=True)
    if started.completed:
        db.session.refresh(order)
        return PayResult(order=order, paid=True)
    return PayResult(order=order, redirect_url=started.redirect_url)


def _await(order: Order, *, announce: bool) -> None:
    db.session.execute(
        sa.update(Checkout)
        .where(Checkout.id == order.checkout_id, Checkout.status == CheckoutStatus.SUBMITTED)
        .values(status=CheckoutStatus.AWAITING, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if announce:  # staff marking the transfer received: the customer is told that instead
        notify_shop_of_order(order)
        enqueue_after_commit(send_checkout_confirmation, str(order.checkout_id))


def mark_paid_by_transfer(document: SalesDocument, *, shop: Tenant, actor_id: UUID) -> bool:
    """Staff record the customer's bank transfer: the order is placed (once) and paid at once.

    False when the invoice was paid before (a second click). Raises EntryError when a
    card payment is under way for it, or the invoice is not open.
    """
    check_payable(document)
    if document.status is SalesStatus.PAID:
        return False
    order = current_order(document)
    if order is None:
        try:
            order = _place(document, shop=shop, method=BANK_TRANSFER, short_ok=True)
        except _Claimed:
            db.session.refresh(document)
            order = current_order(document)
            if order is None:
                raise EntryError("The invoice changed meanwhile: please try again.") from None
        else:
            url = pay_url_for(document)
            _start(document, order, shop=shop, success_url=url, cancel_url=url, announce=False)
    if order.payment_method != BANK_TRANSFER:
        raise EntryError(
            "The customer started paying this invoice by card: its payment is recorded by the "
            "provider."
        )
    changed = confirm_transfer_by_shop(order, actor_id=actor_id)
    if order.status is OrderStatus.PAID_OUT_OF_STOCK:
        record_paid_short(document, order, actor_id=actor_id)
    return changed


def pay_url_for(document: SalesDocument) -> str:
    return pay_link_url(document)


def on_order_paid(order: Order, **_: Any) -> None:
    """An invoice's order was paid: the invoice is paid (once; in the shop's context)."""
    document = db.session.scalar(sa.select(SalesDocument).where(SalesDocument.order_id == order.id))
    if document is None:
        return
    move(
        document,
        OPEN,
        status=SalesStatus.PAID,
        paid_at=order.paid_at or utcnow(),
        paid_method=(order.payment_method or "")[:32],
    )


def connect() -> None:
    """Subscribe (a module-level function: blinker's weak reference stays alive)."""
    order_paid.connect(on_order_paid)
