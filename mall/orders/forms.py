"""The shop's order pages' forms: the list's filters, and the order actions."""

from __future__ import annotations

import re
import secrets
from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import (
    EmailField,
    Form,
    HiddenField,
    SearchField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from mall.orders.models import OrderStatus, PaymentStatus
from mall.orders.queries import STATUS_LABELS, OrderSearch

MAX_REASON = 300  # OrderEvent.message holds 300 characters
MAX_NUMBER = 40  # order numbers are far shorter (``Order.number`` holds 32)
MAX_EMAIL = 254  # the longest email address
FIRST_YEAR, LAST_YEAR = 2000, 2999  # and the day after the last stays a date
PAYMENT_LABELS = {
    PaymentStatus.PENDING: "Pending",
    PaymentStatus.PAID: "Paid",
    PaymentStatus.PARTIALLY_REFUNDED: "Partially refunded",
    PaymentStatus.REFUNDED: "Refunded",
    PaymentStatus.VOIDED: "Voided",
}
_FORM_KEY = re.compile(r"[0-9a-f]{32}\Z")
_TOKEN = re.compile(r"[0-9a-f]{64}\Z")  # a blind index (HMAC-SHA256) in hex
_EMAILISH = re.compile(r"[^@\s]+@[^@\s]+\Z")  # exact match only: no need to judge it further


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _parse_day(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValidationError("Enter a date such as 2027-03-31.") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValidationError(f"Enter a date from {FIRST_YEAR} to {LAST_YEAR}.")
    return day


def _day_or_none(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


class OrderFilters(Form):
    """The order list's filters (a GET form: no CSRF).

    An unknown status or payment status (an old bookmark) means "any"; a date that
    is not one, or a range that ends before it starts, is an error shown next to
    the field (``search()`` is then None). ``customer`` is a customer's email as its
    blind index (``CustomerSearchForm`` makes it): an email never goes in a URL.
    """

    status = SelectField(
        "Status",
        choices=[
            SelectChoice("", "Any status"),
            *(SelectChoice(status.value, STATUS_LABELS[status]) for status in OrderStatus),
        ],
        default="",
    )
    payment = SelectField(
        "Payment",
        choices=[
            SelectChoice("", "Any payment"),
            *(SelectChoice(status.value, PAYMENT_LABELS[status]) for status in PaymentStatus),
        ],
        default="",
    )
    placed_from = StringField("Placed from", filters=[_strip], render_kw={"type": "date"})
    placed_to = StringField("Placed to", filters=[_strip], render_kw={"type": "date"})
    q = SearchField(
        "Order number",
        filters=[_strip],
        validators=[Length(max=MAX_NUMBER, message=f"Use at most {MAX_NUMBER} characters.")],
    )
    customer = HiddenField(
        validators=[
            Optional(),
            Regexp(_TOKEN, message="That customer search expired: search for the email again."),
        ]
    )

    def __init__(self, formdata: MultiDict) -> None:
        super().__init__(formdata)
        self._valid = self.validate()
        for name in ("status", "payment"):
            if self[name].errors:  # a stale choice: no filter, not an error
                self[name].errors = []
                self[name].data = ""
        self._valid = not self.errors

    def validate_q(self, field: Any) -> None:
        if field.data and "@" in field.data:
            raise ValidationError(
                "Search for an email under “Customer's email”: it keeps the address out of "
                "the page's link."
            )

    def validate_placed_from(self, field: Any) -> None:
        if field.data:
            _parse_day(field.data)

    def validate_placed_to(self, field: Any) -> None:
        if not field.data:
            return
        last = _parse_day(field.data)
        try:
            first = _parse_day(self.placed_from.data) if self.placed_from.data else None
        except ValidationError:
            return  # the first date says what is wrong
        if first is not None and last < first:
            raise ValidationError("Choose a day on or after the first day.")

    def search(self, *, prefix: str) -> OrderSearch | None:
        """The filters as a search, or None when one of them is wrong (see the field errors).

        ``prefix`` is the shop's order number prefix: digits alone search for ``<prefix>-<digits>``.
        """
        if not self._valid:
            return None
        return OrderSearch(
            status=OrderStatus(self.status.data) if self.status.data else None,
            payment_status=PaymentStatus(self.payment.data) if self.payment.data else None,
            placed_from=date.fromisoformat(self.placed_from.data)
            if self.placed_from.data
            else None,
            placed_to=date.fromisoformat(self.placed_to.data) if self.placed_to.data else None,
            number=self.q.data or "",
            prefix=prefix,
            customer=bytes.fromhex(self.customer.data) if self.customer.data else None,
        )

    def args(self) -> dict[str, str]:
        """The filters in force as query-string arguments (for the pager and the CSV link)."""
        return {
            name: self[name].data
            for name in ("status", "payment", "placed_from", "placed_to", "q", "customer")
            if self[name].data
        }

    @property
    def active(self) -> bool:
        return bool(self.args())

    def without_customer(self) -> dict[str, str]:
        """The filters in force but the customer (the link that clears that search)."""
        return {name: value for name, value in self.args().items() if name != "customer"}


class CustomerSearchForm(FlaskForm):
    """A customer's email to find their orders: posted, so the address never is in a URL."""

    email = EmailField(
        "Customer's email",
        filters=[_strip],
        validators=[
            DataRequired(message="Enter the customer's email."),
            Length(max=MAX_EMAIL, message=f"Use at most {MAX_EMAIL} characters."),
            Regexp(_EMAILISH, message="Enter an email such as name@example.com."),
        ],
    )


def new_form_key() -> str:
    """A fresh key for a form that must act once per rendering (a double click acts once)."""
    return secrets.token_hex(16)


class MarkPaidForm(FlaskForm):
    """Only a CSRF token: "the bank transfer arrived"."""


class DeliveredForm(FlaskForm):
    """Only a CSRF token: "the parcel reached the customer"."""


class CancelForm(FlaskForm):
    """Cancel with a reason; ``key`` is the rendered form's, so a double click cancels once."""

    reason = TextAreaField(
        "Reason for cancelling",
        filters=[_strip],
        validators=[
            DataRequired(message="Enter the reason for cancelling."),
            Length(max=MAX_REASON, message=f"Use at most {MAX_REASON} characters."),
        ],
    )
    key = HiddenField(
        validators=[Regexp(_FORM_KEY, message="The form expired: reload the page and try again.")]
    )

    @classmethod
    def fresh(cls) -> CancelForm:
        """The form as the order page first shows it, with a new key."""
        return cls(formdata=None, key=new_form_key())


class TrackingLinkForm(FlaskForm):
    """ "New tracking link": the version the page showed, so a double click replaces it once."""

    version = HiddenField(validators=[DataRequired(), Regexp(r"[0-9]{1,9}\Z")])

    def seen(self) -> int:
        """The link version the page showed (the form validated)."""
        return int(self.version.data)
