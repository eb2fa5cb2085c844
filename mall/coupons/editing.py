"""Making and changing coupons: a shop's (back office) and the mall's (operator console).

Shop coupon services work in the shop in context (views run in it; tests enter it).
Every value stored is checked here (the forms check first, for the messages next to the
fields); refusals are ``InvalidCoupon`` with one message per field. Flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa

from mall.catalog.models import Category, Product
from mall.coupons.errors import InvalidCoupon
from mall.coupons.models import CouponFields, MallCoupon, ShopCoupon
from mall.coupons.rules import CouponKind
from mall.coupons.services import CODE_PATTERN, normalise_code
from mall.extensions import db
from mall.money import check_amount
from mall.numbers import MAX_COUNT, check_whole
from mall.pagination import Page, paginate
from tenants.audit import record_audit
from tenants.guard import scoped_get

MAX_PERCENT_BP = 10_000  # 100 %
MAX_CHOICES = 1_000  # products offered in the restriction picker
MAX_RESTRICTIONS = 200  # products or categories one coupon may name


@dataclass(frozen=True)
class CouponInput:
    """A coupon's fields as typed (amounts in minor units, percentages in basis points)."""

    code: str
    kind: str
    starts_at: datetime
    percent_bp: int = 0
    amount: int = 0
    minimum_subtotal: int = 0
    ends_at: datetime | None = None
    usage_limit: int | None = None
    per_customer_limit: int | None = None
    product_ids: list[UUID] = field(default_factory=list)
    category_ids: list[UUID] = field(default_factory=list)
    active: bool = True


# ---------------------------------------------------------------- reading


def get_shop_coupon(coupon_id: UUID | str | None) -> ShopCoupon | None:
    """A coupon of the shop in context, or None (another shop's id is None too)."""
    return scoped_get(ShopCoupon, coupon_id)


def get_mall_coupon(coupon_id: UUID | str | None) -> MallCoupon | None:
    """A mall coupon by id, or None."""
    try:
        key = coupon_id if isinstance(coupon_id, UUID) else UUID(str(coupon_id))
    except ValueError:
        return None
    return db.session.get(MallCoupon, key)


def shop_coupon_list(*, page: int = 1, per_page: int = 25) -> Page:
    """One page of the shop's coupons, by code."""
    return paginate(sa.select(ShopCoupon).order_by(ShopCoupon.code), page=page, per_page=per_page)


def mall_coupon_list(*, page: int = 1, per_page: int = 25) -> Page:
    """One page of the mall's coupons, by code."""
    return paginate(sa.select(MallCoupon).order_by(MallCoupon.code), page=page, per_page=per_page)


def product_choices() -> list[tuple[str, str]]:
    """The shop's products (id, title) a coupon may be restricted to, by title."""
    rows = db.session.execute(
        sa.select(Product.id, Product.title).order_by(Product.title, Product.id).limit(MAX_CHOICES)
    )
    return [(str(id), title) for id, title in rows]


# ---------------------------------------------------------------- changing


def create_shop_coupon(data: CouponInput) -> ShopCoupon:
    """Add a coupon to the shop in context (funded by the shop)."""
    coupon = ShopCoupon(**_check(data, ShopCoupon, None))
    db.session.add(coupon)
    db.session.flush()
    return coupon


def update_shop_coupon(coupon: ShopCoupon, data: CouponInput) -> bool:
    """Save a shop coupon's new values (its count of uses stays); False when nothing changed."""
    return _apply(coupon, _check(data, ShopCoupon, coupon.id))


def create_mall_coupon(data: CouponInput, *, actor_id: UUID | None) -> MallCoupon:
    """Add a mall coupon (funded by the platform) made by the operator ``actor_id``."""
    values = _check(data, MallCoupon, None)
    coupon = MallCoupon(created_by_id=actor_id, **values)
    db.session.add(coupon)
    db.session.flush()
    return coupon


def update_mall_coupon(coupon: MallCoupon, data: CouponInput) -> bool:
    """Save a mall coupon's new values (its count of uses stays); False when nothing changed."""
    return _apply(coupon, _check(data, MallCoupon, coupon.id))


def set_coupon_active(coupon: ShopCoupon | MallCoupon, *, active: bool) -> bool:
    """Stop a coupon being used, or allow it again; False when it already was so."""
    if coupon.active == active:
        return False
    coupon.active = active
    db.session.flush()
    return True


