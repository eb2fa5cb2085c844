"""The demo's money story: commission rates, an order to ship in part and refund, earnings to pay.

Issue 11's demo: a shop ships part of an order, refunds one line and sees the
exact effect on its statement; the operator sees the commission earned and pays
shops out. After ``seed_money``:

- commission: the mall default (the built-in 10 %, unless the operator set another)
  and Green Thumb's own rate for Seeds (8 %), so the statements and the revenue page
  show both rules;
- Green Thumb has a paid order (test payment) of the demo customer with two lines,
  two units each, nothing shipped: the owner ships some of it and refunds a line;
- Copper Kettle has an older paid order, shipped in full and released at once:
  the demo skips the 7-day holding period for that one order (``release_order``,
  the call the daily sweep makes when the period is over), so the operator has
  a shop to pay out.

Every amount comes from the real services (checkout submission, fulfilment,
release); nothing here writes a ledger row. Each step is keyed so a re-run finds
what the last run made: the checkouts by a browser token derived from the app's
secret key (stable, and guessable by no one without it), the shipment by its
request key, the release by the ledger's own key.
"""

from __future__ import annotations

import hashlib
import hmac

import sqlalchemy as sa
from flask import current_app

from mall.accounts.models import User
from mall.accounts.services import find_user_by_email
from mall.catalog.models import Category, Product, ProductStatus, Variant
from mall.checkout.services import find_checkout
from mall.demo.selling import CUSTOMER, place_demo_order
from mall.extensions import db
from mall.ledger.commission import commission_settings
from mall.ledger.commission_admin import category_rate, set_category_rate
from mall.ledger.payouts import payout_minimum
from mall.ledger.release import holding_days, release_order
from mall.ledger.statements.summary import money_summary
from mall.money import format_money
from mall.orders.fulfilment import create_shipment
from mall.orders.models import Order, OrderStatus
from mall.orders.services import orders_of_checkout
from mall.orders.shipment_queries import order_lines
from tenants.context import tenant_context
from tenants.models import Tenant

OPERATOR = "olive.operator@mall.example"
OWNER = "maya.member@mall.example"
# (shop, category slug, rate): seed packets sell on thin margins.
CATEGORY_OVERRIDE = ("green-thumb", "seeds", 800)
# (shop, [(product slug, units)]): the order the owner ships in part and refunds a line of.
STORY = (
    "green-thumb",
    [("heirloom-tomato-seed-collection", 2), ("stainless-steel-hand-trowel", 2)],
)
# The older order that is shipped and released, so the shop has money to pay out.
PAID_OUT = ("copper-kettle", [("house-espresso-blend", 2), ("copper-pour-over-kettle", 1)])
SHIPMENT = {"carrier": "royal_mail", "tracking_number": "RM123456785GB"}


def seed_money(shops: dict[str, Tenant]) -> list[str]:
    """Commission rates, the order to ship and refund, a released order; once. Report lines."""
    operator, customer = find_user_by_email(OPERATOR), find_user_by_email(CUSTOMER)
    owner = find_user_by_email(OWNER)
    if operator is None or customer is None or owner is None:
        return []
    _seed_commission(shops, operator)
    paid_out = _seed_order("paid-out", PAID_OUT, shops, customer)  # the older one
    if paid_out is not None:
        _ship_and_release(paid_out, actor=owner)
    story = _seed_order("story", STORY, shops, customer)
    db.session.flush()
    return _report(shops, story, paid_out)


# ---------------------------------------------------------------- commission


def _seed_commission(shops: dict[str, Tenant], operator: User) -> None:
    # The mall default is the built-in 10 % (``commission.MALL_DEFAULT_BP``) until the
    # operator sets another: nothing to store for it. The override is made once, so an
    # operator who changed it in the demo keeps the change.
    slug, category_slug, rate_bp = CATEGORY_OVERRIDE
    category = db.session.scalar(sa.select(Category).where(Category.slug == category_slug))
    shop = shops.get(slug)
    if category is None or shop is None or category_rate(shop.id, category.id) is not None:
        return
    set_category_rate(shop, category_id=category.id, rate_bp=rate_bp, actor_id=operator.id)


# ---------------------------------------------------------------- orders


def demo_token(name: str) -> str:
    """The browser token of the demo's checkout ``name``: stable, secret without the key."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"demo-checkout:{name}".encode(), hashlib.sha256).hexdigest()[:48]


def demo_order(name: str) -> Order | None:
    """The order the demo placed as ``name`` ("story", "paid-out"), if it was placed."""
    checkout = find_checkout(demo_token(name))
    if checkout is None:
        return None
    orders = orders_of_checkout(checkout.id)
    return orders[0] if orders else None


def _seed_order(
    name: str, spec: tuple[str, list[tuple[str, int]]], shops: dict[str, Tenant], customer: User
) -> Order | None:
    found = demo_order(name)
    if found is not None or find_checkout(demo_token(name)) is not None:
        return found
    slug, wanted = spec
    shop = shops.get(slug)
    if shop is None:
        return None
    items = [(_variant(shop, product, units), units) for product, units in wanted]
    if any(variant is None for variant, _ in items):
        return None  # the catalog changed: no story rather than a broken one
    place_demo_order(customer, items, "test", token=demo_token(name))
    return demo_order(name)


def _variant(shop: Tenant, product_slug: str, units: int) -> Variant | None:
    """The product's first variant with stock to spare (so the storefront keeps some)."""
    with tenant_context(shop):
        return db.session.scalar(
            sa.select(Variant)
            .join(Variant.product)
            .where(
                Product.slug == product_slug,
                Product.status == ProductStatus.PUBLISHED,
                Variant.stock_quantity >= units + 3,
            )
            .order_by(Variant.position)
            .limit(1)
        )


def _ship_and_release(order: Order, *, actor: User) -> None:
    """Ship every unit (once: a fixed request key) and release the order's earnings now."""
    with tenant_context(order.tenant_id):
        if order.status is OrderStatus.PAID:
            create_shipment(
                order,
                quantities={line.id: line.quantity for line in order_lines(order)},
                request_key=demo_token("paid-out-shipment")[:40],
                actor_id=actor.id,
                **SHIPMENT,
            )
        if order.fulfilled_at is not None:
            # The demo skips the holding period for this order (the sweep would wait).
            release_order(order.id, order.tenant_id, number=order.number)


# ---------------------------------------------------------------- report


def _report(shops: dict[str, Tenant], story: Order | None, paid_out: Order | None) -> list[str]:
    slug, category, rate_bp = CATEGORY_OVERRIDE
    settings = commission_settings()
    lines = [
        f"Money: mall commission {settings.default_bp / 100:g} %, "
        f"{shops[slug].name if slug in shops else slug} {rate_bp / 100:g} % on {category}."
    ]
    if story is not None:
        lines.append(
            f"  order {story.number} at {STORY[0]} ({story.status.value}): "
            f"ship part of it and refund a line, as {OWNER}."
        )
    if paid_out is not None:
        available = money_summary(paid_out.tenant_id).available
        lines.append(
            f"  order {paid_out.number} at {PAID_OUT[0]} shipped and released at once "
            f"(the demo skips its {holding_days()}-day holding period): "
            f"{format_money(available)} available to pay out (minimum "
            f"{format_money(payout_minimum())}), as {OPERATOR} at /admin/payouts."
        )
    return lines
