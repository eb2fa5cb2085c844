"""The program's forms: the mall program settings, a shop's terms, a product's rate.

Rates are typed as a percentage ("5", "12.5") or an amount per item ("2.50"), with a
choice of which; each form leaves what it parsed on itself (``values``) for the view.
CSRF on every form.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.validators import Length, ValidationError

from affiliates.models import RateKind
from affiliates.programs.settings import (
    MAX_BURST_CLICKS,
    MAX_BURST_MINUTES,
    MAX_COOKIE_DAYS,
    Attribution,
)
from mall.catalog.forms import choices
from mall.ledger.forms import parse_percent
from mall.ledger.release import MAX_HOLDING_DAYS
from mall.money import MoneyError, parse_money
from mall.numbers import NumberError, parse_whole

MAX_TYPED = 20
SHORT = Length(max=MAX_TYPED, message=f"Enter at most {MAX_TYPED} characters.")
KIND_CHOICES = [
    (RateKind.PERCENT.value, "A percentage of the sale"),
    (RateKind.FIXED.value, "A fixed amount per item sold"),
]
KINDS = choices(KIND_CHOICES)


def parse_rate(kind: str | None, text: str | None, *, what: str) -> tuple[RateKind, int, int]:
    """(kind, basis points, fixed minor units) from what was typed; ValidationError if bad."""
    try:
        chosen = RateKind(kind or "")
    except ValueError:
        raise ValidationError("Choose a percentage or a fixed amount.") from None
    if chosen is RateKind.PERCENT:
        return chosen, parse_percent(text, what=what), 0
    try:
        fixed = parse_money(text)
    except MoneyError as bad:
        raise ValidationError(str(bad)) from None
    if fixed == 0:
        raise ValidationError("Enter an amount per item above zero, e.g. 2.50.")
    return chosen, 0, fixed


def _whole(text: str | None, low: int, high: int) -> int:
    try:
        return parse_whole(text, minimum=low, maximum=high)
    except NumberError as bad:
        raise ValidationError(str(bad)) from None


def _amount(text: str | None, *, empty: int | None = None) -> int:
    typed = (text or "").strip()
    if not typed and empty is not None:
        return empty
    try:
        return parse_money(typed)
    except MoneyError as bad:
        raise ValidationError(str(bad)) from None


class ProgramSettingsForm(FlaskForm):
    """The mall program: its rate, the cookie, attribution, holding, payouts, tier 2, checks."""

    rate_kind = SelectField("The mall's rate is", choices=KINDS, validate_choice=False)
    rate_value = StringField("Mall rate", validators=[SHORT])
    cookie_days = StringField("Cookie lifetime (days)", validators=[SHORT])
    attribution = SelectField(
        "Which click wins",
        choices=choices(
            [
                (Attribution.LAST.value, "The last click (the newest)"),
                (Attribution.FIRST.value, "The first click (the oldest still valid)"),
            ]
        ),
        validate_choice=False,
    )
    holding_days = StringField("Holding period (days)", validators=[SHORT])
    min_payout = StringField("Minimum payout", validators=[SHORT])
    tier2_enabled = BooleanField(
        "Second tier: recruiters earn a share of their recruits' commissions"
    )
    tier2_percent = StringField(
        "Second-tier share (% of the recruit's commission)", validators=[SHORT]
    )
    review_above = StringField("Review commissions above", validators=[SHORT])
    burst_clicks = StringField("Burst rule: at most this many clicks…", validators=[SHORT])
    burst_minutes = StringField("…from one visitor within (minutes)", validators=[SHORT])

    values: dict[str, Any]

    def _tier2_bp(self) -> int | None:
        """The share; left empty while the second tier is off, it keeps what it was (None)."""
        typed = (self.tier2_percent.data or "").strip()
        if not typed and not self.tier2_enabled.data:
            return None
        return parse_percent(typed, what="the second-tier share")

    def validate(self, extra_validators: Any = None) -> bool:
        """Parse every field; ``values`` holds the settings, by ``ProgramSettings`` name."""
        ok = super().validate(extra_validators)
        values: dict[str, Any] = {}
        parsers = {
            "cookie_days": lambda: _whole(self.cookie_days.data, 1, MAX_COOKIE_DAYS),
            "holding_days": lambda: _whole(self.holding_days.data, 0, MAX_HOLDING_DAYS),
            "min_payout": lambda: _amount(self.min_payout.data),
            "tier2_bp": self._tier2_bp,
            "review_above": lambda: _amount(self.review_above.data, empty=0),
            "burst_clicks": lambda: _whole(self.burst_clicks.data, 1, MAX_BURST_CLICKS),
            "burst_minutes": lambda: _whole(self.burst_minutes.data, 1, MAX_BURST_MINUTES),
        }
        fields = {"tier2_bp": self.tier2_percent}
        for name, parse in parsers.items():
            field = fields.get(name) or self[name]
            if field.errors:
                continue
            try:
                value = parse()
            except ValidationError as bad:
                field.errors = [*field.errors, str(bad)]
                ok = False
            else:
                if value is not None:
                    values[name] = value
        try:
            kind, bp, fixed = parse_rate(
                self.rate_kind.data, self.rate_value.data, what="the mall's rate"
            )
            values.update(rate_kind=kind, rate_bp=bp, rate_fixed=fixed)
        except ValidationError as bad:
            self.rate_value.errors = [*self.rate_value.errors, str(bad)]
            ok = False
        if self.attribution.data not in {rule.value for rule in Attribution}:
            self.attribution.errors = [
                *self.attribution.errors,
                "Choose the first or the last click.",
            ]
            ok = False
        else:
            values["attribution"] = Attribution(self.attribution.data)
        values["tier2_enabled"] = bool(self.tier2_enabled.data)
        self.values = values
        return ok


class TermsForm(FlaskForm):
    """A shop's terms: in or out of the mall program, its own rate, what counts, private program."""

    in_mall_program = BooleanField("Take part in the mall's affiliate program")
    rate_kind = SelectField("Affiliates earn", choices=[], validate_choice=False)
    rate_value = StringField("The shop's rate", validators=[SHORT])
    include_shipping = BooleanField("Count shipping in the amount commissions are paid on")
    lifetime_attribution = BooleanField(
        "Lifetime attribution: a customer's later orders earn their affiliate too"
    )
    private_program = BooleanField("Run a private program with affiliates the shop invites")

    values: dict[str, Any]

    def __init__(self, *args: Any, mall_rate: str = "", **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.rate_kind.choices = choices(
            [
                ("", f"The mall's rate ({mall_rate})" if mall_rate else "The mall's rate"),
                *KIND_CHOICES,
            ]
        )

    def validate(self, extra_validators: Any = None) -> bool:
        """``values``: the keyword arguments of ``save_terms`` (actor apart)."""
        ok = super().validate(extra_validators)
        values: dict[str, Any] = {
            "in_mall_program": bool(self.in_mall_program.data),
            "include_shipping": bool(self.include_shipping.data),
            "lifetime_attribution": bool(self.lifetime_attribution.data),
            "private_program": bool(self.private_program.data),
            "rate_kind": None,
            "rate_bp": 0,
            "rate_fixed": 0,
        }
        if self.rate_kind.data and not self.rate_value.errors:
            try:
                kind, bp, fixed = parse_rate(
                    self.rate_kind.data, self.rate_value.data, what="the shop's rate"
                )
                values.update(rate_kind=kind, rate_bp=bp, rate_fixed=fixed)
            except ValidationError as bad:
                self.rate_value.errors = [*self.rate_value.errors, str(bad)]
                ok = False
        self.values = values
        return ok


class ProductRateForm(FlaskForm):
    """One product's own rate."""

    product_id = HiddenField()
    rate_kind = SelectField("Affiliates earn", choices=KINDS, validate_choice=False)
    rate_value = StringField("Rate for this product", validators=[SHORT])

    values: dict[str, Any]
    product_uuid: UUID | None = None

    def validate(self, extra_validators: Any = None) -> bool:
        """``values``: rate_kind, rate_bp, rate_fixed; ``product_uuid`` the product's id."""
        ok = super().validate(extra_validators)
        try:
            self.product_uuid = UUID(self.product_id.data or "")
        except ValueError:
            self.product_uuid = None
        self.values = {}
        if not self.rate_value.errors:
            try:
                kind, bp, fixed = parse_rate(
                    self.rate_kind.data, self.rate_value.data, what="the product's rate"
                )
                self.values = {"rate_kind": kind, "rate_bp": bp, "rate_fixed": fixed}
            except ValidationError as bad:
                self.rate_value.errors = [*self.rate_value.errors, str(bad)]
                ok = False
        return ok


class ConfirmForm(FlaskForm):
    """A button that changes something (CSRF only)."""
