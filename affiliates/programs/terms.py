"""A shop's terms for affiliates and its product rates (call in the shop's context).

A shop without an ``affiliate_terms`` row is in the mall program at the mall's rate,
shipping not counted, no lifetime attribution, no private program. Every change is
audited on the shop; saving what is already in effect changes nothing and returns False,
so a double click or a retried form does nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from affiliates.errors import AffiliateError
from affiliates.models import AffiliateProductRate, AffiliateTerms, RateKind
from affiliates.programs.rates import PRODUCT, SHOP, Rate, row_rate
from affiliates.programs.settings import MAX_BP
from mall.catalog.models import Product
from mall.extensions import db
from mall.ledger.commission import percent_text
from mall.money import check_amount
from mall.pagination import MAX_PER_PAGE, Page
from tenants.audit import record_audit
from tenants.context import current_tenant_id
from tenants.models import Tenant

MAX_QUERY = 100
# What a shop without a terms row has (the model's column defaults).
DEFAULT_TERMS: dict[str, Any] = {
    "in_mall_program": True,
    "rate_kind": None,
    "rate_bp": 0,
    "rate_fixed": 0,
    "include_shipping": False,
    "lifetime_attribution": False,
    "private_program": False,
}


def get_terms() -> AffiliateTerms | None:
    """The terms row of the shop in context, or None (the defaults apply)."""
    return db.session.scalar(sa.select(AffiliateTerms))


def _in_context(shop: Tenant) -> None:
    if current_tenant_id() != shop.id:
        raise AffiliateError("Open the shop's own back office to change its affiliate terms.")


def check_rate(
    kind: RateKind | None, bp: int, fixed: int, *, what: str = "The rate"
) -> Rate | None:
    """The rate ``kind``/``bp``/``fixed`` describe (None: no kind, no rate), or AffiliateError."""
    if kind is None:
        return None
    if kind is RateKind.PERCENT:
        if isinstance(bp, bool) or not isinstance(bp, int) or not 0 <= bp <= MAX_BP:
            raise AffiliateError(f"{what} is a percentage between 0 and 100.")
        return Rate(SHOP, kind, bp=bp)
    if isinstance(fixed, bool) or not isinstance(fixed, int):
        raise AffiliateError(f"{what} is an amount such as 2.50.")
    problem = check_amount(fixed)
    if problem:
        raise AffiliateError(problem)
    if fixed == 0:
        raise AffiliateError(f"{what} per item is more than zero: choose a percentage for none.")
    return Rate(SHOP, kind, fixed=fixed)


def _rate_values(rate: Rate | None) -> dict[str, Any]:
    """The row's three rate columns for ``rate`` (None: no rate of its own)."""
    if rate is None:
        return {"rate_kind": None, "rate_bp": 0, "rate_fixed": 0}
    return {"rate_kind": rate.kind, "rate_bp": rate.bp, "rate_fixed": rate.fixed}


def _shown_rate(row: dict[str, Any]) -> str | None:
    """A row's rate for the audit log: ``12.5%``, ``250 per item`` (minor units) or None."""
    if row.get("rate_kind") is None:
        return None
    if row["rate_kind"] is RateKind.FIXED:
        return f"{row['rate_fixed']} per item"
    return f"{percent_text(row['rate_bp'])}%"


def save_terms(
    shop: Tenant,
    *,
    in_mall_program: bool,
    rate_kind: RateKind | None,
    rate_bp: int = 0,
    rate_fixed: int = 0,
    include_shipping: bool,
    lifetime_attribution: bool,
    private_program: bool,
    actor_id: UUID | None,
    ip_address: str | None = None,
) -> bool:
    """Set the shop's terms (``rate_kind`` None: the mall's rate); audited on the shop.

    Applies to sales from now on; commissions already made keep their frozen rate.
    """
    _in_context(shop)
    wanted: dict[str, Any] = {
        "in_mall_program": bool(in_mall_program),
        **_rate_values(check_rate(rate_kind, rate_bp, rate_fixed, what="The shop's rate")),
        "include_shipping": bool(include_shipping),
        "lifetime_attribution": bool(lifetime_attribution),
        "private_program": bool(private_program),
    }
    row = get_terms()
    if row is None:
        try:
            with db.session.begin_nested():
                row = AffiliateTerms(tenant_id=shop.id, **DEFAULT_TERMS)
                db.session.add(row)
                db.session.flush()
        except IntegrityError:  # the same form, sent twice at once: the other request made it
            row = get_terms()
            if row is None:
                raise
    before = {name: getattr(row, name) for name in wanted}
    changed = {name: value for name, value in wanted.items() if before[name] != value}
    if not changed:
        return False
    for name, value in changed.items():
        setattr(row, name, value)
    db.session.flush()
    details: dict[str, Any] = {
        name: [before[name], value]
        for name, value in changed.items()
        if not name.startswith("rate_")
    }
    if {"rate_kind", "rate_bp", "rate_fixed"} & set(changed):
        details["rate"] = [_shown_rate(before), _shown_rate(wanted)]
    record_audit(
        "affiliates.terms_updated",
        actor_id=actor_id,
        target_type="shop",
        target_id=shop.id,
        details={"changed": details},
        ip_address=ip_address,
    )
    return True


