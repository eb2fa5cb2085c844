"""Becoming an affiliate: the application, the operator's decision, the code, payout details.

One application per account (``affiliates.user_id`` is unique). A rejected applicant may
apply again: the same row goes back to "applied" with the new answers, because the
operator's "no" is often "not yet" (no website yet, too little said about it). A suspended
affiliate cannot apply: only the operator reinstates.

Each decision is one conditional UPDATE from the states it leaves, so a double click or a
stale page changes nothing the second time (no second audit event, no second email) and
the service returns False. Codes are unique (``uq_affiliates_code``): a generated code that
loses a race to another approval is drawn again; an operator's chosen code that is taken
is refused. Codes are stored upper case; ``find_by_code`` reads any case.
"""

from __future__ import annotations

import secrets
from uuid import UUID

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from affiliates.applications import jobs
from affiliates.applications.checks import (
    CODE_ALPHABET,
    CODE_DRAWS,
    CODE_LENGTH,
    CODE_PATTERN,
    InvalidApplication,
    clean_code,
    clean_note,
    clean_payout,
    clean_promotion,
    clean_website,
)
from affiliates.errors import AffiliateError
from affiliates.models import Affiliate, AffiliateStatus, PayoutMethod
from mall.accounts.models import User
from mall.db import escape_like, utcnow
from mall.extensions import db
from mall.jobs import enqueue_after_commit
from mall.pagination import KeysetPage, Position, keyset_paginate
from tenants.audit import record_audit
from tenants.keys.fields import key_service

STATUS_FILTERS = ("applied", "approved", "suspended", "rejected", "all")


# ---------------------------------------------------------------- reading


def get_affiliate(affiliate_id: UUID | str) -> Affiliate | None:
    """The affiliate with this id, or None (operators' pages only: nobody else reads by id)."""
    try:
        key = affiliate_id if isinstance(affiliate_id, UUID) else UUID(str(affiliate_id))
    except ValueError:
        return None
    return db.session.get(Affiliate, key)


def get_affiliate_of(user: User) -> Affiliate | None:
    """The account's own place in the program (any status), or None if it never applied."""
    return db.session.scalar(sa.select(Affiliate).where(Affiliate.user_id == user.id))


def find_by_code(code: str | None) -> Affiliate | None:
    """The affiliate with this code, in any case (``summer-10`` finds ``SUMMER-10``), or None."""
    wanted = (code or "").strip().upper()
    if not CODE_PATTERN.match(wanted):
        return None
    return db.session.scalar(sa.select(Affiliate).where(Affiliate.code == wanted))


def share_link(code: str) -> str:
    """The affiliate's short link, ``<public URL>/r/<code>``, for their page and emails."""
    return f"{current_app.config['PUBLIC_URL'].rstrip('/')}/r/{code}"


def affiliate_list(
    *,
    status: str = "applied",
    code: str = "",
    older_than: Position | None = None,
    newer_than: Position | None = None,
    per_page: int = 25,
) -> KeysetPage:
    """Applications and affiliates for the operator, newest first, by status and code prefix;
    three queries a page whatever the count."""
    query = sa.select(Affiliate)
    if status in STATUS_FILTERS and status != "all":
        query = query.where(Affiliate.status == AffiliateStatus(status))
    prefix = (code or "").strip().upper()[:32]
    if prefix:
        query = query.where(Affiliate.code.like(escape_like(prefix) + "%", escape="\\"))
    return keyset_paginate(
        query,
        moment=Affiliate.created_at,
        row_id=Affiliate.id,
        older_than=older_than,
        newer_than=newer_than,
        per_page=per_page,
    )


def accounts_of(affiliates: list[Affiliate]) -> dict[UUID, User]:
    """The accounts of these affiliates (one query): user id -> User."""
    ids = {row.user_id for row in affiliates if row.user_id is not None}
    if not ids:
        return {}
    return {user.id: user for user in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}


def codes_of(ids: set[UUID | None]) -> dict[UUID, str | None]:
    """Affiliate id -> code for these ids (one query): who recruited whom."""
    wanted = {value for value in ids if value is not None}
    if not wanted:
        return {}
    rows = db.session.execute(
        sa.select(Affiliate.id, Affiliate.code).where(Affiliate.id.in_(wanted))
    )
    return {row_id: code for row_id, code in rows}


