"""How many packs of a PO line a bill may bill, and the moves of ``quantity_billed``.

The limit follows the vendor's billing policy: ``received`` (the default) bills what
arrived, ``ordered`` what was ordered and not closed short. ``quantity_billed`` moves
when a bill opens (a draft reserves nothing), by a conditional UPDATE that holds the
limit in its WHERE, so two bills opened at once cannot both take the last packs;
an override (a typed reason on the bill) lifts the limit. Voids and credit notes give
packs back by the opposite UPDATE, never below zero.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

import sqlalchemy as sa

from mall.extensions import db
from vendors.errors import PurchasingError
from vendors.models import BillingPolicy, PurchaseOrderLine


def limit_of(line: PurchaseOrderLine, policy: BillingPolicy) -> int:
    """The most packs of ``line`` that may be billed in all under ``policy``."""
    if policy is BillingPolicy.ORDERED:
        return max(0, line.quantity_ordered - line.quantity_closed)
    return line.quantity_received


def billable(line: PurchaseOrderLine, policy: BillingPolicy) -> int:
    """Packs of ``line`` not billed yet, within the policy's limit."""
    return max(0, limit_of(line, policy) - line.quantity_billed)


def _limit_sql(policy: BillingPolicy) -> sa.ColumnElement[int]:
    if policy is BillingPolicy.ORDERED:
        return PurchaseOrderLine.quantity_ordered - PurchaseOrderLine.quantity_closed
    return PurchaseOrderLine.quantity_received


def take(line: PurchaseOrderLine, packs: int, *, policy: BillingPolicy, override: bool) -> None:
    """Add ``packs`` to the line's billed packs; PurchasingError past the limit (no override)."""
    query = (
        sa.update(PurchaseOrderLine)
        .where(PurchaseOrderLine.tenant_id == line.tenant_id, PurchaseOrderLine.id == line.id)
        .values(quantity_billed=PurchaseOrderLine.quantity_billed + packs)
        .execution_options(synchronize_session=False)
    )
    if not override:
        query = query.where(PurchaseOrderLine.quantity_billed + packs <= _limit_sql(policy))
    if db.session.execute(query).rowcount != 1:
        db.session.refresh(line)
        raise PurchasingError(
            f"{line.description}: only {billable(line, policy)} more packs may be billed "
            f"({policy_words(policy)}); type an override reason to bill more."
        )
    db.session.expire(line, ["quantity_billed"])


def give_back(pairs: Iterable[tuple[UUID, UUID, int]]) -> None:
    """Take packs off billed quantities: ``(tenant_id, po_line_id, packs)`` each, never below 0."""
    for tenant_id, po_line_id, packs in pairs:
        if packs <= 0:
            continue
        db.session.execute(
            sa.update(PurchaseOrderLine)
            .where(
                PurchaseOrderLine.tenant_id == tenant_id,
                PurchaseOrderLine.id == po_line_id,
            )
            .values(
                quantity_billed=sa.case(
                    (
                        PurchaseOrderLine.quantity_billed >= packs,
                        PurchaseOrderLine.quantity_billed - packs,
                    ),
                    else_=0,
                )
            )
            .execution_options(synchronize_session=False)
        )
        found = db.session.identity_map.get(
            db.session.identity_key(PurchaseOrderLine, (tenant_id, po_line_id))
        )
        if found is not None:
            db.session.expire(found, ["quantity_billed"])


def policy_words(policy: BillingPolicy) -> str:
    """The policy as a page says it."""
    if policy is BillingPolicy.ORDERED:
        return "billed up to what was ordered"
    return "billed up to what was received"
