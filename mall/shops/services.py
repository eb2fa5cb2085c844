"""Member shops: registration, settings, staff and invitations (logos: ``mall.shops.logos``).

Services flush, never commit; a request that cannot be carried out raises a
``ShopError`` (or a subclass) whose message is shown to the user as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from mall.accounts.models import User
from mall.accounts.services import find_user_by_email, register
from mall.accounts.tokens import TokenInvalid, make_token, read_token
from mall.db import utcnow
from mall.extensions import db
from mall.jobs import enqueue_after_commit
from mall.pagination import Page
from mall.shops import jobs
from mall.shops.logos import process_logo, store_logo
from mall.shops.models import Invitation, InvitationStatus, Membership, Role
from mall.shops.permissions import membership_of, memberships_of
from mall.shops.retention import set_retention_years
from mall.signals import shop_renamed
from tenants.context import tenant_context
from tenants.guard import scoped_get
from tenants.keys import tenant_scope
from tenants.models import Tenant, TenantStatus
from tenants.services import ShopError, create_shop, validate_slug
from tenants.settings import get_setting

AUTO_APPROVE_KEY = "auto_approve_shops"
INVITATION_DAYS = 7
INVITATION_SALT = "mall.shops.invitation"
# The row's expires_at is what counts; the signature only needs to outlive it.
INVITATION_TOKEN_MAX_AGE = (INVITATION_DAYS + 1) * 24 * 3600
INVITABLE_ROLES = (Role.MANAGER, Role.STAFF, Role.SALES_REP)
ROLE_LABELS = {
    Role.OWNER: "owner",
    Role.MANAGER: "manager",
    Role.STAFF: "staff",
    Role.SALES_REP: "sales rep",
}
LAST_OWNER = "A shop needs at least one owner: make someone else an owner first."


class StaffError(ShopError):
    """A staff change that cannot be made (last owner, already a member…)."""


class InvitationInvalid(ShopError):
    """An invitation link that cannot be used: broken, expired, revoked or for someone else."""


# ---------------------------------------------------------------- shops


def auto_approve_enabled() -> bool:
    """True when the operator lets new shops open without review."""
    value = get_setting(AUTO_APPROVE_KEY, False)
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return value is True or value == 1


def register_shop(
    owner: User,
    *,
    name: str,
    slug: str,
    description: str = "",
    contact_email: str | None = None,
    logo: bytes | None = None,
) -> Tenant:
    """Create a shop owned by ``owner`` (pending unless auto-approved) and send a welcome email."""
    slug = validate_slug(slug)
    png = process_logo(logo) if logo else None  # refuse a bad logo before creating anything
    status = TenantStatus.ACTIVE if auto_approve_enabled() else TenantStatus.PENDING
    try:
        # A savepoint, so that losing a race for the slug leaves the session usable.
        with db.session.begin_nested():
            shop = create_shop(slug, name=name, description=description, status=status)
    except IntegrityError:
        raise ShopError(f"The shop address “{slug}” is taken.") from None
    shop.contact_email = (contact_email or "").strip() or None
    if png is not None:
        shop.logo_path = store_logo(shop, png)
    db.session.add(Membership(user_id=owner.id, tenant_id=shop.id, role=Role.OWNER))
    db.session.flush()
    enqueue_after_commit(jobs.send_welcome_email, shop.id, owner.id)
    return shop


def update_settings(
    shop: Tenant,
    *,
    name: str,
    description: str,
    policies: str,
    contact_email: str | None,
    logo: bytes | None = None,
    remove_logo: bool = False,
    retention_years: int | None = None,
) -> Tenant:
    """Change a shop's details (``retention_years``: its retention period, None: as it is); a
    replaced logo file goes once the change is committed."""
    png = process_logo(logo) if logo else None
    if retention_years is not None:
        set_retention_years(shop, years=retention_years)
    renamed = shop.name != name.strip()
    shop.name = name.strip()
    shop.description = (description or "").strip()
    shop.policies = (policies or "").strip()
    shop.contact_email = (contact_email or "").strip() or None
    old_logo = shop.logo_path
    if png is not None:
        shop.logo_path = store_logo(shop, png)
    elif remove_logo:
        shop.logo_path = None
    db.session.flush()
    if old_logo and old_logo != shop.logo_path:
        enqueue_after_commit(jobs.delete_logo, shop.id, old_logo)
    if renamed:
        shop_renamed.send(shop)
    return shop


def my_shops(user_id: UUID) -> list[Membership]:
    """The user's memberships with their shops (one query), by shop name."""
    return memberships_of(user_id)


# ---------------------------------------------------------------- staff


def role_label(role: Role) -> str:
    """How a role reads in pages and emails."""
    return ROLE_LABELS[Role(role)]


