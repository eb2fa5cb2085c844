"""The coupon form (shop back office and operator console): amounts, percentages, dates
and limits parsed here, with a message next to each field that is wrong.

Dates are days in UTC: a coupon is valid from the start of its first day to the end of
its last day (stored as the next midnight, exclusive).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, SelectMultipleField, StringField
from wtforms.validators import AnyOf

from mall.catalog.forms import category_choices, choices
from mall.coupons.editing import CouponInput
from mall.coupons.models import CouponFields, ShopCoupon
from mall.coupons.rules import CouponKind
from mall.money import MoneyError, parse_money, to_decimal_text
from mall.numbers import NumberError, parse_whole

FIRST_YEAR, LAST_YEAR = 2000, 2999
KINDS = [(CouponKind.PERCENT.value, "Percentage off"), (CouponKind.FIXED.value, "Fixed amount off")]


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def parse_percent(text: str | None) -> int:
    """``"12.5"`` -> ``1250`` basis points; ``MoneyError`` unless above 0, at most 100,
    with at most two decimals."""
    try:
        value = Decimal((text or "").strip().rstrip("%").strip())
    except InvalidOperation:
        raise MoneyError("Enter a percentage such as 10 or 12.5.") from None
    if not value.is_finite() or not 0 < value <= 100:
        raise MoneyError("Enter a percentage above 0 and at most 100.")
    bp = value * 100
    if bp != bp.to_integral_value():
        raise MoneyError("Use at most 2 decimal places.")
    return int(bp)


def percent_text(bp: int) -> str:
    """``1250`` -> ``"12.5"``."""
    return f"{Decimal(bp) / 100:f}".rstrip("0").rstrip(".") if bp % 100 else str(bp // 100)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


class CouponForm(FlaskForm):
    """A coupon; ``to_input()`` parses it (None, with field errors, when it cannot).

    ``products=False`` (mall coupons) leaves the product restriction out.
    """

    code = StringField("Code", filters=[_strip], render_kw={"maxlength": 32})
    kind = SelectField("Discount", choices=choices(KINDS), validate_choice=False)
    percent = StringField("Percentage off (%)", filters=[_strip])
    amount = StringField("Amount off", filters=[_strip])
    minimum_subtotal = StringField("Minimum subtotal (optional)", filters=[_strip])
    starts_on = StringField("First day", filters=[_strip], render_kw={"type": "date"})
    ends_on = StringField("Last day (optional)", filters=[_strip], render_kw={"type": "date"})
    usage_limit = StringField("Uses in all (optional)", filters=[_strip])
    per_customer_limit = StringField("Uses per customer (optional)", filters=[_strip])
    products = SelectMultipleField("Only these products (optional)", validate_choice=False)
    categories = SelectMultipleField("Only these categories (optional)", validate_choice=False)
    active = BooleanField("Customers may use it", default=True)

    def __init__(self, *args: Any, products: list[tuple[str, str]] | None = None, **kw: Any):
        super().__init__(*args, **kw)
        if products is None:
            del self.products
        else:
            self.products.choices = choices(products)
        self.categories.choices = choices(category_choices())
        if not self.is_submitted() and not self.starts_on.data:
            self.starts_on.data = datetime.now(UTC).date().isoformat()

    def fill(self, coupon: CouponFields) -> None:
        """Show a saved coupon's values (GET of the edit page)."""
        self.code.data = coupon.code
        self.kind.data = coupon.kind.value
        self.percent.data = percent_text(coupon.percent_bp) if coupon.percent_bp else ""
        self.amount.data = to_decimal_text(coupon.amount) if coupon.amount else ""
        minimum = coupon.minimum_subtotal
        self.minimum_subtotal.data = to_decimal_text(minimum) if minimum else ""
        self.starts_on.data = coupon.starts_at.date().isoformat()
        last = coupon.ends_at - timedelta(days=1) if coupon.ends_at else None
        self.ends_on.data = last.date().isoformat() if last else ""
        self.usage_limit.data = str(coupon.usage_limit or "")
        self.per_customer_limit.data = str(coupon.per_customer_limit or "")
        if isinstance(coupon, ShopCoupon) and "products" in self:
            self.products.data = [str(UUID(hex=h)) for h in coupon.product_ids]
        self.categories.data = [str(UUID(hex=h)) for h in coupon.category_ids]
        self.active.data = coupon.active

    def to_input(self) -> CouponInput | None:
        """The parsed input, or None with messages on the fields."""
        if not self.validate():
            return None
        kind = self.kind.data or ""
        percent_bp = amount = 0
        if kind == CouponKind.PERCENT.value:
            percent_bp = self._parse(self.percent, parse_percent) or 0
        elif kind == CouponKind.FIXED.value:
            amount = self._parse(self.amount, parse_money) or 0
        minimum = self._parse(self.minimum_subtotal, parse_money, optional=True) or 0
        first = self._parse(self.starts_on, _parse_day)
        last = self._parse(self.ends_on, _parse_day, optional=True)
        if first and last and last < first:
            self.ends_on.errors = ["The last day cannot be before the first day."]
        limits = [
            self._parse(f, _parse_limit, optional=True)
            for f in (self.usage_limit, self.per_customer_limit)
        ]
        product_ids = self._ids(self.products) if "products" in self else []
        category_ids = self._ids(self.categories)
        if any(f.errors for f in self) or first is None:
            return None
        return CouponInput(
            code=self.code.data or "",
            kind=kind,
            percent_bp=percent_bp,
            amount=amount,
            minimum_subtotal=minimum,
            starts_at=_day_start(first),
            ends_at=_day_start(last + timedelta(days=1)) if last else None,
            usage_limit=limits[0],
            per_customer_limit=limits[1],
            product_ids=product_ids,
            category_ids=category_ids,
            active=bool(self.active.data),
        )

    def _parse(self, field: Any, parse: Any, *, optional: bool = False) -> Any:
        if optional and not field.data:
            return None
        try:
            return parse(field.data)
        except (MoneyError, NumberError) as error:
            field.errors = [str(error)]
            return None

    def _ids(self, field: Any) -> list[UUID]:
        try:
            return [UUID(raw) for raw in field.data or []]
        except ValueError:
            field.errors = ["Choose from the list."]
            return []

    def file_errors(self, errors: dict[str, str]) -> None:
        """Show a service's refusals next to the fields."""
        for name, message in errors.items():
            target = getattr(self, name, None) or self.code
            target.errors = [message]


def _parse_day(text: str | None) -> date:
    try:
        day = date.fromisoformat((text or "").strip())
    except ValueError:
        raise NumberError("Enter a date such as 2027-03-31.") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:  # and the day after the last stays a date
        raise NumberError(f"Enter a date from {FIRST_YEAR} to {LAST_YEAR}.")
    return day


def _parse_limit(text: str | None) -> int:
    return parse_whole(text, minimum=1)


class ActiveForm(FlaskForm):
    """Stop a coupon or allow it again (the wanted state: repeating changes nothing)."""

    active = HiddenField(validators=[AnyOf(["0", "1"])])
