"""Platform commission: which rate applies (decided in one place), frozen per order line.

Which rate (``rate_for``), for a line of shop S whose product is in category C:

1. S's override for C, or else for C's parent, grandparent… : the nearest
   ancestor that has an override in S (rule ``category: <name>``);
2. S's own rate, its ``commission_rates`` row without a category (``shop rate``);
3. the mall default, platform setting ``commission.default_bp`` (``mall default``,
   10 % when never set).

A product without a category, or deleted since, skips step 1. Shipping, when
the operator counts it (``commission.include_shipping``), goes at the shop-level
rate (step 2, else 3).

Frozen (``freeze_commission``, when the order is paid): one ``order_commissions``
row per order line, plus one for the shipping when it counts, each with its rate,
the rule that chose it, its base, its amount (half-up) and the tax on the
platform's fee (``commission.fee_tax_bp``). Refunds reverse at these stored
values; changing a rate later never touches them. ``Order.commission_rate_bp``
is None until the order is frozen.

The operator's changes (settings, a shop's rate, category overrides) are
audited; repeating one that is already in effect changes nothing and returns False.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from mall.catalog.models import Category, Product
from mall.extensions import db
from mall.ledger.errors import LedgerError
from mall.ledger.models import CommissionRate, OrderCommission
from mall.money import apply_rate
from mall.orders.models import Order, OrderLine
from tenants.models import PlatformSetting

DEFAULT_BP = "commission.default_bp"
INCLUDE_SHIPPING = "commission.include_shipping"
FEE_TAX_BP = "commission.fee_tax_bp"
MALL_DEFAULT_BP = 1000  # 10 % when the operator never set one
MAX_BP = 10_000
SHOP_RULE = "shop rate"
DEFAULT_RULE = "mall default"
CATEGORY_RULE = "category: "
RULE_LENGTH = 64  # order_commissions.rule
MAX_DEPTH = 32  # past any real category tree; stops a cycle, should one ever be stored
SHOP = "shop"  # rate_for key of the shop-level rate (shipping, Order.commission_rate_bp)

K = TypeVar("K", bound=Hashable)


class CommissionError(LedgerError):
    """An operator's commission change that cannot be made; the message says why."""


class Rate(NamedTuple):
    """A rate in basis points and the rule that chose it (``category: Lamps``)."""

    rate_bp: int
    rule: str


@dataclass(frozen=True)
class CommissionSettings:
    """The operator's mall-wide settings, defaults filled in."""

    default_bp: int = MALL_DEFAULT_BP
    include_shipping: bool = False
    fee_tax_bp: int = 0


def percent_text(rate_bp: int) -> str:
    """1250 -> ``"12.5"``: a rate as the operator types it."""
    whole, cents = divmod(rate_bp, 100)
    return f"{whole}.{cents:02d}".rstrip("0").rstrip(".") if cents else str(whole)


def _bp(value: Any, default: int) -> int:
    """A stored rate, or ``default`` when it is missing or not a rate."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_BP:
        return default
    return value


def commission_settings() -> CommissionSettings:
    """The commission settings (one query)."""
    keys = (DEFAULT_BP, INCLUDE_SHIPPING, FEE_TAX_BP)
    stored = dict(
        db.session.execute(
            sa.select(PlatformSetting.key, PlatformSetting.value).where(
                PlatformSetting.key.in_(keys)
            )
        ).all()
    )
    return CommissionSettings(
        default_bp=_bp(stored.get(DEFAULT_BP), MALL_DEFAULT_BP),
        include_shipping=stored.get(INCLUDE_SHIPPING) is True,
        fee_tax_bp=_bp(stored.get(FEE_TAX_BP), 0),
    )


# ---------------------------------------------------------------- which rate


def _rate_rows(shop_id: UUID) -> list[tuple[UUID | None, int, str | None]]:
    """The shop's rows (category id or None for its own rate, rate, category name), one query."""
    return list(
        db.session.execute(
            sa.select(CommissionRate.category_id, CommissionRate.rate_bp, Category.name)
            .outerjoin(Category, Category.id == CommissionRate.category_id)
            .where(CommissionRate.shop_id == shop_id)
        ).all()
    )


def _shop_level(
    rows: list[tuple[UUID | None, int, str | None]], settings: CommissionSettings | None
) -> Rate:
    """The shop's own rate when it has one, else the mall default."""
    own = next((rate_bp for category_id, rate_bp, _ in rows if category_id is None), None)
    if own is not None:
        return Rate(own, SHOP_RULE)
    return Rate((settings or commission_settings()).default_bp, DEFAULT_RULE)