# ---------------------------------------------------------------- applying


def _recruiter(code: str | None) -> Affiliate | None:
    wanted = (code or "").strip()
    if not wanted:
        return None
    found = find_by_code(wanted)
    if found is None or found.status is not AffiliateStatus.APPROVED:
        raise InvalidApplication(
            "No affiliate in the program has that code: check it, or leave it empty.",
            field="recruited_by_code",
        )
    return found


def apply(
    user: User,
    *,
    website: str,
    promotion: str,
    payout_method: str | PayoutMethod,
    payout_email: str,
    recruited_by_code: str | None = None,
) -> Affiliate:
    """Apply to the program (or again after a rejection); the answers are sealed.

    Applying while an application waits returns it unchanged (a double click).
    """
    cleaned_website = clean_website(website)
    cleaned_promotion = clean_promotion(promotion)
    method, email = clean_payout(payout_method, payout_email)
    recruiter = _recruiter(recruited_by_code)
    current = get_affiliate_of(user)
    if current is not None:
        if current.status is AffiliateStatus.APPLIED:
            return current
        if current.status is not AffiliateStatus.REJECTED:
            raise AffiliateError("You are already in the affiliate program: see your page.")
        reopened = db.session.execute(
            sa.update(Affiliate)
            .where(Affiliate.id == current.id, Affiliate.status == AffiliateStatus.REJECTED)
            .values(status=AffiliateStatus.APPLIED)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.refresh(current)
        if not reopened:
            return current  # the same form sent twice at once: the first one reopened it
        _fill(current, cleaned_website, cleaned_promotion, method, email, recruiter)
        db.session.flush()
        return current
    row = Affiliate(user_id=user.id, status=AffiliateStatus.APPLIED)
    _fill(row, cleaned_website, cleaned_promotion, method, email, recruiter)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        # The same form sent twice at once: the other request's row is the application.
        winner = get_affiliate_of(user)
        if winner is None:
            raise
        return winner
    return row


def _fill(
    row: Affiliate,
    website: str,
    promotion: str,
    method: PayoutMethod,
    email: str,
    recruiter: Affiliate | None,
) -> None:
    row.website = website
    row.promotion = promotion
    row.payout_method = method
    row.payout_email = email
    row.recruited_by_id = recruiter.id if recruiter is not None else None


def update_payout(
    affiliate: Affiliate,
    *,
    payout_method: str | PayoutMethod,
    payout_email: str,
    ip_address: str | None = None,
) -> bool:
    """Change where the affiliate is paid; audited (without the address). False if unchanged."""
    if affiliate.status is AffiliateStatus.REJECTED or affiliate.user_id is None:
        raise AffiliateError("Apply to the program again to give payout details.")
    method, email = clean_payout(payout_method, payout_email)
    if affiliate.payout_method is method and affiliate.payout_email == email:
        return False
    affiliate.payout_method = method
    affiliate.payout_email = email
    db.session.flush()
    # Changing where the money goes is what a hijacked account does first: keep a trace.
    record_audit(
        "affiliate.payout_changed",
        actor_id=affiliate.user_id,
        target_type="affiliate",
        target_id=affiliate.id,
        details={"payout_method": method.value},
        ip_address=ip_address,
    )
    return True


# ---------------------------------------------------------------- the operator's decisions

# verb -> (statuses it leaves, status it makes, audit action, refusal)
TRANSITIONS: dict[str, tuple[frozenset[AffiliateStatus], AffiliateStatus, str, str]] = {
    "approve": (
        frozenset({AffiliateStatus.APPLIED}),
        AffiliateStatus.APPROVED,
        "affiliate.approved",
        "only a waiting application can be approved",
    ),
    "reject": (
        frozenset({AffiliateStatus.APPLIED}),
        AffiliateStatus.REJECTED,
        "affiliate.rejected",
        "only a waiting application can be rejected",
    ),
    "suspend": (
        frozenset({AffiliateStatus.APPROVED}),
        AffiliateStatus.SUSPENDED,
        "affiliate.suspended",
        "only an approved affiliate can be suspended",
    ),
    "reinstate": (
        frozenset({AffiliateStatus.SUSPENDED}),
        AffiliateStatus.APPROVED,
        "affiliate.reinstated",
        "only a suspended affiliate can be reinstated",
    ),
}


def new_code() -> str:
    """A random code of ``CODE_LENGTH`` unambiguous letters and digits."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _decide(
    affiliate: Affiliate,
    verb: str,
    *,
    actor_id: UUID | None,
    ip_address: str | None,
    note: str = "",
    code: str | None = None,
) -> bool:
    """Move the affiliate with one conditional UPDATE; audit and email when it moved.

    False when it already is where ``verb`` leads; AffiliateError when it cannot go there.
    """
    leaves, makes, action, refusal = TRANSITIONS[verb]
    values: dict = {
        "status": makes,
        "decided_by_id": actor_id,
        "decided_at": utcnow(),
        "decision_note_ct": _sealed_note(affiliate, note),
    }
    if code is not None:
        values["code"] = code
    moved = db.session.execute(
        sa.update(Affiliate)
        .where(Affiliate.id == affiliate.id, Affiliate.status.in_(leaves))
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    before = affiliate.status
    db.session.refresh(affiliate)
    if not moved:
        if affiliate.status is makes:
            return False
        raise AffiliateError(f"This affiliate is {affiliate.status.value}: {refusal}.")
    details = {"from": before.value, "to": makes.value}
    if code is not None:
        details["code"] = code
    # The note is free text that may name people: the audit event does not copy it.
    record_audit(
        action,
        actor_id=actor_id,
        target_type="affiliate",
        target_id=affiliate.id,
        details=details,
        ip_address=ip_address,
    )
    enqueue_after_commit(jobs.send_decision_email, affiliate.id, verb)
    return True


def approve(
    affiliate: Affiliate,
    *,
    actor_id: UUID | None,
    code: str | None = None,
    ip_address: str | None = None,
) -> bool:
    """Approve a waiting application with the operator's code or a generated one; the
    applicant is emailed their code and link. False if it is already approved."""
    chosen = clean_code(code) if (code or "").strip() else None
    if affiliate.status is AffiliateStatus.APPROVED:
        return False
    for _ in range(1 if chosen else CODE_DRAWS):
        candidate = chosen or new_code()
        try:
            with db.session.begin_nested():
                return _decide(
                    affiliate, "approve", actor_id=actor_id, ip_address=ip_address, code=candidate
                )
        except IntegrityError:
            db.session.refresh(affiliate)
            if chosen:
                raise AffiliateError(
                    f"The code {chosen} belongs to another affiliate: choose another one."
                ) from None
    raise AffiliateError("No free code was found this time: please press Approve again.")


def reject(
    affiliate: Affiliate, *, actor_id: UUID | None, note: str, ip_address: str | None = None
) -> bool:
    """Reject a waiting application; the note goes to the applicant. False if already rejected."""
    return _decide(
        affiliate,
        "reject",
        actor_id=actor_id,
        ip_address=ip_address,
        note=clean_note(note, required=True),
    )


def suspend(
    affiliate: Affiliate, *, actor_id: UUID | None, note: str = "", ip_address: str | None = None
) -> bool:
    """Suspend an approved affiliate: it earns nothing on sales from now on (attribution
    checks the status at payment). The note, if any, goes to the affiliate."""
    return _decide(
        affiliate,
        "suspend",
        actor_id=actor_id,
        ip_address=ip_address,
        note=clean_note(note, required=False),
    )


def reinstate(
    affiliate: Affiliate, *, actor_id: UUID | None, ip_address: str | None = None
) -> bool:
    """Lift a suspension: the affiliate earns again with the same code. Never for an affiliate
    whose account was deleted: nobody could be paid, and sales would charge shops for nothing."""
    if affiliate.user_id is None:
        raise AffiliateError(
            "This affiliate's account was deleted: the code stays suspended for good."
        )
    return _decide(affiliate, "reinstate", actor_id=actor_id, ip_address=ip_address)


def _sealed_note(affiliate: Affiliate, note: str) -> bytes | None:
    """The note sealed for this affiliate's row (the UPDATE writes ciphertext), or None."""
    if not note:
        return None
    return key_service().encrypt(note, Affiliate.decision_note.context(affiliate))
