"""Which affiliate, if any, a paid shop order is attributed to (``attribute``).

In order, the first candidate that is approved now, eligible for the order's shop now
(``RateBook.eligible``: the shop is in the mall program, or the affiliate is active in
its private program) and not the buyer wins:

1. an affiliate's coupon on the order: a shop coupon the shop linked to an affiliate
   (the shop chose that affiliate, so it counts even outside the mall program), or a
   mall coupon linked to one (eligibility checked as for a click);
2. the checkout's referral entries (the cookie at submission) whose latest click is
   within the cookie's lifetime of the submission: the newest click first (rule
   "last") or the oldest first click first (rule "first"). Each click of an affiliate
   renews its entry, so an entry is alive while its latest click is;
3. when the shop turned lifetime attribution on, the affiliate of the buyer's first
   commission in this shop (the buyer's account is remembered by that row: nothing
   else is stored about the buyer).

Self-referral: an affiliate whose account is the buyer's, or whose account email has
the checkout's email blind index, never wins: it is skipped, and no row is recorded
for it (another eligible referral may still win). Eligibility is checked at payment,
never at the click.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from affiliates.models import AffiliateCommission, AffiliateTerms, CommissionKind, Source
from affiliates.models.accounts import Affiliate
from affiliates.programs.rates import RateBook
from affiliates.programs.settings import Attribution, ProgramSettings
from mall.accounts.models import User
from mall.checkout.models import Checkout
from mall.coupons.models import MallCoupon, ShopCoupon
from mall.db import utcnow
from mall.extensions import db
from mall.money import Party
from mall.orders.models import Order, OrderDiscount
from tenants.keys import CiphertextInvalid, KeyDestroyed


@dataclass(frozen=True)
class Winner:
    """The affiliate a shop order is attributed to, how, and the shop's rates for them."""

    affiliate: Affiliate
    source: Source
    book: RateBook
    clicked_at: datetime | None = None


@dataclass(frozen=True)
class _Candidate:
    affiliate_id: UUID
    source: Source
    clicked_at: datetime | None = None
    shop_chose: bool = False  # the shop linked its own coupon to the affiliate


def attribute(order: Order, *, settings: ProgramSettings) -> Winner | None:
    """The winner for ``order`` (in its shop's context), or None when nobody earns on it."""
    checkout = db.session.get(Checkout, order.checkout_id)
    buyer = order.user_id or (checkout.user_id if checkout is not None else None)
    seen: set[UUID] = set()
    for candidate in _candidates(order, checkout, buyer, settings=settings):
        if candidate.affiliate_id in seen:
            continue
        seen.add(candidate.affiliate_id)
        affiliate = db.session.get(Affiliate, candidate.affiliate_id)
        if affiliate is None or not affiliate.earns:
            continue
        if is_self_referral(affiliate, buyer=buyer, checkout=checkout):
            continue
        book = RateBook.for_order(order, affiliate.id, settings=settings)
        if not (book.eligible or candidate.shop_chose):
            continue
        return Winner(affiliate, candidate.source, book, candidate.clicked_at)
    return None


def _candidates(
    order: Order, checkout: Checkout | None, buyer: UUID | None, *, settings: ProgramSettings
) -> Iterator[_Candidate]:
    """Every possible referrer, best first (lazily: later sources are read only if needed)."""
    yield from coupon_candidates(order)
    if checkout is not None:
        yield from click_candidates(checkout, settings=settings)
    if buyer is not None:
        remembered = remembered_affiliate(order, buyer)
        if remembered is not None:
            yield _Candidate(remembered, Source.LIFETIME)


