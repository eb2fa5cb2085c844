"""The refund form: units per order line (``qty-<line id>``), an amount, shipping, options."""

from __future__ import annotations

import re
import secrets
from typing import Any
from uuid import UUID

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import Length, Regexp

from mall.money import MoneyError, parse_money
from mall.orders.errors import OrderError
from mall.orders.models import Order
from mall.orders.refunds import RefundRequest, everything_left

MAX_REASON = 300
EXPIRED = "The form expired: reload the page and try again."
PREFIX = "refund"
QTY_FIELD = re.compile(r"qty-([0-9a-f]{32})\Z")
UNITS = re.compile(r"[0-9]{1,6}")  # ASCII digits: str.isdigit() takes "²", which int() refuses


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class RefundForm(FlaskForm):
    """What to refund; ``key`` is the rendered form's, so a double click refunds once.

    Its fields are prefixed (``refund-amount``…): the order page also shows the cancel
    form, and the two must not share ids or names.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", PREFIX)
        super().__init__(*args, **kwargs)

    amount = StringField("Amount for the items (optional)", filters=[_strip])
    shipping = StringField("Shipping to refund", filters=[_strip])
    restock = BooleanField("Put the refunded items back in stock")
    manual = BooleanField("I paid the customer back myself (record it, move no money)")
    everything = HiddenField()
    reason = TextAreaField(
        "Reason",
        filters=[_strip],
        validators=[Length(max=MAX_REASON, message=f"Use at most {MAX_REASON} characters.")],
    )
    key = HiddenField(validators=[Regexp(r"[0-9a-f]{32}\Z", message=EXPIRED)])

    @classmethod
    def fresh(cls) -> RefundForm:
        """The form as the order page first shows it, with a new key."""
        return cls(formdata=None, key=secrets.token_hex(16))

    def quantities(self, formdata: MultiDict) -> dict[UUID, int]:
        """The units typed per order line (blank: none). Raises OrderError for a bad number."""
        chosen: dict[UUID, int] = {}
        for name, value in formdata.items():
            found = QTY_FIELD.match(name)
            text = (value or "").strip()
            if not found or not text:
                continue
            if not UNITS.fullmatch(text):
                raise OrderError("Enter the number of units to refund as a whole number.")
            chosen[UUID(found.group(1))] = int(text)
        return chosen

    def to_request(self, order: Order, formdata: MultiDict) -> RefundRequest:
        """The service's request. Raises OrderError with a message for what cannot be read."""
        reason = self.reason.data or ""
        if self.everything.data:
            left = everything_left(order)
            return RefundRequest(
                quantities=left.quantities,
                shipping=left.shipping,
                restock=bool(self.restock.data),
                manual=bool(self.manual.data),
                reason=reason,
            )
        try:
            amount = (
                parse_money(self.amount.data, code=order.currency) if self.amount.data else None
            )
            shipping = (
                parse_money(self.shipping.data, code=order.currency) if self.shipping.data else 0
            )
        except MoneyError as wrong:
            raise OrderError(f"Amount: {wrong}") from None
        return RefundRequest(
            quantities=self.quantities(formdata),
            amount=amount,
            shipping=shipping,
            restock=bool(self.restock.data),
            manual=bool(self.manual.data),
            reason=reason,
        )
