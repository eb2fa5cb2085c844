"""A shop's private program: the affiliates it invites (by code; by email address in
``invitations.py``), their own rate, removal; and, on the affiliate's side, the invitations
they accept or decline.

Shop-side services run in the shop's context (rows by id through ``get_member``). The
affiliate's list reads across shops, by the affiliate's id only, under ``all_tenants``.
Every change is one conditional step from the states it leaves, so a double click or a
stale page changes nothing the second time (False) and writes no second audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from affiliates.errors import AffiliateError
from affiliates.models import (
    Affiliate,
    AffiliateStatus,
    RateKind,
    ShopAffiliate,
    ShopAffiliateStatus,
)
from affiliates.programs.rates import PRIVATE, Rate, row_rate
from affiliates.programs.terms import _rate_values, _shown_rate, check_rate, get_terms
from mall.accounts.tokens import fingerprint
from mall.db import utcnow
from mall.extensions import db
from mall.pagination import MAX_PER_PAGE, Page
from tenants.audit import record_audit
from tenants.context import all_tenants, current_tenant_id, tenant_context
from tenants.guard import scoped_get
from tenants.keys import reveal
from tenants.keys.masking import mask_email
from tenants.models import Tenant

INVITED, ACTIVE, REMOVED = (
    ShopAffiliateStatus.INVITED,
    ShopAffiliateStatus.ACTIVE,
    ShopAffiliateStatus.REMOVED,
)


@dataclass(frozen=True)
class MemberRow:
    """A private affiliate of the shop, as its list shows it."""

    id: UUID
    code: str  # empty for an invitation by email not accepted yet
    status: ShopAffiliateStatus
    rate: Rate | None
    email: str = ""  # masked: an invitation by email not accepted yet
    send_key: str = ""  # its "Send again" button's key (``invitations.send_key``)


@dataclass(frozen=True)
class Invitation:
    """A shop's private program as the invited affiliate sees it."""

    shop_id: UUID
    id: UUID
    shop_name: str
    status: ShopAffiliateStatus
    rate: Rate | None


def _audit(action: str, row: ShopAffiliate, actor_id: UUID | None, **details: object) -> None:
    record_audit(
        action,
        actor_id=actor_id,
        target_type="shop",
        target_id=row.tenant_id,
        details={"member": str(row.id), **details},
    )


def get_member(member_id: UUID | str | None) -> ShopAffiliate | None:
    """A private-program row of the shop in context by id (None for another shop's)."""
    return scoped_get(ShopAffiliate, member_id)