# ---------------------------------------------------------------- product rates


@dataclass(frozen=True)
class ProductRateRow:
    """A product with its own affiliate rate, as the list shows it."""

    product_id: UUID
    title: str
    rate: Rate


def product_rates(*, page: int = 1, per_page: int = 25) -> Page:
    """The shop's products with their own rate, by title, a page at a time (two queries).

    Items are ``ProductRateRow``.
    """
    statement = (
        sa.select(AffiliateProductRate, Product.title)
        .join(
            Product,
            (Product.tenant_id == AffiliateProductRate.tenant_id)
            & (Product.id == AffiliateProductRate.product_id),
        )
        .where(AffiliateProductRate.rate_kind.is_not(None))
        .order_by(sa.func.lower(Product.title), Product.id)
    )
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(statement.order_by(None).subquery())
    )
    page, per_page = max(1, page), max(1, min(per_page, MAX_PER_PAGE))
    rows = db.session.execute(statement.limit(per_page).offset((page - 1) * per_page)).all()
    items = [
        ProductRateRow(rate_row.product_id, title, rate)
        for rate_row, title in rows
        if (rate := row_rate(PRODUCT, rate_row)) is not None
    ]
    return Page(items=items, page=page, per_page=per_page, total=total or 0)


def product_rate(product_id: UUID) -> Rate | None:
    """The rate of one product of the shop in context, or None."""
    row = db.session.scalar(
        sa.select(AffiliateProductRate).where(AffiliateProductRate.product_id == product_id)
    )
    return None if row is None else row_rate(PRODUCT, row)


def find_products(query: str, *, limit: int = 20) -> list[Product]:
    """The shop's products whose title contains ``query`` (case-insensitive), by title."""
    typed = query.strip()[:MAX_QUERY]
    if not typed:
        return []
    escaped = typed.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return list(
        db.session.scalars(
            sa.select(Product)
            .where(Product.title.ilike(f"%{escaped}%", escape="\\"))
            .order_by(sa.func.lower(Product.title), Product.id)
            .limit(limit)
        )
    )


def _audit_product(action: str, product: Product, actor: dict[str, Any], **details: Any) -> None:
    record_audit(
        action,
        target_type="shop",
        target_id=product.tenant_id,
        details={"product": str(product.id), **details},
        **actor,
    )


def set_product_rate(
    product: Product,
    *,
    rate_kind: RateKind,
    rate_bp: int = 0,
    rate_fixed: int = 0,
    actor_id: UUID | None,
    ip_address: str | None = None,
) -> bool:
    """Give ``product`` its own affiliate rate (it wins over every other); audited."""
    if product.tenant_id != current_tenant_id():
        raise AffiliateError("Choose a product of this shop.")
    rate = check_rate(rate_kind, rate_bp, rate_fixed, what="The product's rate")
    wanted = _rate_values(rate)
    row = db.session.scalar(
        sa.select(AffiliateProductRate).where(AffiliateProductRate.product_id == product.id)
    )
    if row is None:
        try:
            with db.session.begin_nested():
                row = AffiliateProductRate(tenant_id=product.tenant_id, product_id=product.id)
                db.session.add(row)
                db.session.flush()
        except IntegrityError:  # set twice at once: change the row the other request made
            row = db.session.scalar(
                sa.select(AffiliateProductRate).where(AffiliateProductRate.product_id == product.id)
            )
            if row is None:
                raise
    before = {name: getattr(row, name) for name in wanted}
    if before == wanted:
        return False
    for name, value in wanted.items():
        setattr(row, name, value)
    db.session.flush()
    _audit_product(
        "affiliates.product_rate_set",
        product,
        {"actor_id": actor_id, "ip_address": ip_address},
        rate=[_shown_rate(before), _shown_rate(wanted)],
    )
    return True


def clear_product_rate(
    product: Product, *, actor_id: UUID | None, ip_address: str | None = None
) -> bool:
    """Remove ``product``'s own rate (the shop's or the mall's applies again); audited.

    False when it had none (already removed: a second click changes nothing).
    """
    row = db.session.scalar(
        sa.select(AffiliateProductRate).where(AffiliateProductRate.product_id == product.id)
    )
    if row is None:
        return False
    before = {name: getattr(row, name) for name in ("rate_kind", "rate_bp", "rate_fixed")}
    db.session.delete(row)
    db.session.flush()
    _audit_product(
        "affiliates.product_rate_removed",
        product,
        {"actor_id": actor_id, "ip_address": ip_address},
        rate=[_shown_rate(before), None],
    )
    return True
