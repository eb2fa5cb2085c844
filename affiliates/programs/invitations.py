"""Invitations to a shop's private program by email address, and the signed link they carry.

The address is sealed under the shop's key on the ``shop_affiliates`` row (blind index
unique per shop) and is looked up in that shop only: never across shops, never in a URL,
log, job argument or audit detail. The email's link signs the shop's id and the row's id
(``INVITATION_SALT``, ``INVITATION_DAYS``); only the invited address answers it: the
signed-in account's email is compared with the sealed one through the row's blind index
(a forwarded email does not pass on the rate). Accepting gives the row the affiliate's id
and forgets the address. Every step is one conditional change from the state it leaves: a
replay, or a second person with the same link, changes nothing. A shop that turned its
private program off answers no link.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.exc import IntegrityError

from affiliates.applications.services import get_affiliate_of
from affiliates.errors import AffiliateError
from affiliates.models import Affiliate, AffiliateStatus, ShopAffiliate
from affiliates.programs.admin_views import rate_text
from affiliates.programs.jobs import send_private_invitation
from affiliates.programs.private import (
    ACTIVE,
    INVITED,
    REMOVED,
    _audit,
    _move,
    _row_of,
    get_member,
    send_key,
)
from affiliates.programs.rates import PRIVATE, SHOP, Rate, row_rate
from affiliates.programs.settings import program_settings
from affiliates.programs.terms import get_terms
from mall.accounts.models import User
from mall.accounts.services import find_user_by_email
from mall.accounts.tokens import TokenInvalid, make_token, read_token
from mall.db import utcnow
from mall.extensions import db
from mall.jobs import enqueue_after_commit
from mall.urls import external_url
from tenants.context import current_tenant_id, tenant_context
from tenants.keys import reveal, tenant_scope
from tenants.keys.masking import mask_email
from tenants.models import Tenant, TenantStatus

INVITATION_SALT = "mall.affiliates.private-invitation"
INVITATION_DAYS = 14
MAX_EMAIL = 254


class InvitationInvalid(AffiliateError):
    """A link that is tampered with, expired, or names an invitation no longer open."""


class AlreadyMember(AffiliateError):
    """The affiliate is already in this shop's private program."""


class NotInvitedAddress(AffiliateError):
    """The signed-in account is not the address the invitation was sent to."""


@dataclass(frozen=True)
class LinkedInvitation:
    """What the page of an invitation link shows."""

    shop_id: UUID
    id: UUID
    shop_name: str
    rate_text: str
    member: bool  # the person opening it is already active in this shop's program
    sent_to: str = ""  # masked, when the signed-in account is not the invited address


# ---------------------------------------------------------------- the shop's side


def invite_by_email(shop: Tenant, *, email: str, actor_id: UUID | None) -> bool:
    """Invite an address into the shop's private program and email it a signed link.

    An address already invited changes nothing (False: offer "Send again"); one whose
    invitation was declined or removed is invited again.
    """
    if current_tenant_id() != shop.id:
        raise AffiliateError("Open the shop's own back office to invite affiliates.")
    terms = get_terms()
    if terms is None or not terms.private_program:
        raise AffiliateError("Turn on the private program in your affiliate terms first.")
    address = _checked_address(email)
    _refuse_member(address)
    row = _row_by_address(shop, address)
    if row is None:
        try:
            with db.session.begin_nested():
                row = ShopAffiliate(tenant_id=shop.id, status=INVITED, invited_by_id=actor_id)
                row.email = address
                db.session.add(row)
                db.session.flush()
        except IntegrityError:  # the same address sent twice at once: the other one made it
            return False
    elif not _move(
        row,
        (REMOVED,),
        status=INVITED,
        invited_by_id=actor_id,
        invited_at=utcnow(),
        joined_at=None,
    ):
        return False
    _audit("affiliates.private_invited", row, actor_id, by="email")
    _send(row)
    return True


def _checked_address(email: str) -> str:
    typed = (email or "").strip()
    if not typed:
        raise AffiliateError("Enter the email address to invite.")
    if len(typed) > MAX_EMAIL:
        raise AffiliateError(f"Enter an email address of at most {MAX_EMAIL} characters.")
    try:
        return validate_email(typed, check_deliverability=False).normalized
    except EmailNotValidError:
        raise AffiliateError("Enter a valid email address.") from None


def _refuse_member(address: str) -> None:
    # A platform lookup of the account, then this shop's row of its affiliate: an invitation
    # to someone already active here would only sit in the list as a stale "Invited" row.
    user = find_user_by_email(address)
    affiliate = get_affiliate_of(user) if user is not None else None
    if affiliate is None:
        return
    row = _row_of(affiliate.id)
    if row is not None and row.status is ACTIVE:
        raise AffiliateError(
            f"That person is already in your private program (code {affiliate.code})."
        )


