"""Order entry's forms (CSRF through Flask-WTF).

The new-document form carries ``request_key``, made when the form is first shown, so
sending it twice makes one document. Its lines are rows of plain fields named
``sku-<n>``, ``quantity-<n>``, ``price-<n>``, ``price_reason-<n>``, ``discount-<n>`` and
``discount_reason-<n>``, read by ``lines_of`` (typed amounts through ``mall.money``,
quantities through ``mall.numbers``, both bounded).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from uuid import UUID

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Regexp

from mall.accounts.addresses import AddressError, PostalAddress, clean_address
from mall.checkout.forms import AddressFields
from mall.money import MoneyError, parse_money
from mall.numbers import MAX_COUNT, NumberError, parse_whole
from mall.orders.entry.pricing import MAX_LINES, MAX_REASON, LineInput
from mall.orders.entry.services import MAX_NAME, MAX_NOTE, MAX_PHONE

EXPIRED = "The form expired: reload the page and try again."
KEY = re.compile(r"[0-9a-f]{32}\Z")
ROWS = 5  # empty rows shown at first; "More lines" adds as many
LINE_FIELDS = ("sku", "quantity", "price", "price_reason", "discount", "discount_reason")
ACTIONS = ("preview", "more", "quote", "draft", "issue")

__all__ = ["AddressFields", "DocumentForm"]


def new_key() -> str:
    return secrets.token_hex(16)


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class DocumentForm(FlaskForm):
    """A quote or invoice typed by staff: the customer, shipping, a note (lines apart)."""

    request_key = HiddenField(validators=[Regexp(KEY, message=EXPIRED)])
    rows = HiddenField(default=str(ROWS))
    customer_email = EmailField(
        "Customer's email",
        filters=[_strip],
        validators=[
            DataRequired(message="Enter the customer's email: the document is sent there."),
            Email(message="Enter a valid email address."),
            Length(max=254),
        ],
    )
    customer_name = StringField(
        "Customer's name", filters=[_strip], validators=[Length(max=MAX_NAME)]
    )
    customer_phone = StringField(
        "Phone (optional)", filters=[_strip], validators=[Length(max=MAX_PHONE)]
    )
    billing_same = BooleanField("The billing address is the same", default=True)
    shipping_method = SelectField("Shipping method", choices=[], validate_choice=False)
    note = TextAreaField(
        "Note for the customer (optional)", filters=[_strip], validators=[Length(max=MAX_NOTE)]
    )


class ActionForm(FlaskForm):
    """A button on a document's page (send, accept, convert, void, mark paid)."""

    key = HiddenField()


class PayForm(FlaskForm):
    """The customer's choice of payment method on the pay page."""

    method = SelectField("Payment method", choices=[], validate_choice=False)


@dataclass
class LineRows:
    """The typed rows (as typed, for the form again), the parsed lines and errors by field."""

    values: list[dict[str, str]]
    lines: list[LineInput] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    rows_of: list[int] = field(default_factory=list)  # the row each parsed line was typed on


def row_count(raw: str | None, *, more: bool = False) -> int:
    """How many line rows the form shows (bounded)."""
    try:
        count = parse_whole(raw, minimum=1, maximum=MAX_LINES)
    except NumberError:
        count = ROWS
    return min(count + (ROWS if more else 0), MAX_LINES)


def lines_of(data: Mapping[str, str], rows: int) -> LineRows:
    """The line rows of a posted form: empty rows skipped, each filled row parsed."""
    values = [
        {name: (data.get(f"{name}-{index}") or "").strip()[:300] for name in LINE_FIELDS}
        for index in range(rows)
    ]
    result = LineRows(values=values)
    for index, row in enumerate(values):
        if not any(row.values()):
            continue
        line = _line(row, index, result.errors)
        if line is not None:
            result.lines.append(line)
            result.rows_of.append(index)
    return result


def _line(row: dict[str, str], index: int, errors: dict[str, str]) -> LineInput | None:
    if not row["sku"]:
        errors[f"sku-{index}"] = "Enter the item's SKU."
        return None
    try:
        quantity = parse_whole(row["quantity"] or "1", minimum=1, maximum=MAX_COUNT)
    except NumberError as error:
        errors[f"quantity-{index}"] = str(error)
        return None
    try:
        price = parse_money(row["price"]) if row["price"] else None
        discount = parse_money(row["discount"]) if row["discount"] else 0
    except MoneyError as error:
        which = "discount" if row["price"] == "" or _money_ok(row["price"]) else "price"
        errors[f"{which}-{index}"] = str(error)
        return None
    for reason in ("price_reason", "discount_reason"):
        if len(row[reason]) > MAX_REASON:
            errors[f"{reason}-{index}"] = f"Use at most {MAX_REASON} characters."
            return None
    return LineInput(
        sku=row["sku"][:64],
        quantity=quantity,
        unit_price=price,
        price_reason=row["price_reason"],
        discount=discount,
        discount_reason=row["discount_reason"],
    )


def _money_ok(text: str) -> bool:
    try:
        parse_money(text)
    except MoneyError:
        return False
    return True


def typed_address(fields: AddressFields) -> PostalAddress | None:
    """The address typed in ``fields``, checked by the country's rules (errors set on fields)."""
    raw = {name: field.data for name, field in fields._fields.items()}
    try:
        return clean_address(raw)
    except AddressError as error:
        for name, message in error.errors.items():
            getattr(fields, name).errors = [*getattr(fields, name).errors, message]
        return None


def method_id(raw: str) -> UUID | None:
    """The chosen shipping method's id (hex), or None for "the cheapest" or anything malformed."""
    try:
        return UUID(hex=raw) if raw else None
    except ValueError:
        return None
