"""Linking coupons to affiliates. A shop coupon is linked in the shop's context, only to an
approved affiliate eligible for the shop now (``RateBook.eligible``: in the mall program,
or active in its private program); a mall coupon to any approved affiliate (attribution
checks the shop of each sale). The coupon's own service writes and audits the link."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa

from affiliates.applications.services import find_by_code
from affiliates.errors import AffiliateError
from affiliates.models import Affiliate, AffiliateStatus
from affiliates.programs.rates import RateBook
from affiliates.programs.settings import program_settings
from mall.coupons import editing
from mall.coupons.models import MallCoupon, ShopCoupon
from mall.coupons.services import normalise_code
from mall.extensions import db
from mall.pagination import Page
from tenants.context import all_tenants, current_tenant_id
from tenants.models import Tenant

PER_PAGE = 25


@dataclass(frozen=True)
class CouponRow:
    """A coupon with the code of the affiliate it is linked to ("" when none)."""

    coupon: ShopCoupon | MallCoupon
    affiliate_code: str


def _rows(page: Page) -> tuple[Page, list[CouponRow]]:
    ids = {coupon.affiliate_id for coupon in page.items if coupon.affiliate_id}
    codes: dict[UUID, str] = {}
    if ids:
        rows = db.session.execute(
            sa.select(Affiliate.id, Affiliate.code).where(Affiliate.id.in_(ids))
        )
        codes = {affiliate_id: code for affiliate_id, code in rows}
    return page, [CouponRow(c, codes.get(c.affiliate_id, "") or "") for c in page.items]


def shop_coupons(*, page: int = 1) -> tuple[Page, list[CouponRow]]:
    """The shop in context's coupons by code, with their affiliates (three queries)."""
    return _rows(editing.shop_coupon_list(page=page, per_page=PER_PAGE))


def mall_coupons(*, page: int = 1) -> tuple[Page, list[CouponRow]]:
    """The mall's coupons by code, with their affiliates (three queries)."""
    return _rows(editing.mall_coupon_list(page=page, per_page=PER_PAGE))


def _approved(affiliate_code: str) -> Affiliate:
    affiliate = find_by_code(affiliate_code)
    if affiliate is None or affiliate.status is not AffiliateStatus.APPROVED:
        raise AffiliateError("No approved affiliate has this code.")
    return affiliate


def link_shop_coupon(coupon_code: str, *, affiliate_code: str, actor_id: UUID | None) -> bool:
    """Link the shop in context's coupon ``coupon_code`` to the affiliate with
    ``affiliate_code``, who must be eligible for the shop. False when it already was."""
    code = normalise_code(coupon_code)
    coupon = db.session.scalar(sa.select(ShopCoupon).where(ShopCoupon.code == code))
    if coupon is None:
        raise AffiliateError("Your shop has no coupon with this code.")
    affiliate = _approved(affiliate_code)
    shop_id = current_tenant_id()
    book = RateBook.load(shop_id, affiliate.id, (), settings=program_settings())
    if not book.eligible:
        raise AffiliateError(
            "This affiliate cannot earn in your shop: join the mall program or invite them "
            "to your private program first."
        )
    return editing.set_coupon_affiliate(coupon, affiliate.id, actor_id=actor_id)


def unlink_shop_coupon(coupon_id: UUID, *, actor_id: UUID | None) -> bool | None:
    """The shop in context's coupon attributes no sale any more; None when there is no such
    coupon in this shop, False when it was linked to nobody."""
    coupon = editing.get_shop_coupon(coupon_id)
    if coupon is None:
        return None
    return editing.set_coupon_affiliate(coupon, None, actor_id=actor_id)


def link_mall_coupon(coupon_code: str, *, affiliate_code: str, actor_id: UUID | None) -> bool:
    """Link the mall coupon ``coupon_code`` to an approved affiliate. False when it already was."""
    code = normalise_code(coupon_code)
    coupon = db.session.scalar(sa.select(MallCoupon).where(MallCoupon.code == code))
    if coupon is None:
        raise AffiliateError("There is no mall coupon with this code.")
    affiliate = _approved(affiliate_code)
    return editing.set_coupon_affiliate(coupon, affiliate.id, actor_id=actor_id)


def unlink_mall_coupon(coupon_id: UUID, *, actor_id: UUID | None) -> bool | None:
    """The mall coupon attributes no sale any more; None when there is no such coupon."""
    coupon = editing.get_mall_coupon(coupon_id)
    if coupon is None:
        return None
    return editing.set_coupon_affiliate(coupon, None, actor_id=actor_id)


@dataclass(frozen=True)
class OwnCoupon:
    """One of the affiliate's coupon codes and where it works ("" for the whole mall)."""

    code: str
    shop_name: str
    active: bool


def coupons_of(affiliate: Affiliate) -> list[OwnCoupon]:
    """The affiliate's own coupon codes: the mall's, then each shop's (two queries)."""
    found = [
        OwnCoupon(code, "", active)
        for code, active in db.session.execute(
            sa.select(MallCoupon.code, MallCoupon.active)
            .where(MallCoupon.affiliate_id == affiliate.id)
            .order_by(MallCoupon.code)
        )
    ]
    with all_tenants("affiliate home: the shop coupons linked to this affiliate, by id"):
        rows = db.session.execute(
            sa.select(ShopCoupon.code, ShopCoupon.active, Tenant.name)
            .join(Tenant, Tenant.id == ShopCoupon.tenant_id)
            .where(ShopCoupon.affiliate_id == affiliate.id)
            .order_by(Tenant.name, ShopCoupon.code)
            .limit(200)
        ).all()
    found += [OwnCoupon(code, name, active) for code, active, name in rows]
    return found
