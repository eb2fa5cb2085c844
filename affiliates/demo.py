"""The demo's affiliate: an approved affiliate with a few clicks and one attributed sale.

``mall.demo`` may not import this layer, so ``wire`` adds ``seed_affiliate`` as a step of
``flask mall seed-demo`` (``mall.demo.add_seed_step``). The person is one of the demo's
people (``mall.demo.people.DEMO_PEOPLE``); everything else goes through the program's own
services: the application and the operator's approval, clicks as ``/r/<code>`` records
them, the rollup, and a checkout of the demo customer carrying the referral cookie's
entry, so the commission is the one a real sale earns. Each step looks for what the last
run made first: seeding twice changes nothing.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from uuid import UUID

import sqlalchemy as sa
from flask import Flask

from affiliates.applications.services import apply, approve, get_affiliate_of, share_link
from affiliates.models import Affiliate, AffiliateClick, AffiliateStatus, AgentClass, PayoutMethod
from affiliates.tracking.clicks import record_click
from affiliates.tracking.rollups import roll_up
from mall.accounts.models import User
from mall.accounts.services import find_user_by_email
from mall.catalog.models import Product, ProductKind, ProductStatus, Variant
from mall.checkout.services import find_checkout
from mall.db import utcnow
from mall.demo import add_seed_step
from mall.demo.money import OPERATOR, demo_order, demo_token
from mall.demo.selling import CUSTOMER, place_demo_order
from mall.extensions import db
from mall.orders.models import Order
from tenants.context import tenant_context
from tenants.models import Tenant, TenantStatus

AFFILIATE = "ali.affiliate@mall.example"
CODE = "ALIDEMO"
PAYOUT_EMAIL = AFFILIATE  # paid by PayPal to the account's own address
WEBSITE = "https://ali-brews.example/"
PROMOTION = "A small blog about home coffee brewing, with a monthly newsletter."
SHOP = "copper-kettle"
# (minutes ago, landing path): the clicks that came before the sale.
CLICKS = (
    (50, "/shop/copper-kettle/"),
    (40, "/shop/copper-kettle/"),
    (30, "/"),
    (20, "/shop/copper-kettle/"),
)
DESKTOP_IPS = ("192.0.2.10", "192.0.2.11", "192.0.2.12", "192.0.2.10")


def wire(app: Flask) -> None:
    """Add the affiliate's part to ``flask mall seed-demo``."""
    add_seed_step(app, seed_affiliate)


def seed_affiliate() -> list[str]:
    """The demo affiliate approved with code ALIDEMO, a few clicks rolled up, one paid order
    of the demo customer attributed to it; what is missing only. Report lines."""
    user = find_user_by_email(AFFILIATE)
    operator = find_user_by_email(OPERATOR)
    if user is None or operator is None:
        return []
    affiliate = _approved(user, operator_id=operator.id)
    if affiliate.status is not AffiliateStatus.APPROVED:
        return []
    _seed_clicks(affiliate)
    order = _seed_order(affiliate)
    lines = [
        f"Affiliate: {AFFILIATE} (code {affiliate.code}, PayPal payouts) shares "
        f"{share_link(affiliate.code)}; dashboard at /affiliates/dashboard."
    ]
    if order is not None:
        lines.append(f"  order {order.number} at {SHOP} came through the affiliate's link.")
    return lines


def _approved(user: User, *, operator_id: UUID) -> Affiliate:
    affiliate = get_affiliate_of(user)
    if affiliate is None:
        affiliate = apply(
            user,
            website=WEBSITE,
            promotion=PROMOTION,
            payout_method=PayoutMethod.PAYPAL,
            payout_email=PAYOUT_EMAIL,
        )
    if affiliate.status is AffiliateStatus.APPLIED:
        approve(affiliate, actor_id=operator_id, code=CODE)
        db.session.refresh(affiliate)
    return affiliate


def _clicked_at(now: datetime, minutes: int) -> datetime:
    """``minutes`` ago, squeezed into today when the day is younger than an hour: a returning
    visitor's clicks on both sides of midnight would count as two visitors."""
    since_midnight = now - datetime.combine(now.date(), time(), tzinfo=now.tzinfo)
    hour = min(timedelta(hours=1), since_midnight)
    return now - hour * minutes / 60


def _seed_clicks(affiliate: Affiliate) -> None:
    if db.session.scalar(
        sa.select(AffiliateClick.id).where(AffiliateClick.affiliate_id == affiliate.id).limit(1)
    ):
        return
    now = utcnow()
    days = set()
    for (minutes, path), ip in zip(CLICKS, DESKTOP_IPS, strict=True):
        at = _clicked_at(now, minutes)
        slug = path.split("/")[2] if path.startswith("/shop/") else None
        record_click(
            affiliate.code,
            path=path,
            shop_slug=slug,
            referrer=WEBSITE,
            ip=ip,
            agent=AgentClass.DESKTOP,
            at=at,
        )
        days.add(at.date())
    for day in sorted(days):
        roll_up(day)


def _seed_order(affiliate: Affiliate) -> Order | None:
    token = demo_token("affiliate")
    if find_checkout(token) is not None:
        return demo_order("affiliate")
    customer = find_user_by_email(CUSTOMER)
    shop = db.session.scalar(
        sa.select(Tenant).where(Tenant.slug == SHOP, Tenant.status == TenantStatus.ACTIVE)
    )
    if customer is None or shop is None:
        return None
    with tenant_context(shop):
        variant = db.session.scalar(
            sa.select(Variant)
            .join(Variant.product)
            .where(
                Product.status == ProductStatus.PUBLISHED,
                Product.kind == ProductKind.PHYSICAL,
                Variant.stock_quantity > 3,
            )
            .order_by(Product.title, Variant.position)
            .limit(1)
        )
    if variant is None:
        return None
    clicked = int(_clicked_at(utcnow(), CLICKS[-1][0]).timestamp())
    referral = [{"a": affiliate.id.hex, "first": clicked, "at": clicked}]
    place_demo_order(customer, [(variant, 1)], "test", token=token, referral=referral)
    return demo_order("affiliate")
