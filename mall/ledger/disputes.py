"""Disputes per shop: a chargeback on a checkout split onto the shop orders it covers.

Stripe reports a dispute on the checkout's one payment (``charge.dispute.*``,
announced by ``mall.payments.webhooks`` as ``payment_dispute_updated`` and
``payment_dispute_closed``). The ledger then, once per dispute (its provider id
is unique) and whatever the order the events arrive in:

- opens it: the amount D is split onto the checkout's paid orders pro rata of
  what is left on each (``money.allocate``); each share s is frozen
  (``Cr processor D, Dr disputes_outstanding D``; per share ``Dr shop_available``
  (``shop_pending`` before release) ``s, Cr shop_disputed s``) and each shop is
  emailed (a job with ids only) for evidence before Stripe's deadline;
- keeps its status and deadline up to date;
- closes it: won, each share goes back to the shop (``Dr processor s, Cr
  disputes_outstanding s``; ``Dr shop_disputed s, Cr shop_available s``); lost,
  the shop bears its share (``Dr shop_disputed s, Cr disputes_outstanding s``).
  Won in part (the closing event's ``amount`` below the amount disputed, or a
  reinstatement of less: ``dispute_funds``), what came back R is split over the
  shares as D was (``money.allocate``): each share's part of R is won, the rest lost.
  The platform's commission on a lost sale is not returned: the sale happened,
  the chargeback is the shop's loss like a refund it did not give back.

An inquiry (Stripe's ``warning_*`` statuses) moves no money and is not opened;
it is opened if it turns into a dispute. Every posting is keyed per dispute and
order, so a replayed event posts nothing twice. Stripe's dispute fee, and what a
won dispute really returned, come from its balance transactions: ``dispute_funds``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from mall.console.services import shop_owners
from mall.db import utcnow
from mall.extensions import db
from mall.jobs import enqueue_after_commit, job
from mall.ledger.models import Account, Dispute, DisputeShare, DisputeStatus, EntryKind
from mall.ledger.posting import credit, debit, post
from mall.ledger.sales import MANUAL_METHODS, shop_account
from mall.mail import deliver, render_message
from mall.money import allocate, format_money
from mall.orders.models import Order, PaymentStatus
from mall.orders.services import get_order, orders_of_checkout, record_event
from mall.payments.models import Payment
from mall.signals import dispute_lost, payment_dispute_closed, payment_dispute_updated
from mall.urls import external_url
from tenants.context import all_tenants, tenant_context
from tenants.guard import scoped_get
from tenants.models import Tenant

OPEN = (DisputeStatus.NEEDS_RESPONSE, DisputeStatus.UNDER_REVIEW)
STATUSES = {status.value: status for status in DisputeStatus}
CAPTURED = (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)
STATUS_LABELS = {
    DisputeStatus.NEEDS_RESPONSE: "Needs evidence",
    DisputeStatus.UNDER_REVIEW: "Under review",
    DisputeStatus.WON: "Won",
    DisputeStatus.LOST: "Lost",
}


@dataclass(frozen=True)
class DisputeFacts:
    """A dispute as the provider reported it (plain values)."""

    provider_ref: str
    checkout_id: UUID
    payment_id: UUID
    amount: int
    status: str
    reason: str = ""
    evidence_due_by: datetime | None = None

    @classmethod
    def of(cls, payment: Payment, **kw: Any) -> DisputeFacts:
        due_by = kw.get("evidence_due_by")
        return cls(
            provider_ref=str(kw["provider_ref"]),
            checkout_id=kw["checkout_id"],
            payment_id=payment.id,
            amount=int(kw.get("amount") or 0),
            status=str(kw.get("status") or ""),
            reason=str(kw.get("reason") or "")[:64],
            evidence_due_by=datetime.fromtimestamp(due_by, UTC) if due_by else None,
        )

    @property
    def inquiry(self) -> bool:
        """An inquiry ("warning_…"): the card network asks, no money was taken."""
        return self.status.startswith("warning_")


# ---------------------------------------------------------------- the provider's events


def on_dispute_updated(payment: Payment, **facts: Any) -> None:
    """A dispute opened or changed: opened once, its status and deadline kept."""
    found = DisputeFacts.of(payment, **facts)
    if found.inquiry or found.amount <= 0:
        return
    dispute = open_dispute(found)
    note_progress(dispute, found)


def on_dispute_closed(payment: Payment, **facts: Any) -> None:
    """A dispute decided: the shops are paid again (won: what Stripe's ``amount`` says now, at
    most what was frozen) or bear their shares (lost), once."""
    found = DisputeFacts.of(payment, **facts)
    if found.status not in ("won", "lost") or found.amount <= 0:
        return
    dispute = open_dispute(found)  # the closing event may be the first one to arrive
    won = found.status == "won"
    close_dispute(dispute, won=won, returned=min(found.amount, dispute.amount) if won else 0)


def connect() -> None:
    """Subscribe to the payments' dispute signals."""
    payment_dispute_updated.connect(on_dispute_updated)
    payment_dispute_closed.connect(on_dispute_closed)