def staff_page(shop: Tenant, *, page: int = 1, per_page: int = 25) -> Page:
    """One page of the shop's members, users loaded with them (no query per row)."""
    page = max(1, page)
    condition = Membership.tenant_id == shop.id
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Membership).where(condition))
    items = db.session.scalars(
        sa.select(Membership)
        .where(condition)
        .options(joinedload(Membership.user))
        .order_by(Membership.created_at, Membership.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(items=list(items), page=page, per_page=per_page, total=total or 0)


def pending_invitations(shop: Tenant, *, limit: int = 100) -> list[Invitation]:
    """The shop's pending invitations, newest first (call in the shop's context)."""
    return list(
        db.session.scalars(
            sa.select(Invitation)
            .where(Invitation.tenant_id == shop.id, Invitation.status == InvitationStatus.PENDING)
            .order_by(Invitation.created_at.desc(), Invitation.id.desc())
            .limit(limit)
        )
    )


def get_membership(shop: Tenant, membership_id: UUID) -> Membership | None:
    """A membership of this shop by id; None for another shop's (a platform table: filter here)."""
    return db.session.scalar(
        sa.select(Membership).where(Membership.id == membership_id, Membership.tenant_id == shop.id)
    )


def get_invitation(invitation_id: UUID) -> Invitation | None:
    """An invitation of the shop in context by id; None for another shop's."""
    return scoped_get(Invitation, invitation_id)


def invite(shop: Tenant, inviter: User, *, email: str, role: Role | str) -> Invitation:
    """Invite an address to the staff; a pending address is emailed again, not invited twice."""
    role = Role(role)
    if role not in INVITABLE_ROLES:
        raise StaffError("Invite people as manager, staff or sales rep; owners are made later.")
    email = email.strip()
    user = find_user_by_email(email)
    if user is not None and membership_of(user.id, shop.id) is not None:
        raise StaffError("This person is already a member of the shop.")
    invitation = _pending_invitation(shop, email)
    if invitation is None:
        invitation = Invitation(tenant_id=shop.id, role=role, invited_by_id=inviter.id)
        invitation.expires_at = utcnow() + timedelta(days=INVITATION_DAYS)
        invitation.email = email
        try:
            with db.session.begin_nested():  # a double click loses on the unique index
                db.session.add(invitation)
        except IntegrityError:
            invitation = _pending_invitation(shop, email)
            if invitation is None:
                raise
    invitation.role = role
    invitation.invited_by_id = inviter.id
    invitation.expires_at = utcnow() + timedelta(days=INVITATION_DAYS)
    db.session.flush()
    enqueue_after_commit(jobs.send_staff_invitation, shop.id, invitation.id)
    return invitation


def _pending_invitation(shop: Tenant, email: str) -> Invitation | None:
    index = Invitation.email.lookup(email, scope=tenant_scope(shop.id))
    return db.session.scalar(
        sa.select(Invitation).where(
            Invitation.tenant_id == shop.id,
            Invitation.email_index == index,
            Invitation.status == InvitationStatus.PENDING,
        )
    )


def revoke_invitation(invitation: Invitation) -> Invitation:
    """Withdraw a pending invitation (revoking twice changes nothing)."""
    if invitation.status is InvitationStatus.ACCEPTED:
        raise StaffError("This invitation was already accepted; remove the member instead.")
    invitation.status = InvitationStatus.REVOKED
    db.session.flush()
    return invitation


def _owner_count(shop: Tenant) -> int:
    # Lock the owners' rows (PostgreSQL) so two owners cannot demote each other at once.
    ids = db.session.scalars(
        sa.select(Membership.id)
        .where(Membership.tenant_id == shop.id, Membership.role == Role.OWNER)
        .with_for_update()
    ).all()
    return len(ids)


def change_role(shop: Tenant, membership: Membership, role: Role | str) -> Membership:
    """Give a member another role; the last owner stays an owner."""
    role = Role(role)
    if membership.role is Role.OWNER and role is not Role.OWNER and _owner_count(shop) <= 1:
        raise StaffError(LAST_OWNER)
    membership.role = role
    db.session.flush()
    return membership


def removal_refused(shop: Tenant, membership: Membership) -> str | None:
    """Why the member cannot be removed (the last owner), or None; for the confirmation page."""
    if membership.role is not Role.OWNER:
        return None
    owners = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Membership)
        .where(Membership.tenant_id == shop.id, Membership.role == Role.OWNER)
    )
    return LAST_OWNER if (owners or 0) <= 1 else None


def remove_member(shop: Tenant, membership: Membership) -> None:
    """Remove a member from the shop; the last owner cannot be removed."""
    if membership.role is Role.OWNER and _owner_count(shop) <= 1:
        raise StaffError(LAST_OWNER)
    db.session.delete(membership)
    db.session.flush()