def set_coupon_affiliate(
    coupon: ShopCoupon | MallCoupon, affiliate_id: UUID | None, *, actor_id: UUID | None
) -> bool:
    """Attribute the coupon's sales to the affiliate ``affiliate_id`` (None: to nobody); the
    caller checked the affiliate may earn there. False when it already was so; audited."""
    if coupon.affiliate_id == affiliate_id:
        return False
    coupon.affiliate_id = affiliate_id
    db.session.flush()
    shop_id = getattr(coupon, "tenant_id", None)
    record_audit(
        "coupon.affiliate_set" if affiliate_id is not None else "coupon.affiliate_removed",
        actor_id=actor_id,
        target_type="shop_coupon" if shop_id is not None else "mall_coupon",
        target_id=coupon.id,
        details={
            "code": coupon.code,
            "affiliate_id": str(affiliate_id) if affiliate_id else None,
            **({"shop_id": str(shop_id)} if shop_id is not None else {}),
        },
    )
    return True


def _apply(coupon: CouponFields, values: dict) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(coupon, name) != value:
            setattr(coupon, name, value)
            changed = True
    db.session.flush()
    return changed


def _check(data: CouponInput, model: type, exclude: UUID | None) -> dict:
    """The values to store, or ``InvalidCoupon`` naming every problem."""
    errors: dict[str, str] = {}
    values: dict = {}
    code = normalise_code(data.code)
    if not CODE_PATTERN.fullmatch(code):
        errors["code"] = "Use 3 to 32 letters, digits, dashes (-) or underscores (_)."
    elif _code_taken(model, code, exclude):
        errors["code"] = f"Another coupon already has the code {code}."
    values["code"] = code
    try:
        kind = CouponKind(data.kind)
    except ValueError:
        errors["kind"] = "Choose a percentage or a fixed amount."
        kind = CouponKind.PERCENT
    values["kind"] = kind
    values["percent_bp"] = values["amount"] = 0
    if kind == CouponKind.PERCENT:
        if not 0 < data.percent_bp <= MAX_PERCENT_BP:
            errors["percent"] = "Enter a percentage above 0 and at most 100."
        values["percent_bp"] = data.percent_bp
    else:
        if data.amount <= 0:
            errors["amount"] = "Enter an amount above zero."
        elif message := check_amount(data.amount):
            errors["amount"] = message
        values["amount"] = data.amount
    if message := check_amount(data.minimum_subtotal):
        errors["minimum_subtotal"] = message
    values["minimum_subtotal"] = data.minimum_subtotal
    if data.ends_at is not None and data.ends_at <= data.starts_at:
        errors["ends_on"] = "The coupon must end after it starts."
    values["starts_at"], values["ends_at"] = data.starts_at, data.ends_at
    for name in ("usage_limit", "per_customer_limit"):
        limit = getattr(data, name)
        if limit is not None and (message := check_whole(limit, minimum=1, maximum=MAX_COUNT)):
            errors[name] = message
        values[name] = limit
    if model is ShopCoupon:
        if not _all_exist(Product, data.product_ids):
            errors["products"] = "Choose products from the list."
        values["product_ids"] = sorted({id.hex for id in data.product_ids})
    elif data.product_ids:
        errors["products"] = "A mall coupon cannot be restricted to a shop's products."
    if not _all_exist(Category, data.category_ids):
        errors["categories"] = "Choose categories from the list."
    values["category_ids"] = sorted({id.hex for id in data.category_ids})
    values["active"] = bool(data.active)
    if errors:
        raise InvalidCoupon(errors)
    return values


def _code_taken(model: type, code: str, exclude: UUID | None) -> bool:
    # For a shop coupon the guard limits this to the shop in context.
    statement = sa.select(model.id).where(model.code == code)
    if exclude is not None:
        statement = statement.where(model.id != exclude)
    return db.session.scalar(statement.limit(1)) is not None


def _all_exist(model: type, ids: list[UUID]) -> bool:
    """True when every id is a row of ``model`` (products: of the shop in context)."""
    wanted = set(ids)
    if not wanted:
        return True
    if len(wanted) > MAX_RESTRICTIONS:
        return False
    found = db.session.scalar(sa.select(sa.func.count()).where(model.id.in_(wanted)))
    return found == len(wanted)