# ---------------------------------------------------------------- opening


def find_dispute(provider_ref: str) -> Dispute | None:
    """The dispute recorded for the provider's id, if any."""
    return db.session.scalar(sa.select(Dispute).where(Dispute.provider_ref == provider_ref))


def get_dispute(dispute_id: UUID | str | None) -> Dispute | None:
    """A dispute by id (a platform row: the operator's pages)."""
    try:
        return db.session.get(Dispute, UUID(str(dispute_id)))
    except ValueError:
        return None


def open_dispute(facts: DisputeFacts) -> Dispute:
    """Record the dispute once per provider id and freeze each paid order's share of it."""
    existing = find_dispute(facts.provider_ref)
    if existing is not None:
        return existing
    dispute = Dispute(
        provider_ref=facts.provider_ref,
        checkout_id=facts.checkout_id,
        payment_id=facts.payment_id,
        amount=facts.amount,
        reason=facts.reason,
        evidence_due_by=facts.evidence_due_by,
    )
    try:
        with db.session.begin_nested():
            db.session.add(dispute)
            db.session.flush()
    except IntegrityError:  # recorded meanwhile by another delivery of the event
        again = find_dispute(facts.provider_ref)
        if again is None:
            raise
        return again
    orders = disputed_orders(facts.checkout_id)
    if not orders:
        current_app.logger.warning("dispute %s on a checkout with no paid order", dispute.id)
        return dispute
    weights = [max(order.total - order.refunded_amount, 0) for order in orders]
    for order, amount in zip(orders, allocate(facts.amount, weights), strict=True):
        if amount:
            freeze_share(dispute, order, amount)
    return dispute


def disputed_orders(checkout_id: UUID) -> list[Order]:
    """The checkout's orders the processor was paid for (the ones a chargeback takes from)."""
    return [
        order
        for order in orders_of_checkout(checkout_id)
        if order.payment_status in CAPTURED and order.payment_method not in MANUAL_METHODS
    ]


def _money(order: Order, amount: int) -> str:
    return format_money(amount, code=order.currency)


def freeze_share(dispute: Dispute, order: Order, amount: int) -> DisputeShare:
    """The order's share: recorded, frozen in the ledger, on the order's timeline; shop emailed."""
    with tenant_context(order.tenant_id):
        share = DisputeShare(
            tenant_id=order.tenant_id, dispute_id=dispute.id, order_id=order.id, amount=amount
        )
        db.session.add(share)
        db.session.flush()
        mine = {"shop_id": order.tenant_id, "order_id": order.id, "kind": "dispute"}
        post(
            EntryKind.DISPUTE,
            [
                credit(Account.PROCESSOR, amount, order_id=order.id, kind="dispute"),
                debit(Account.DISPUTES, amount, order_id=order.id, kind="dispute"),
                debit(shop_account(order), amount, **mine),
                credit(Account.SHOP_DISPUTED, amount, **mine),
            ],
            key=f"dispute:{dispute.provider_ref}:{order.id}",
            ref_type="dispute",
            ref_id=dispute.id,
            shop_id=order.tenant_id,
            memo=f"{order.number}: dispute opened, {_money(order, amount)} frozen",
        )
        record_event(
            order,
            "disputed",
            f"The customer disputed the payment: {_money(order, amount)} of this order is "
            "frozen until the dispute is decided. Send your evidence on the Disputes page.",
        )
        enqueue_after_commit(send_dispute_email, str(share.id))
    return share


def note_progress(dispute: Dispute, facts: DisputeFacts) -> None:
    """Keep the open dispute's reason, deadline and status as the provider reports them."""
    if dispute.status not in OPEN:
        return
    status = STATUSES.get(facts.status)
    if status in OPEN:
        dispute.status = status
    if facts.reason:
        dispute.reason = facts.reason
    if facts.evidence_due_by is not None:
        dispute.evidence_due_by = facts.evidence_due_by
    db.session.flush()


# ---------------------------------------------------------------- closing


