"""What the cart and checkout ask of coupons: find the typed codes, redeem, confirm, release.

- ``find_coupons`` turns typed codes into ``CouponRule`` values (and messages for codes
  that cannot be used), in a constant number of queries whatever the codes and shops.
- ``redeem_coupons`` counts a checkout's uses at submission, in the caller's transaction:
  a conditional UPDATE per coupon is the only way ``times_used`` grows, so no number of
  concurrent checkouts passes a limit. Once per (coupon, checkout).
- ``confirm_redemptions`` (paid) and ``release_redemptions`` (expired or cancelled, the
  use given back exactly once) are keyed by the checkout.

Shop coupons and their redemptions are written inside their shop's ``tenant_context``;
the cross-shop reads (the coupons of the cart's shops, a checkout's redemptions) go
through ``all_tenants``. Services flush, never commit.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa

from mall.coupons.errors import CouponError
from mall.coupons.models import (
    MallCoupon,
    MallCouponRedemption,
    RedemptionStatus,
    ShopCoupon,
    ShopCouponRedemption,
)
from mall.coupons.rules import CouponRule
from mall.db import utcnow
from mall.extensions import db
from mall.money import Party, check_amount
from tenants.context import all_tenants, tenant_context

__all__ = [
    "CODE_PATTERN",
    "CouponError",
    "confirm_redemptions",
    "find_coupons",
    "normalise_code",
    "redeem_coupons",
    "release_redemptions",
]

CODE_PATTERN = re.compile(r"[A-Z0-9_-]{3,32}")
COUNTED = (RedemptionStatus.HELD, RedemptionStatus.USED)  # what a limit counts

Coupon = ShopCoupon | MallCoupon

# Why a code cannot be used, least telling first: a code that is both a mall coupon and a
# shop coupon gets the most telling message of its rows (and none if one of them applies).
_NOT_VALID, _NOT_YET, _EXPIRED, _USED_UP, _USED_BY_YOU = range(5)
_MESSAGES = {
    _NOT_VALID: "The code {} is not valid.",
    _NOT_YET: "The code {} is not valid yet.",
    _EXPIRED: "The code {} has expired.",
    _USED_UP: "The code {} has been used as many times as it can be.",
    _USED_BY_YOU: "The code {} has been used as many times as it can be by one customer.",
}


def normalise_code(text: str | None) -> str:
    """A code as stored: trimmed and upper case."""
    return (text or "").strip().upper()


# ---------------------------------------------------------------- finding


def find_coupons(
    codes: Iterable[str],
    *,
    tenant_ids: Iterable[UUID],
    user_id: UUID | None = None,
    email_index: bytes | None = None,
    now: datetime | None = None,
) -> tuple[list[CouponRule], list[str]]:
    """The rules of the typed ``codes`` that can be used now by this customer, and a message
    for each code that cannot. A code is looked up as a mall coupon and as a coupon of every
    shop in ``tenant_ids`` (the shops in the cart). At most four queries."""
    now = now or utcnow()
    wanted = list(dict.fromkeys(code for raw in codes if (code := normalise_code(raw))))
    lookable = [code for code in wanted if CODE_PATTERN.fullmatch(code)]
    shops = sorted(set(tenant_ids))
    mall_coupons: list[MallCoupon] = []
    shop_coupons: list[ShopCoupon] = []
    if lookable:
        mall_coupons = list(
            db.session.scalars(
                sa.select(MallCoupon)
                .where(MallCoupon.code.in_(lookable))
                .execution_options(populate_existing=True)  # times_used moves by UPDATE
            )
        )
        if shops:
            shop_coupons = _shop_coupons(lookable, shops)
    uses = _uses_by_customer(mall_coupons, shop_coupons, user_id, email_index)
    by_code: dict[str, list[Coupon]] = defaultdict(list)
    for coupon in [*shop_coupons, *mall_coupons]:
        by_code[coupon.code].append(coupon)
    rules: list[CouponRule] = []
    messages: list[str] = []
    for code in wanted:
        usable, worst = [], _NOT_VALID
        for coupon in by_code.get(code, []):
            problem = _problem(coupon, now, uses.get(coupon.id, 0))
            if problem is None:
                usable.append(coupon)
            else:
                worst = max(worst, problem)
        if usable:
            rules.extend(_rule(coupon) for coupon in usable)
        else:
            messages.append(_MESSAGES[worst].format(code))
    return rules, messages


def _shop_coupons(codes: list[str], tenant_ids: list[UUID]) -> list[ShopCoupon]:
    with all_tenants("coupons: the codes typed in a cart, among the coupons of its shops"):
        statement = (
            sa.select(ShopCoupon)
            .where(ShopCoupon.tenant_id.in_(tenant_ids), ShopCoupon.code.in_(codes))
            .order_by(ShopCoupon.tenant_id)
            .execution_options(populate_existing=True)
        )
        return list(db.session.scalars(statement))


def _customer_filter(
    model: type, user_id: UUID | None, email_index: bytes | None
) -> sa.ColumnElement:
    """This customer's redemptions: by account, or by email address (a guest, or the same
    person signed out)."""
    clauses = []
    if user_id is not None:
        clauses.append(model.user_id == user_id)
    if email_index is not None:
        clauses.append(model.email_index == email_index)
    return sa.or_(*clauses)


def _uses_by_customer(
    mall_coupons: Sequence[MallCoupon],
    shop_coupons: Sequence[ShopCoupon],
    user_id: UUID | None,
    email_index: bytes | None,
) -> dict[UUID, int]:
    """How often this customer used each coupon that has a per-customer limit."""
    if user_id is None and email_index is None:
        return {}  # not known yet: checked again at submission, where it is
    uses: dict[UUID, int] = {}
    limited = [c.id for c in mall_coupons if c.per_customer_limit is not None]
    if limited:
        uses.update(_count_uses(MallCouponRedemption, limited, user_id, email_index))
    limited = [c.id for c in shop_coupons if c.per_customer_limit is not None]
    if limited:
        with all_tenants("coupons: a customer's uses of the limited coupons of a cart's shops"):
            uses.update(_count_uses(ShopCouponRedemption, limited, user_id, email_index))
    return uses


def _count_uses(
    model: type, coupon_ids: list[UUID], user_id: UUID | None, email_index: bytes | None
) -> dict[UUID, int]:
    statement = (
        sa.select(model.coupon_id, sa.func.count())
        .where(
            model.coupon_id.in_(coupon_ids),
            model.status.in_(COUNTED),
            _customer_filter(model, user_id, email_index),
        )
        .group_by(model.coupon_id)
    )
    return {coupon_id: count for coupon_id, count in db.session.execute(statement)}


def _problem(coupon: Coupon, now: datetime, used_by_customer: int) -> int | None:
    """Why ``coupon`` cannot be used now (one of the ranks above), or None."""
    if not coupon.active:
        return _NOT_VALID
    if coupon.ends_at is not None and coupon.ends_at <= now:
        return _EXPIRED
    if coupon.starts_at > now:
        return _NOT_YET
    if coupon.usage_limit is not None and coupon.times_used >= coupon.usage_limit:
        return _USED_UP
    if coupon.per_customer_limit is not None and used_by_customer >= coupon.per_customer_limit:
        return _USED_BY_YOU
    return None


def _rule(coupon: Coupon) -> CouponRule:
    shop = isinstance(coupon, ShopCoupon)
    return CouponRule(
        coupon_id=coupon.id,
        code=coupon.code,
        funded_by=Party.SHOP if shop else Party.PLATFORM,
        tenant_id=coupon.tenant_id if shop else None,
        kind=coupon.kind,
        percent_bp=coupon.percent_bp,
        amount=coupon.amount,
        minimum_subtotal=coupon.minimum_subtotal,
        product_ids=frozenset(UUID(hex=h) for h in (coupon.product_ids if shop else [])),
        category_ids=frozenset(UUID(hex=h) for h in coupon.category_ids or []),
        affiliate_id=coupon.affiliate_id,
    )


# ---------------------------------------------------------------- redeeming


def redeem_coupons(
    rules: Sequence[CouponRule],
    *,
    checkout_id: UUID,
    amounts: Mapping[UUID, int],
    user_id: UUID | None = None,
    email_index: bytes | None = None,
    now: datetime | None = None,
) -> int:
    """Count one use of each coupon by this checkout (held until paid); how many were new.

    Raises ``CouponError`` when a coupon has just been used up, ended, or reached this
    customer's limit; then nothing of this call is left (a savepoint), and the caller rolls
    back the rest. Repeating it for the same checkout changes nothing.
    """
    now = now or utcnow()
    added = 0
    with db.session.begin_nested():
        # One order of row locks for every checkout, so two of them cannot deadlock.
        for rule in sorted(rules, key=lambda r: r.coupon_id):
            amount = int(amounts.get(rule.coupon_id, 0))
            if message := check_amount(amount):
                raise CouponError(message)
            customer = (user_id, email_index)
            if rule.tenant_id is None:
                added += _redeem(
                    MallCoupon, MallCouponRedemption, rule, checkout_id, amount, customer, now
                )
            else:
                with tenant_context(rule.tenant_id):
                    added += _redeem(
                        ShopCoupon, ShopCouponRedemption, rule, checkout_id, amount, customer, now
                    )
    return added


def _redeem(
    coupon_model: type,
    redemption_model: type,
    rule: CouponRule,
    checkout_id: UUID,
    amount: int,
    customer: tuple[UUID | None, bytes | None],
    now: datetime,
) -> int:
    user_id, email_index = customer
    done = sa.select(redemption_model.id).where(
        redemption_model.coupon_id == rule.coupon_id,
        redemption_model.checkout_id == checkout_id,
    )
    if db.session.scalar(done) is not None:
        return 0  # a retried submission: counted already
    # The only way times_used grows. On PostgreSQL it also locks the coupon's row until
    # commit: a concurrent checkout waits here, then sees this one's count and redemption.
    taken = db.session.execute(
        sa.update(coupon_model)
        .where(coupon_model.id == rule.coupon_id, *_usable_now(coupon_model, now))
        .values(times_used=coupon_model.times_used + 1)
        .returning(coupon_model.per_customer_limit)
        .execution_options(synchronize_session=False)
    ).all()
    if not taken:
        raise CouponError(_refusal(coupon_model, rule, now))
    if db.session.scalar(done) is not None:
        # The same checkout submitted twice at once: the other one counted it.
        _give_back(coupon_model, rule.coupon_id)
        return 0
    limit = taken[0][0]
    if limit is not None:
        if user_id is None and email_index is None:
            raise CouponError(f"The code {rule.code} can be used only with an email address.")
        # Counted after the update, under its lock: two checkouts of one customer queue here.
        count = db.session.scalar(
            sa.select(sa.func.count()).where(
                redemption_model.coupon_id == rule.coupon_id,
                redemption_model.status.in_(COUNTED),
                _customer_filter(redemption_model, user_id, email_index),
            )
        )
        if count >= limit:
            raise CouponError(_MESSAGES[_USED_BY_YOU].format(rule.code))
    db.session.add(
        redemption_model(
            coupon_id=rule.coupon_id,
            checkout_id=checkout_id,
            user_id=user_id,
            email_index=email_index,
            amount=amount,
            status=RedemptionStatus.HELD,
        )
    )
    db.session.flush()  # inside the shop's context: the guard stamps its tenant_id
    return 1


def _usable_now(model: type, now: datetime) -> list[sa.ColumnElement]:
    return [
        model.active.is_(True),
        model.starts_at <= now,
        sa.or_(model.ends_at.is_(None), model.ends_at > now),
        sa.or_(model.usage_limit.is_(None), model.times_used < model.usage_limit),
    ]


def _refusal(model: type, rule: CouponRule, now: datetime) -> str:
    """Why the conditional update found no row, for the customer."""
    coupon = db.session.scalar(sa.select(model).where(model.id == rule.coupon_id))
    if coupon is None or not coupon.active:
        return f"The code {rule.code} is no longer valid."
    if coupon.ends_at is not None and coupon.ends_at <= now:
        return _MESSAGES[_EXPIRED].format(rule.code)
    if coupon.starts_at > now:
        return _MESSAGES[_NOT_YET].format(rule.code)
    return f"The code {rule.code} has just been used up."


def _give_back(model: type, coupon_id: UUID) -> None:
    db.session.execute(
        sa.update(model)
        .where(model.id == coupon_id, model.times_used > 0)
        .values(times_used=model.times_used - 1)
        .execution_options(synchronize_session=False)
    )


# ---------------------------------------------------------------- after payment or expiry


def confirm_redemptions(checkout_id: UUID) -> int:
    """The checkout was paid: its held redemptions become used; how many changed."""
    changed = _set_status(MallCouponRedemption, checkout_id, None)
    for tenant_id, rows in _held_shop_redemptions(checkout_id).items():
        with tenant_context(tenant_id):
            changed += _set_status(ShopCouponRedemption, checkout_id, [id for id, _ in rows])
    return changed


def _set_status(model: type, checkout_id: UUID, ids: list[UUID] | None) -> int:
    statement = sa.update(model).where(
        model.checkout_id == checkout_id, model.status == RedemptionStatus.HELD
    )
    if ids is not None:
        statement = statement.where(model.id.in_(ids))
    statement = statement.values(status=RedemptionStatus.USED)
    result = db.session.execute(statement.execution_options(synchronize_session=False))
    return result.rowcount


def release_redemptions(checkout_id: UUID) -> int:
    """The checkout expired or was cancelled: its held redemptions are released and their
    uses given back, each exactly once (however often or concurrently this runs)."""
    held = db.session.execute(
        sa.select(MallCouponRedemption.id, MallCouponRedemption.coupon_id).where(
            MallCouponRedemption.checkout_id == checkout_id,
            MallCouponRedemption.status == RedemptionStatus.HELD,
        )
    ).all()
    released = sum(_release(MallCoupon, MallCouponRedemption, *row) for row in held)
    for tenant_id, rows in _held_shop_redemptions(checkout_id).items():
        with tenant_context(tenant_id):
            released += sum(_release(ShopCoupon, ShopCouponRedemption, *row) for row in rows)
    return released


def _release(coupon_model: type, redemption_model: type, id: UUID, coupon_id: UUID) -> int:
    # Only the call that moves the row from held gives the use back.
    moved = db.session.execute(
        sa.update(redemption_model)
        .where(redemption_model.id == id, redemption_model.status == RedemptionStatus.HELD)
        .values(status=RedemptionStatus.RELEASED)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved == 1:
        _give_back(coupon_model, coupon_id)
    return moved


def _held_shop_redemptions(checkout_id: UUID) -> dict[UUID, list[tuple[UUID, UUID]]]:
    """(id, coupon id) of the checkout's held shop redemptions, by shop."""
    with all_tenants("coupons: one checkout's held redemptions across the shops in it"):
        rows = db.session.execute(
            sa.select(
                ShopCouponRedemption.tenant_id,
                ShopCouponRedemption.id,
                ShopCouponRedemption.coupon_id,
            ).where(
                ShopCouponRedemption.checkout_id == checkout_id,
                ShopCouponRedemption.status == RedemptionStatus.HELD,
            )
        ).all()
    by_shop: dict[UUID, list[tuple[UUID, UUID]]] = defaultdict(list)
    for tenant_id, id, coupon_id in rows:
        by_shop[tenant_id].append((id, coupon_id))
    return dict(by_shop)