def _category_rule(name: str) -> str:
    rule = f"{CATEGORY_RULE}{name}"
    return rule if len(rule) <= RULE_LENGTH else rule[: RULE_LENGTH - 1] + "…"


def _ancestors(category_ids: set[UUID]) -> dict[UUID, list[UUID]]:
    """Each category with its ancestors, nearest first (one recursive query)."""
    up = (
        sa.select(
            Category.id.label("start"),
            Category.id.label("id"),
            Category.parent_id.label("parent_id"),
            sa.literal(0).label("depth"),
        )
        .where(Category.id.in_(category_ids))
        .cte("up", recursive=True)
    )
    up = up.union_all(
        sa.select(up.c.start, Category.id, Category.parent_id, up.c.depth + 1)
        .select_from(up)
        .join(Category, Category.id == up.c.parent_id)
        .where(up.c.depth < MAX_DEPTH)
    )
    chains: dict[UUID, list[UUID]] = {}
    rows = db.session.execute(sa.select(up.c.start, up.c.id).order_by(up.c.start, up.c.depth))
    for start, category_id in rows.all():
        chains.setdefault(start, []).append(category_id)
    return chains


def rate_for(
    shop_id: UUID,
    category_ids_by_line: Mapping[K, UUID | None],
    *,
    settings: CommissionSettings | None = None,
) -> dict[K, Rate]:
    """The rate of each line of ``shop_id`` from its product's category (None: no category).

    Precedence: the shop's override for the category, or for its nearest ancestor
    that has one (``category: <name>``) > the shop's own rate (``shop rate``) > the
    mall default (``mall default``). At most three queries, whatever the number of lines.
    """
    rows = _rate_rows(shop_id)
    shop_rate = _shop_level(rows, settings)
    overrides = {
        category_id: Rate(rate_bp, _category_rule(name or ""))
        for category_id, rate_bp, name in rows
        if category_id is not None
    }
    wanted = {category for category in category_ids_by_line.values() if category is not None}
    chains = _ancestors(wanted) if overrides and wanted else {}
    rates: dict[K, Rate] = {}
    for key, category_id in category_ids_by_line.items():
        chain = chains.get(category_id, []) if category_id is not None else []
        found = next((overrides[c] for c in chain if c in overrides), None)
        rates[key] = found or shop_rate
    return rates


def shop_rate(shop_id: UUID, *, settings: CommissionSettings | None = None) -> Rate:
    """The shop-level rate (its own, else the mall default): ``rate_for`` without a category."""
    return rate_for(shop_id, {SHOP: None}, settings=settings)[SHOP]


# ---------------------------------------------------------------- frozen per line


def line_base(line: OrderLine) -> int:
    """What commission is charged on: the line net of tax and of the shop-funded discount.

    The platform-funded discount does not lower it: the platform pays that part.
    """
    return max(0, line.total - line.tax + line.discount_platform)


def shipping_base(order: Order) -> int:
    """The shipping net of its tax."""
    return max(0, order.shipping_amount - (order.shipping_tax if order.prices_include_tax else 0))


def _stored(order: Order) -> list[OrderCommission]:
    """The order's frozen rows in line order, the shipping's last."""
    line = aliased(OrderLine)
    return list(
        db.session.scalars(
            sa.select(OrderCommission)
            .outerjoin(
                line,
                (line.tenant_id == OrderCommission.tenant_id)
                & (line.id == OrderCommission.order_line_id),
            )
            .where(OrderCommission.order_id == order.id)
            .order_by(line.position.is_(None), line.position, OrderCommission.id)
        )
    )


def _product_categories(shop_id: UUID, product_ids: set[UUID]) -> dict[UUID, UUID | None]:
    """Product id -> category id, one query; deleted products are simply missing."""
    if not product_ids:
        return {}
    rows = db.session.execute(
        sa.select(Product.id, Product.category_id).where(
            Product.tenant_id == shop_id, Product.id.in_(product_ids)
        )
    )
    return dict(rows.all())


def _row(
    order: Order, line_id: UUID | None, rate: Rate, base: int, settings: CommissionSettings
) -> OrderCommission:
    amount = apply_rate(base, rate.rate_bp)
    return OrderCommission(
        tenant_id=order.tenant_id,
        order_id=order.id,
        order_line_id=line_id,
        rule=rate.rule,
        rate_bp=rate.rate_bp,
        base=base,
        amount=amount,
        fee_tax=apply_rate(amount, settings.fee_tax_bp),
        reversed=0,
        reversed_fee_tax=0,
    )