def close_dispute(dispute: Dispute, *, won: bool, returned: int | None = None) -> bool:
    """Won: the shares back to their shops (``returned``, default all of it, split as the
    dispute was; the rest is lost). Lost: the shops bear their shares. Once: False after."""
    status = DisputeStatus.WON if won else DisputeStatus.LOST
    changed = db.session.execute(
        sa.update(Dispute)
        .where(Dispute.id == dispute.id, Dispute.status.in_(OPEN))
        .values(status=status, closed_at=utcnow(), updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(dispute)
    if changed != 1:
        return False
    shares = shares_of(dispute)
    back = dispute.amount if returned is None else max(0, min(returned, dispute.amount))
    parts = split_over(shares, back if won else 0)
    for share, part in zip(shares, parts, strict=True):
        with tenant_context(share.tenant_id):
            _settle_share(dispute, share, returned=part)
    return True


def split_over(shares: list[DisputeShare], amount: int) -> list[int]:
    """``amount`` split over the dispute's shares in proportion to them (parts sum to it)."""
    return allocate(amount, [share.amount for share in shares]) if shares else []


def _settle_share(dispute: Dispute, share: DisputeShare, *, returned: int) -> None:
    """Post the share's outcome: ``returned`` of it won back (0 when lost), the rest lost."""
    order, amount = share.order, share.amount
    kept = amount - returned
    mine = {"shop_id": share.tenant_id, "order_id": share.order_id}
    ours = {"order_id": share.order_id}
    if not kept:
        told = f"Dispute won: {_money(order, returned)} is paid to the shop again."
    elif returned:
        told = (
            f"Dispute won in part: {_money(order, returned)} is paid to the shop again, "
            f"the card network kept {_money(order, kept)}."
        )
    else:
        told = f"Dispute lost: the card network took back {_money(order, kept)}."
    outcomes = {
        EntryKind.DISPUTE_WON: [
            debit(Account.PROCESSOR, returned, kind="dispute_won", **ours),
            credit(Account.DISPUTES, returned, kind="dispute_won", **ours),
            debit(Account.SHOP_DISPUTED, returned, kind="dispute_won", **mine),
            credit(Account.SHOP_AVAILABLE, returned, kind="dispute_won", **mine),
        ],
        EntryKind.DISPUTE_LOST: [
            debit(Account.SHOP_DISPUTED, kept, kind="dispute_lost", **mine),
            credit(Account.DISPUTES, kept, kind="dispute_lost", **ours),
        ],
    }
    for kind, lines in outcomes.items():  # an outcome of nothing posts nothing
        post(
            kind,
            lines,
            key=f"{kind}:{dispute.provider_ref}:{share.order_id}",
            ref_type="dispute",
            ref_id=dispute.id,
            shop_id=share.tenant_id,
            memo=f"{order.number}: {told}",
        )
    share.status = dispute.status
    db.session.flush()
    record_event(order, f"dispute_{dispute.status.value}", told)
    if kept:  # close_dispute runs once per dispute, so this is sent once per share
        dispute_lost.send(order, dispute_id=dispute.id, amount=kept, disputed=amount)


def shares_of(dispute: Dispute) -> list[DisputeShare]:
    """The dispute's shares in every shop, with their orders (the console; closing)."""
    with all_tenants("ledger: the shares of one dispute, one per shop order of its checkout"):
        return list(
            db.session.scalars(
                sa.select(DisputeShare)
                .where(DisputeShare.dispute_id == dispute.id)
                .order_by(DisputeShare.created_at, DisputeShare.id)
                .execution_options(populate_existing=True)
            ).unique()
        )


def get_share(share_id: UUID | str | None) -> DisputeShare | None:
    """The dispute share of the shop in context with this id, or None (another shop's: None)."""
    return scoped_get(DisputeShare, share_id)


# ---------------------------------------------------------------- the email


@job(queue="mail")
def send_dispute_email(share_id: str) -> None:
    """Ask the shop's owners for evidence, with Stripe's deadline (run in the shop's context)."""
    share = get_share(share_id)
    if share is None:
        return
    shop = db.session.get(Tenant, share.tenant_id)
    order = get_order(share.order_id)
    if shop is None or order is None:
        return
    dispute = share.dispute
    subject = f"Dispute on order {order.number}: evidence needed"
    context = {
        "shop_name": shop.name,
        "number": order.number,
        "amount": _money(order, share.amount),
        "reason": dispute.reason.replace("_", " "),
        "due_by": dispute.evidence_due_by,
        "share_url": external_url("disputes_admin.dispute", shop=shop.slug, share_id=share.id),
    }
    messages = [
        render_message("ledger/email/dispute_opened", to=owner.email, subject=subject, **context)
        for owner in shop_owners(shop)
    ]
    for message in messages:
        deliver(message)
