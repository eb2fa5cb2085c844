"""Evidence for disputes: the shop's side (its shares, its evidence) and the operator's (the
list, each shop's evidence sent on to Stripe once).

A shop writes evidence for its share of a dispute (``DisputeShare``, tenant-scoped)
and may change it until the platform sends it on. The operator sees that each
shop gave evidence, not what it says (it may name the customer), and sends all
of it to Stripe in one update that submits it (``evidence[uncategorized_text]``,
idempotency key per dispute); after that nothing changes.
"""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa
import stripe
from flask import current_app

from mall.db import utcnow
from mall.extensions import db
from mall.ledger.disputes import OPEN, shares_of
from mall.ledger.errors import LedgerError
from mall.ledger.models import Dispute, DisputeShare, DisputeStatus
from mall.orders.services import record_event
from mall.pagination import Page, paginate
from mall.payments.errors import PaymentError
from mall.payments.providers.stripe import client as stripe_client
from tenants.audit import record_audit
from tenants.models import Tenant

MAX_EVIDENCE = 5_000  # per shop; Stripe takes 20,000 characters of text in all


# ---------------------------------------------------------------- the shop's side


def shop_disputes(*, page: int = 1, per_page: int = 25) -> Page:
    """The shop's dispute shares, newest first, with their disputes and orders (two queries)."""
    statement = sa.select(DisputeShare).order_by(
        DisputeShare.created_at.desc(), DisputeShare.id.desc()
    )
    return paginate(statement, page=page, per_page=per_page)


def submit_evidence(share: DisputeShare, text: str, *, actor_id: UUID | None) -> bool:
    """Store the shop's evidence for its share (it may change it until it is sent); changed?

    Raises LedgerError when the dispute is decided or its evidence was already sent.
    """
    text = (text or "").strip()
    if not text:
        raise LedgerError("Write your evidence: what was sold, delivered, and agreed.")
    if len(text) > MAX_EVIDENCE:
        raise LedgerError(f"Use at most {MAX_EVIDENCE:,} characters.")
    dispute = share.dispute
    if dispute.status not in OPEN:
        raise LedgerError("This dispute is decided: evidence is no longer accepted.")
    if dispute.evidence_sent_at is not None:
        raise LedgerError("The evidence was already sent to the card network: it cannot change.")
    if share.evidence == text:
        return False
    share.evidence = text
    share.evidence_submitted_at = utcnow()
    db.session.flush()
    record_event(share.order, "dispute_evidence", "Evidence for the dispute sent to the platform.")
    return True


# ---------------------------------------------------------------- the operator's side


def dispute_list(*, open_only: bool = False, page: int = 1, per_page: int = 25) -> Page:
    """Disputes, newest first (every shop's: platform rows, no personal data)."""
    statement = sa.select(Dispute).order_by(Dispute.created_at.desc(), Dispute.id.desc())
    if open_only:
        statement = statement.where(Dispute.status.in_(OPEN))
    return paginate(statement, page=page, per_page=per_page)


def shop_names(shares: list[DisputeShare]) -> dict[UUID, str]:
    """The names of the shares' shops (one query)."""
    ids = {share.tenant_id for share in shares}
    if not ids:
        return {}
    rows = db.session.execute(sa.select(Tenant.id, Tenant.name).where(Tenant.id.in_(ids)))
    return {shop_id: name for shop_id, name in rows}


def evidence_text(shares: list[DisputeShare]) -> str:
    """The shops' evidence as one text for the card network, each under its order number."""
    parts = [
        f"Order {share.order.number}:\n{share.evidence.strip()}"
        for share in shares
        if share.evidence.strip()
    ]
    return "\n\n".join(parts)[:20_000]


def send_evidence(dispute: Dispute, *, actor_id: UUID | None, ip_address: str | None) -> bool:
    """Send the shops' evidence to Stripe and submit it, once; False when it was sent before.

    Raises LedgerError when the dispute is decided, no shop wrote evidence, or Stripe refuses.
    """
    if dispute.evidence_sent_at is not None:
        return False
    if dispute.status not in OPEN:
        raise LedgerError("This dispute is decided: there is nothing to send.")
    shares = shares_of(dispute)
    text = evidence_text(shares)
    if not text:
        raise LedgerError("No shop has sent evidence yet.")
    claimed = db.session.execute(
        sa.update(Dispute)
        .where(Dispute.id == dispute.id, Dispute.evidence_sent_at.is_(None))
        .values(evidence_sent_at=utcnow(), status=DisputeStatus.UNDER_REVIEW)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        return False
    try:
        stripe_client().v1.disputes.update(
            dispute.provider_ref,
            params={"evidence": {"uncategorized_text": text}, "submit": True},
            options={"idempotency_key": f"mall-dispute-{dispute.id.hex}-evidence"},
        )
    except (stripe.StripeError, PaymentError) as refused:
        code = getattr(refused, "code", None) or type(refused).__name__
        current_app.logger.warning("stripe dispute evidence %s: %s", dispute.id, code)
        raise LedgerError("Stripe did not accept the evidence: try again in a minute.") from None
    db.session.refresh(dispute)
    record_audit(
        "dispute.evidence_sent",
        actor_id=actor_id,
        ip_address=ip_address,
        target_type="dispute",
        target_id=dispute.id,
        details={"shops_with_evidence": sum(1 for share in shares if share.evidence.strip())},
    )
    return True