# ---------------------------------------------------------------- invitation links


def invitation_token(invitation: Invitation) -> str:
    """The signed link token: the shop's id and the invitation's id, nothing else."""
    return make_token(INVITATION_SALT, {"t": str(invitation.tenant_id), "i": str(invitation.id)})


@dataclass(frozen=True)
class InvitationPreview:
    """What the acceptance page shows."""

    shop: Tenant
    role: Role
    accepted: bool


@dataclass(frozen=True)
class InvitationLanding:
    """What a signed-out holder of an invitation link sees: who invited which address, as what.

    The link was sent to ``email``, so showing it in full to its holder tells nothing new.
    """

    shop: Tenant
    role: Role
    email: str
    has_account: bool


def preview_invitation(token: str, user: User) -> InvitationPreview:
    """Check that ``user`` may accept the invitation; raise InvitationInvalid saying why not."""
    shop, invitation_id = _read_token(token)
    with tenant_context(shop):
        invitation = _usable_invitation(shop, invitation_id, user)
        return InvitationPreview(
            shop=shop,
            role=invitation.role,
            accepted=invitation.status is InvitationStatus.ACCEPTED,
        )


def invitation_landing(token: str) -> InvitationLanding:
    """A pending invitation as its signed-out link holder sees it; InvitationInvalid if unusable."""
    shop, invitation_id = _read_token(token)
    with tenant_context(shop):
        invitation = _open_invitation(invitation_id)
        email = invitation.email
        role = invitation.role
    return InvitationLanding(
        shop=shop, role=role, email=email, has_account=find_user_by_email(email) is not None
    )


def register_invitee(token: str, *, name: str, password: str) -> InvitationLanding:
    """Sign up the invited address (never a typed one) and email it a verification link.

    Raises InvitationInvalid for an unusable link and ``WeakPassword`` for a weak
    password. An address that already has an account gets nothing new (as on the
    sign-up page); either way the invitee confirms the address, signs in, and accepts.
    """
    landing = invitation_landing(token)
    register(landing.email, password, name=name)
    return landing


def accept_invitation(token: str, user: User) -> Membership:
    """Join the shop with the invited role (accepting twice gives the same membership)."""
    shop, invitation_id = _read_token(token)
    with tenant_context(shop):
        invitation = _usable_invitation(shop, invitation_id, user)
        membership = membership_of(user.id, shop.id)
        if membership is None:
            membership = Membership(user_id=user.id, tenant_id=shop.id, role=invitation.role)
            try:
                with db.session.begin_nested():  # a double submit loses on (tenant_id, user_id)
                    db.session.add(membership)
            except IntegrityError:
                membership = membership_of(user.id, shop.id)
                if membership is None:
                    raise
        invitation.status = InvitationStatus.ACCEPTED
        invitation.accepted_by_id = user.id
        db.session.flush()  # inside the shop's context, where the guard allows the write
    return membership


def _read_token(token: str) -> tuple[Tenant, Any]:
    try:
        payload = read_token(INVITATION_SALT, token, INVITATION_TOKEN_MAX_AGE)
        shop = db.session.get(Tenant, UUID(str(payload.get("t"))))
        invitation_id = UUID(str(payload.get("i")))
    except TokenInvalid:
        raise InvitationInvalid("This invitation link has expired or is not valid.") from None
    except ValueError:
        raise InvitationInvalid("This invitation link is not valid.") from None
    if shop is None or shop.status is TenantStatus.CLOSED:
        raise InvitationInvalid("This shop no longer takes new staff.")
    return shop, invitation_id


def _open_invitation(invitation_id: UUID, user: User | None = None) -> Invitation:
    """The invitation if it can still be accepted (or was accepted by ``user``)."""
    invitation = scoped_get(Invitation, invitation_id)
    if invitation is None:
        raise InvitationInvalid("This invitation link is not valid.")
    if invitation.status is InvitationStatus.REVOKED:
        raise InvitationInvalid("This invitation was withdrawn by the shop.")
    if invitation.status is InvitationStatus.ACCEPTED:
        if user is not None and invitation.accepted_by_id == user.id:
            return invitation
        raise InvitationInvalid("This invitation was already used.")
    if invitation.expires_at <= utcnow():
        raise InvitationInvalid("This invitation has expired. Please ask the shop for a new one.")
    return invitation


def _usable_invitation(shop: Tenant, invitation_id: UUID, user: User) -> Invitation:
    invitation = _open_invitation(invitation_id, user)
    if invitation.status is InvitationStatus.ACCEPTED:
        return invitation
    if invitation.email_index != Invitation.email.lookup(user.email, scope=tenant_scope(shop.id)):
        raise InvitationInvalid(
            "This invitation was sent to another email address. "
            "Please sign in with the address it was sent to."
        )
    return invitation