def coupon_candidates(order: Order) -> list[_Candidate]:
    """The affiliates of the coupons used on ``order`` (the shop's first, then the mall's)."""
    discounts = db.session.execute(
        sa.select(OrderDiscount.coupon_id, OrderDiscount.funded_by).where(
            OrderDiscount.tenant_id == order.tenant_id,
            OrderDiscount.order_id == order.id,
            OrderDiscount.coupon_id.is_not(None),
        )
    ).all()
    shop_ids = [coupon_id for coupon_id, funded in discounts if funded is Party.SHOP]
    mall_ids = [coupon_id for coupon_id, funded in discounts if funded is Party.PLATFORM]
    found: list[_Candidate] = []
    if shop_ids:
        for affiliate_id in db.session.scalars(
            sa.select(ShopCoupon.affiliate_id).where(
                ShopCoupon.tenant_id == order.tenant_id,
                ShopCoupon.id.in_(shop_ids),
                ShopCoupon.affiliate_id.is_not(None),
            )
        ):
            found.append(_Candidate(affiliate_id, Source.COUPON, shop_chose=True))
    if mall_ids:
        for affiliate_id in db.session.scalars(
            sa.select(MallCoupon.affiliate_id).where(
                MallCoupon.id.in_(mall_ids), MallCoupon.affiliate_id.is_not(None)
            )
        ):
            found.append(_Candidate(affiliate_id, Source.COUPON))
    return found


def _moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def click_candidates(checkout: Checkout, *, settings: ProgramSettings) -> list[_Candidate]:
    """The referral entries still alive at submission, in the program's order."""
    submitted = checkout.submitted_at or checkout.created_at or utcnow()
    oldest = submitted - timedelta(days=settings.cookie_days)
    alive: list[dict[str, Any]] = []
    for entry in checkout.referral or []:
        try:
            affiliate_id = UUID(hex=str(entry["a"]))
            first, at = int(entry["first"]), int(entry["at"])
        except (KeyError, TypeError, ValueError):
            continue  # stored by the checkout from a signed cookie; never trust it blindly
        if oldest <= _moment(at) <= submitted + timedelta(minutes=5):
            alive.append({"a": affiliate_id, "first": min(first, at), "at": at})
    if settings.attribution is Attribution.FIRST:
        alive.sort(key=lambda entry: entry["first"])
        return [_Candidate(e["a"], Source.CLICK, _moment(e["first"])) for e in alive]
    alive.sort(key=lambda entry: entry["at"], reverse=True)
    return [_Candidate(e["a"], Source.CLICK, _moment(e["at"])) for e in alive]


def remembered_affiliate(order: Order, buyer: UUID) -> UUID | None:
    """The affiliate of the buyer's first commission in this shop, when the shop enabled
    lifetime attribution (two queries at most)."""
    lifetime = db.session.scalar(
        sa.select(AffiliateTerms.lifetime_attribution).where(
            AffiliateTerms.tenant_id == order.tenant_id
        )
    )
    if not lifetime:
        return None
    return db.session.scalar(
        sa.select(AffiliateCommission.affiliate_id)
        .join(
            Order,
            sa.and_(
                Order.tenant_id == AffiliateCommission.tenant_id,
                Order.id == AffiliateCommission.order_id,
            ),
        )
        .where(
            AffiliateCommission.tenant_id == order.tenant_id,
            AffiliateCommission.kind == CommissionKind.SALE,
            AffiliateCommission.tier == 1,
            Order.user_id == buyer,
            Order.id != order.id,
        )
        .order_by(AffiliateCommission.created_at, AffiliateCommission.id)
        .limit(1)
    )


def is_self_referral(
    affiliate: Affiliate, *, buyer: UUID | None, checkout: Checkout | None
) -> bool:
    """The buyer is the affiliate: the same account, or the same email (blind indexes only)."""
    if affiliate.user_id is None:
        return False
    if buyer is not None and buyer == affiliate.user_id:
        return True
    if checkout is None or checkout.email_index is None:
        return False
    user = db.session.get(User, affiliate.user_id)
    if user is None:
        return False
    try:
        email = user.email
    except (KeyDestroyed, CiphertextInvalid):
        return False  # an unreadable address matches nobody; the payment goes on
    return Checkout.email.lookup(email) == checkout.email_index