def _row_by_address(shop: Tenant, address: str) -> ShopAffiliate | None:
    # The blind index under this shop's key: the lookup cannot reach another shop's rows.
    index = ShopAffiliate.email.lookup(address, scope=tenant_scope(shop.id))
    return db.session.scalar(
        sa.select(ShopAffiliate).where(
            ShopAffiliate.tenant_id == shop.id, ShopAffiliate.email_index == index
        )
    )


def resend_invitation(row: ShopAffiliate, *, key: str, actor_id: UUID | None) -> bool:
    """Email an open email invitation again; False when this click was already handled."""
    if row.affiliate_id is not None or row.email_ct is None:
        raise AffiliateError("That affiliate was invited by code: there is no email to send.")
    if row.status is not INVITED:
        raise AffiliateError("That invitation was answered or removed: invite the address again.")
    if key != send_key(row):
        return False
    sent_at = row.invited_at
    moved = db.session.execute(
        sa.update(ShopAffiliate)
        .where(
            ShopAffiliate.tenant_id == row.tenant_id,
            ShopAffiliate.id == row.id,
            ShopAffiliate.status == INVITED,
            ShopAffiliate.affiliate_id.is_(None),
            ShopAffiliate.invited_at == sent_at,
        )
        .values(invited_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        return False
    db.session.refresh(row)
    _audit("affiliates.private_invitation_resent", row, actor_id)
    _send(row)
    return True


def _send(row: ShopAffiliate) -> None:
    enqueue_after_commit(send_private_invitation, row.tenant_id, row.id)


def invitation_link(row: ShopAffiliate) -> str:
    """The absolute address of the row's signed invitation page (ids only)."""
    token = make_token(INVITATION_SALT, {"t": row.tenant_id.hex, "i": row.id.hex})
    return external_url("affiliates_private.invitation", token=token)


def offered_rate(row: ShopAffiliate) -> str:
    """The rate the invitation offers, in words: the row's own, the shop's, or the mall's."""
    own: Rate | None = row_rate(PRIVATE, row)
    if own is None:
        terms = get_terms()
        own = row_rate(SHOP, terms) if terms is not None else None
    return rate_text(own) if own is not None else program_settings().rate_text


# ---------------------------------------------------------------- the link's page


def _read(token: str) -> tuple[Tenant, UUID]:
    try:
        payload = read_token(INVITATION_SALT, token, INVITATION_DAYS * 24 * 3600)
        shop_id, row_id = UUID(hex=str(payload.get("t"))), UUID(hex=str(payload.get("i")))
    except TokenInvalid:
        raise InvitationInvalid(
            "This invitation link has expired or is not valid. Ask the shop to send it again."
        ) from None
    except ValueError:
        raise InvitationInvalid("This invitation link is not valid.") from None
    shop = db.session.get(Tenant, shop_id)
    if shop is None or shop.status is TenantStatus.CLOSED:
        raise InvitationInvalid("This shop no longer runs its private program.")
    return shop, row_id


def _check_program() -> None:
    """In the shop's context: refuse when the shop turned its private program off."""
    terms = get_terms()
    if terms is None or not terms.private_program:
        raise InvitationInvalid("This shop no longer runs a private program.")


def _sent_to_other(row: ShopAffiliate, user: User) -> str:
    """The invited address, masked, when ``user``'s account is not it; "" when it is."""
    if row.email_index is None:
        return ""
    mine = ShopAffiliate.email.lookup(user.email or "", scope=tenant_scope(row.tenant_id))
    if row.email_index == mine:
        return ""
    return mask_email(reveal(row, "email") or "")


def _check_address(row: ShopAffiliate, user: User) -> None:
    other = _sent_to_other(row, user)
    if other:
        raise NotInvitedAddress(
            f"This invitation was sent to {other}: sign in with that account to answer it."
        )


def _open_row(row_id: UUID) -> ShopAffiliate:
    row = get_member(row_id)
    if row is None or row.status is not INVITED or row.affiliate_id is not None:
        raise InvitationInvalid(
            "This invitation was already answered, or the shop withdrew it. "
            "Ask the shop to invite you again."
        )
    return row


def _is_member(affiliate: Affiliate | None) -> bool:
    if affiliate is None:
        return False
    mine = _row_of(affiliate.id)
    return mine is not None and mine.status is ACTIVE


def open_invitation(token: str, user: User, affiliate: Affiliate | None) -> LinkedInvitation:
    """The invitation a link names, for its page; InvitationInvalid when it cannot be used.

    ``affiliate`` is the signed-in person's own row (None if they never applied): once
    they are in the shop's program the link answers that, whatever became of the row.
    Another account than the invited address sees only where it was sent (masked).
    """
    shop, row_id = _read(token)
    with tenant_context(shop):
        _check_program()
        if _is_member(affiliate):
            return LinkedInvitation(shop.id, row_id, shop.name, "", member=True)
        row = _open_row(row_id)
        other = _sent_to_other(row, user)
        if other:
            return LinkedInvitation(shop.id, row.id, shop.name, "", member=False, sent_to=other)
        return LinkedInvitation(shop.id, row.id, shop.name, offered_rate(row), member=False)


def answer_by_link(
    token: str, *, user: User, affiliate: Affiliate | None, accept: bool
) -> tuple[bool, str]:
    """Accept (``affiliate`` joins, the address is forgotten) or decline (removed) the
    invitation of a link: (False when it was already so, a replay changing nothing; the
    shop's name).

    Raises InvitationInvalid (also when the shop's private program is off), NotInvitedAddress
    (``user`` is not the invited address), AlreadyMember (the affiliate is in the program
    already) or AffiliateError (only an approved affiliate can accept).
    """
    shop, row_id = _read(token)
    with tenant_context(shop):
        _check_program()
        return _answer(shop, row_id, user=user, affiliate=affiliate, accept=accept), shop.name


def _answer(
    shop: Tenant, row_id: UUID, *, user: User, affiliate: Affiliate | None, accept: bool
) -> bool:
    row = get_member(row_id)
    if not accept:
        if row is not None and row.status is REMOVED and row.affiliate_id is None:
            _check_address(row, user)
            return False  # declined before
        row = _open_row(row_id)
        _check_address(row, user)
        if not _claim(row, status=REMOVED):
            return False
        _audit("affiliates.private_declined", row, user.id, by="email")
        return True
    if affiliate is None or affiliate.status is not AffiliateStatus.APPROVED:
        raise AffiliateError("Only an approved affiliate can join a shop's private program.")
    if _is_member(affiliate) and (row is None or row.status is not INVITED):
        return False  # accepted before (through this row, or the row it joined)
    row = _open_row(row_id)
    _check_address(row, user)
    return _join(shop, row, affiliate, user)


def _claim(row: ShopAffiliate, **values: object) -> bool:
    """One conditional UPDATE: only an open email invitation (no affiliate yet) moves."""
    moved = db.session.execute(
        sa.update(ShopAffiliate)
        .where(
            ShopAffiliate.tenant_id == row.tenant_id,
            ShopAffiliate.id == row.id,
            ShopAffiliate.status == INVITED,
            ShopAffiliate.affiliate_id.is_(None),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        return False
    db.session.refresh(row)
    return True


def _join(shop: Tenant, row: ShopAffiliate, affiliate: Affiliate, user: User) -> bool:
    already = _row_of(affiliate.id)
    if already is not None and already.status is ACTIVE:
        raise AlreadyMember(f"You are already in the private program of {shop.name}.")
    if already is not None:
        return _join_through(already, row, affiliate, user)
    try:
        with db.session.begin_nested():
            joined = _claim(
                row,
                affiliate_id=affiliate.id,
                status=ACTIVE,
                joined_at=utcnow(),
                email_ct=None,
                email_index=None,
            )
    except IntegrityError:  # the same affiliate joined through another invitation meanwhile
        raise AlreadyMember(f"You are already in the private program of {shop.name}.") from None
    if joined:
        _audit("affiliates.private_accepted", row, user.id, by="email")
    return joined


def _join_through(
    earlier: ShopAffiliate, row: ShopAffiliate, affiliate: Affiliate, user: User
) -> bool:
    """The affiliate already has a row here (invited by code, or removed once): that row
    becomes active with the rate this invitation offered, and the email row goes."""
    rate = {"rate_kind": row.rate_kind, "rate_bp": row.rate_bp, "rate_fixed": row.rate_fixed}
    gone = db.session.execute(
        sa.delete(ShopAffiliate)
        .where(
            ShopAffiliate.tenant_id == row.tenant_id,
            ShopAffiliate.id == row.id,
            ShopAffiliate.status == INVITED,
            ShopAffiliate.affiliate_id.is_(None),
        )
        .execution_options(synchronize_session=False)
    )
    if gone.rowcount != 1:
        return False
    db.session.expunge(row)
    if not _move(earlier, (INVITED, REMOVED), status=ACTIVE, joined_at=utcnow(), **rate):
        # Joined through the other invitation at the same moment: the view rolls back.
        raise AlreadyMember("You are already in this shop's private program.")
    _audit("affiliates.private_accepted", earlier, user.id, by="email")
    return True