def freeze_commission(order: Order) -> list[OrderCommission]:
    """Freeze the paid order's commission: one row per line (and the shipping's, if it counts).

    Call in the shop's context when the order is paid. Idempotent: an order already
    frozen (``commission_rate_bp`` set) returns its stored rows; of two concurrent
    calls, the conditional UPDATE lets one write and the other read what it wrote.
    Sets ``order.commission`` (the sum) and ``order.commission_rate_bp`` (the shop-level
    rate then). A fixed number of queries, whatever the number of lines.
    """
    if order.commission_rate_bp is not None:
        return _stored(order)
    settings = commission_settings()
    lines = list(order.lines)
    categories = _product_categories(order.tenant_id, {line.product_id for line in lines})
    wanted: dict[Hashable, UUID | None] = {
        line.id: categories.get(line.product_id) for line in lines
    }
    wanted[SHOP] = None
    rates = rate_for(order.tenant_id, wanted, settings=settings)
    rows = [_row(order, line.id, rates[line.id], line_base(line), settings) for line in lines]
    if settings.include_shipping and shipping_base(order) > 0:
        rows.append(_row(order, None, rates[SHOP], shipping_base(order), settings))
    total = sum(row.amount for row in rows)
    claimed = db.session.execute(
        sa.update(Order)
        .where(Order.id == order.id, Order.commission_rate_bp.is_(None))
        .values(commission=total, commission_rate_bp=rates[SHOP].rate_bp)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount == 0:  # frozen meanwhile by another transaction
        db.session.refresh(order, ["commission", "commission_rate_bp"])
        return _stored(order)
    # What the UPDATE wrote, without flushing it again.
    set_committed_value(order, "commission", total)
    set_committed_value(order, "commission_rate_bp", rates[SHOP].rate_bp)
    db.session.add_all(rows)
    db.session.flush()
    return rows


@dataclass(frozen=True)
class CommissionLine:
    """One frozen row as shown: what it is on, the rule, rate, base, amounts."""

    label: str  # the order line's title, or "Shipping"
    rule: str
    rate_bp: int
    base: int
    amount: int
    fee_tax: int
    reversed: int
    reversed_fee_tax: int

    @property
    def net(self) -> int:
        """The commission kept after refunds."""
        return self.amount - self.reversed


@dataclass(frozen=True)
class CommissionSummary:
    """An order's frozen commission, line by line, with totals."""

    lines: list[CommissionLine]
    rate_bp: int | None  # the shop-level rate when paid; None: not frozen (not paid)

    def total(self, field: str) -> int:
        """The sum of one column: ``amount``, ``fee_tax``, ``reversed``, ``net``…"""
        return sum(getattr(line, field) for line in self.lines)


def commission_summary(order: Order) -> CommissionSummary:
    """The order's commission for display (one query; call in the shop's context)."""
    line = aliased(OrderLine)
    rows = db.session.execute(
        sa.select(OrderCommission, line.title)
        .outerjoin(
            line,
            (line.tenant_id == OrderCommission.tenant_id)
            & (line.id == OrderCommission.order_line_id),
        )
        .where(OrderCommission.order_id == order.id)
        .order_by(line.position.is_(None), line.position, OrderCommission.id)
    ).all()
    return CommissionSummary(
        lines=[
            CommissionLine(
                label="Shipping" if row.order_line_id is None else (title or "(line removed)"),
                rule=row.rule,
                rate_bp=row.rate_bp,
                base=row.base,
                amount=row.amount,
                fee_tax=row.fee_tax,
                reversed=row.reversed,
                reversed_fee_tax=row.reversed_fee_tax,
            )
            for row, title in rows
        ],
        rate_bp=order.commission_rate_bp,
    )


# ---------------------------------------------------------------- what the shop sees


@dataclass(frozen=True)
class CategoryRate:
    """A category override of one shop."""

    category_id: UUID
    name: str
    rate_bp: int


@dataclass(frozen=True)
class ShopRates:
    """A shop's commission terms, read-only (the shop's Money page)."""

    shop: Rate  # the shop-level rate and where it comes from ("shop rate", "mall default")
    categories: list[CategoryRate]  # overrides, by category name
    include_shipping: bool  # commission is charged on shipping too
    fee_tax_bp: int  # tax charged on the commission (0: none)


def shop_rates(shop_id: UUID) -> ShopRates:
    """The rates that apply to ``shop_id``'s sales now (two queries)."""
    settings = commission_settings()
    rows = _rate_rows(shop_id)
    categories = [
        CategoryRate(category_id, name or "", rate_bp)
        for category_id, rate_bp, name in rows
        if category_id is not None
    ]
    return ShopRates(
        shop=_shop_level(rows, settings),
        categories=sorted(categories, key=lambda rate: (rate.name.lower(), str(rate.category_id))),
        include_shipping=settings.include_shipping,
        fee_tax_bp=settings.fee_tax_bp,
    )
