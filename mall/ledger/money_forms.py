"""Forms of the money pages: a shop's dispute evidence, the operator's adjustments and assignments.

CSRF on every one. Amounts are typed in major units and parsed with
``mall.money.parse_money``; each form leaves what it parsed on itself for the view.
"""

from __future__ import annotations

import re
import secrets
from typing import Any
from uuid import UUID

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField, RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from mall.ledger.adjustments import MAX_REASON
from mall.ledger.dispute_evidence import MAX_EVIDENCE
from mall.ledger.fees import BEARERS
from mall.money import MoneyError, parse_money

EXPIRED = "The form expired: reload the page and try again."
PART_FIELD = re.compile(r"part-([0-9a-f]{32})\Z")


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class ActionForm(FlaskForm):
    """A button that changes something: CSRF only."""


class EvidenceForm(FlaskForm):
    """The shop's evidence for its share of a dispute."""

    evidence = TextAreaField(
        "Your evidence",
        filters=[_strip],
        validators=[
            DataRequired(message="Write your evidence: what was sold, delivered, and agreed."),
            Length(max=MAX_EVIDENCE, message=f"Use at most {MAX_EVIDENCE:,} characters."),
        ],
    )


class AdjustmentForm(FlaskForm):
    """An operator's adjustment of a shop's balance; ``key`` makes a double click post once."""

    shop = StringField(
        "Shop address",
        filters=[_strip],
        validators=[DataRequired(message="Enter the shop's address (its slug)."), Length(max=63)],
    )
    direction = RadioField(
        "Direction",
        choices=[
            SelectChoice("credit", "Credit the shop (the mall owes it more)"),
            SelectChoice("debit", "Debit the shop (the shop owes the mall)"),
        ],
        default="credit",
        validators=[DataRequired(message="Choose credit or debit.")],
    )
    amount = StringField(
        "Amount", filters=[_strip], validators=[DataRequired(message="Enter an amount.")]
    )
    reason = TextAreaField(
        "Reason (shown on the shop's statement)",
        filters=[_strip],
        validators=[
            DataRequired(message="Give the reason: the shop sees it on its statement."),
            Length(max=MAX_REASON, message=f"Use at most {MAX_REASON} characters."),
        ],
    )
    key = HiddenField(validators=[Regexp(r"[0-9a-f]{32}\Z", message=EXPIRED)])
    minor: int = 0

    @classmethod
    def fresh(cls, **data: Any) -> AdjustmentForm:
        """The form as the page first shows it, with a new key."""
        return cls(formdata=None, key=secrets.token_hex(16), **data)

    def validate_amount(self, field: StringField) -> None:
        try:
            minor = parse_money(field.data)
        except MoneyError as wrong:
            raise ValidationError(str(wrong)) from None
        if minor == 0:
            raise ValidationError("Enter an amount other than zero.")
        self.minor = minor

    @property
    def signed_amount(self) -> int:
        """The amount, negative for a debit."""
        return -self.minor if self.direction.data == "debit" else self.minor


class FeePolicyForm(FlaskForm):
    """Who bears Stripe's fee on refunded money."""

    bearer = RadioField(
        "Who bears Stripe's fee on refunded money",
        choices=[SelectChoice(value, label) for value, label in BEARERS.items()],
        validators=[DataRequired(message="Choose the platform or the shop.")],
    )


def parse_parts(formdata: MultiDict) -> dict[UUID, int]:
    """The amounts typed per order (``part-<order id>``; blank: none). Raises MoneyError."""
    parts: dict[UUID, int] = {}
    for name, value in formdata.items():
        found = PART_FIELD.match(name)
        text = (value or "").strip()
        if found and text:
            parts[UUID(found.group(1))] = parse_money(text)
    return parts