def private_members(*, page: int = 1, per_page: int = 25) -> Page:
    """The shop's private affiliates by code, then the invitations by email (removed ones
    last); items are ``MemberRow``."""
    statement = (
        sa.select(ShopAffiliate, Affiliate.code)
        .outerjoin(Affiliate, Affiliate.id == ShopAffiliate.affiliate_id)
        .order_by(
            (ShopAffiliate.status == REMOVED),
            ShopAffiliate.affiliate_id.is_(None),
            Affiliate.code,
            ShopAffiliate.invited_at,
            ShopAffiliate.id,
        )
    )
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(statement.order_by(None).subquery())
    )
    page, per_page = max(1, page), max(1, min(per_page, MAX_PER_PAGE))
    rows = db.session.execute(statement.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(
        items=[_member_row(row, code) for row, code in rows],
        page=page,
        per_page=per_page,
        total=total or 0,
    )


def send_key(row: ShopAffiliate) -> str:
    """The "Send again" button's key: it names the sending the page showed, so a replayed
    click (the same key) sends nothing more (``invitations.resend_invitation``)."""
    return fingerprint(row.id.hex, row.invited_at.isoformat())


def _member_row(row: ShopAffiliate, code: str | None) -> MemberRow:
    by_email = row.affiliate_id is None and row.email_ct is not None
    return MemberRow(
        row.id,
        code or "",
        row.status,
        row_rate(PRIVATE, row),
        email=mask_email(reveal(row, "email") or "") if by_email else "",
        send_key=send_key(row) if by_email and row.status is INVITED else "",
    )


def invite_by_code(shop: Tenant, *, code: str, actor_id: UUID | None) -> bool:
    """Invite the approved affiliate with ``code`` into the shop's private program.

    A removed (or declining) affiliate may be invited again; one already invited or
    active changes nothing (False).
    """
    if current_tenant_id() != shop.id:
        raise AffiliateError("Open the shop's own back office to invite affiliates.")
    terms = get_terms()
    if terms is None or not terms.private_program:
        raise AffiliateError("Turn on the private program in your affiliate terms first.")
    typed = (code or "").strip().upper()
    affiliate = db.session.scalar(sa.select(Affiliate).where(Affiliate.code == typed))
    if affiliate is None or affiliate.status is not AffiliateStatus.APPROVED:
        raise AffiliateError("No approved affiliate has that code.")
    row = _row_of(affiliate.id)
    if row is None:
        try:
            with db.session.begin_nested():
                row = ShopAffiliate(
                    tenant_id=shop.id,
                    affiliate_id=affiliate.id,
                    status=INVITED,
                    invited_by_id=actor_id,
                )
                db.session.add(row)
                db.session.flush()
        except IntegrityError:  # the same invitation sent twice at once: the other one made it
            return False
    else:
        reopened = db.session.execute(
            sa.update(ShopAffiliate)
            .where(ShopAffiliate.id == row.id, ShopAffiliate.status == REMOVED)
            .values(status=INVITED, invited_by_id=actor_id, invited_at=utcnow(), joined_at=None)
            .execution_options(synchronize_session=False)
        )
        if reopened.rowcount != 1:
            return False
        db.session.refresh(row)
    _audit("affiliates.private_invited", row, actor_id, code=affiliate.code)
    return True


def _row_of(affiliate_id: UUID) -> ShopAffiliate | None:
    return db.session.scalar(
        sa.select(ShopAffiliate).where(ShopAffiliate.affiliate_id == affiliate_id)
    )


def set_member_rate(
    row: ShopAffiliate,
    *,
    rate_kind: RateKind | None,
    rate_bp: int = 0,
    rate_fixed: int = 0,
    actor_id: UUID | None,
) -> bool:
    """Give a private affiliate a rate of their own (``rate_kind`` None: the shop's rate)."""
    wanted = _rate_values(check_rate(rate_kind, rate_bp, rate_fixed, what="Their rate"))
    before = {name: getattr(row, name) for name in wanted}
    if before == wanted:
        return False
    for name, value in wanted.items():
        setattr(row, name, value)
    db.session.flush()
    _audit(
        "affiliates.private_rate_set",
        row,
        actor_id,
        rate=[_shown_rate(before), _shown_rate(wanted)],
    )
    return True


def _move(row: ShopAffiliate, leaving: tuple[ShopAffiliateStatus, ...], **values: object) -> bool:
    moved = db.session.execute(
        sa.update(ShopAffiliate)
        .where(
            ShopAffiliate.tenant_id == row.tenant_id,
            ShopAffiliate.id == row.id,
            ShopAffiliate.status.in_(leaving),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        return False
    db.session.refresh(row)
    return True


def remove_member(row: ShopAffiliate, *, actor_id: UUID | None) -> bool:
    """Take an affiliate out of the private program (they may be invited again)."""
    if not _move(row, (INVITED, ACTIVE), status=REMOVED):
        return False
    _audit("affiliates.private_removed", row, actor_id)
    return True


# ---------------------------------------------------------------- the affiliate's side


def invitations_of(affiliate: Affiliate) -> list[Invitation]:
    """The private programs ``affiliate`` is invited to or active in, by shop name."""
    with all_tenants("affiliate home: invitations to the affiliate's own private programs"):
        rows = db.session.execute(
            sa.select(ShopAffiliate, Tenant.name)
            .join(Tenant, Tenant.id == ShopAffiliate.tenant_id)
            .where(
                ShopAffiliate.affiliate_id == affiliate.id,
                ShopAffiliate.status.in_((INVITED, ACTIVE)),
            )
            .order_by(sa.func.lower(Tenant.name), ShopAffiliate.tenant_id)
        ).all()
        return [
            Invitation(row.tenant_id, row.id, name, row.status, row_rate(PRIVATE, row))
            for row, name in rows
        ]


def answer_invitation(
    affiliate: Affiliate, *, shop_id: UUID, invitation_id: UUID, accept: bool
) -> bool:
    """Accept (active from now on) or decline ``affiliate``'s invitation; False if answered.

    Another affiliate's invitation, or an unknown one, is refused with AffiliateError; so is
    accepting once the shop turned its private program off (declining still works).
    """
    if accept and affiliate.status is not AffiliateStatus.APPROVED:
        raise AffiliateError("Only an approved affiliate can join a shop's private program.")
    with tenant_context(shop_id):
        row = get_member(invitation_id)
        if row is None or row.affiliate_id != affiliate.id:
            raise AffiliateError("That invitation is not yours, or no longer exists.")
        terms = get_terms()
        if accept and row.status is INVITED and (terms is None or not terms.private_program):
            raise AffiliateError("This shop no longer runs a private program.")
        if accept:
            done = _move(row, (INVITED,), status=ACTIVE, joined_at=utcnow())
        else:
            done = _move(row, (INVITED,), status=REMOVED)
        if done:
            _audit(
                "affiliates.private_accepted" if accept else "affiliates.private_declined",
                row,
                affiliate.user_id,
            )
        return done


def leave_private_programs(affiliate_id: UUID) -> int:
    """Account deletion: the affiliate's invited and active rows in every shop become removed,
    so no shop lists a deleted person as a member; how many. A second run finds none."""
    with all_tenants("account deletion: the affiliate's private-program rows (by affiliate id)"):
        left = db.session.execute(
            sa.update(ShopAffiliate)
            .where(
                ShopAffiliate.affiliate_id == affiliate_id,
                ShopAffiliate.status.in_((INVITED, ACTIVE)),
            )
            .values(status=REMOVED)
            .execution_options(synchronize_session=False)
        )
    return left.rowcount or 0
