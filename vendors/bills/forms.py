"""The bill, credit note and payment forms (CSRF through Flask-WTF).

Each carries ``key``, made when it is shown, so sending it twice records one bill,
credit note or payment. Per-line numbers are fields named after ids (``qty-<PO line>``,
``cost-<PO line>``, ``packs-<bill line>``, ``pay-<bill>``) or positions for free lines
(``desc-<n>``, ``fqty-<n>``, ``fcost-<n>``); the ``parse_*`` helpers read them and
return the errors by field name, so the page shows each error at its field.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from uuid import UUID

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, Regexp

from mall.money import MoneyError, parse_money
from mall.numbers import MAX_COUNT, NumberError, parse_whole
from vendors.bills.payments import METHOD_LABELS
from vendors.bills.services import MAX_NOTE, MAX_NUMBER, MAX_TEXT, BillLineInput

EXPIRED = "The form expired: reload the page and try again."
FORM_KEY = re.compile(r"[0-9a-f]{32}\Z")
FREE_LINES = 3  # blank free lines offered on a bill (freight, a standalone item)


def _strip(value: str | None) -> str | None:
    return value.replace("\x00", "").strip() if isinstance(value, str) else value


def new_key() -> str:
    return secrets.token_hex(16)


def select_choices(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """``(value, label)`` pairs as a select field's choices."""
    return [SelectChoice(value, label) for value, label in pairs]


class BillForm(FlaskForm):
    """A vendor's bill (its lines are read by ``parse_bill_lines``)."""

    key = HiddenField(validators=[Regexp(FORM_KEY, message=EXPIRED)])
    vendor = SelectField("Vendor", choices=[], validate_choice=False)
    vendor_number = StringField(
        "The vendor's bill number",
        filters=[_strip],
        validators=[Length(max=MAX_NUMBER, message=f"Use at most {MAX_NUMBER} characters.")],
    )
    issued_on = DateField("Bill date", validators=[InputRequired(message="Enter the bill's date.")])
    due_on = DateField("Due date (blank: the vendor's payment terms)", validators=[Optional()])
    override_reason = StringField(
        "Override reason (to bill more than the billing policy allows)",
        filters=[_strip],
        validators=[Length(max=MAX_TEXT, message=f"Use at most {MAX_TEXT} characters.")],
    )
    note = TextAreaField(
        "Note (optional)",
        filters=[_strip],
        validators=[Length(max=MAX_NOTE, message=f"Use at most {MAX_NOTE} characters.")],
    )


class CreditForm(FlaskForm):
    """A vendor's credit note on a bill (packs per line are ``packs-<bill line>``)."""

    key = HiddenField(validators=[Regexp(FORM_KEY, message=EXPIRED)])
    vendor_number = StringField(
        "The vendor's credit note number",
        filters=[_strip],
        validators=[Length(max=MAX_NUMBER, message=f"Use at most {MAX_NUMBER} characters.")],
    )
    issued_on = DateField(
        "Credit note date", validators=[InputRequired(message="Enter the credit note's date.")]
    )
    amount = StringField("Amount credited besides the packs (optional)", filters=[_strip])
    reason = StringField(
        "Reason",
        filters=[_strip],
        validators=[Length(max=MAX_TEXT, message=f"Use at most {MAX_TEXT} characters.")],
    )


class PaymentForm(FlaskForm):
    """A payment of a vendor's bills (the amount per bill is ``pay-<bill>``)."""

    key = HiddenField(validators=[Regexp(FORM_KEY, message=EXPIRED)])
    paid_on = DateField("Paid on", validators=[InputRequired(message="Enter the payment date.")])
    method = SelectField(
        "Method",
        choices=[SelectChoice(method.value, label) for method, label in METHOD_LABELS.items()],
    )
    reference = StringField(
        "Reference (cheque number, transfer reference)",
        filters=[_strip],
        validators=[Length(max=100, message="Use at most 100 characters.")],
    )


class ActionForm(FlaskForm):
    """A button with only its CSRF token."""


def _whole(raw: str, *, minimum: int) -> int:
    try:
        return parse_whole(raw, minimum=minimum, maximum=MAX_COUNT)
    except NumberError as error:
        raise ValueError(str(error)) from None


def _money(raw: str, code: str) -> int:
    try:
        return parse_money(raw, code=code)
    except MoneyError as error:
        raise ValueError(str(error)) from None


def parse_bill_lines(
    formdata: Mapping[str, str], po_line_ids: Iterable[UUID], *, code: str
) -> tuple[list[BillLineInput], dict[str, str]]:
    """The typed lines (PO lines with packs > 0, then filled free lines) and the errors."""
    lines: list[BillLineInput] = []
    errors: dict[str, str] = {}
    for line_id in po_line_ids:
        qty_name, cost_name = f"qty-{line_id}", f"cost-{line_id}"
        try:
            packs = _whole((formdata.get(qty_name) or "0").strip() or "0", minimum=0)
        except ValueError as error:
            errors[qty_name] = str(error)
            continue
        try:
            cost = _money(formdata.get(cost_name) or "", code)
        except ValueError as error:
            errors[cost_name] = str(error)
            continue
        if packs:
            lines.append(BillLineInput(packs, cost, po_line_id=line_id))
    for n in range(FREE_LINES):
        names = (f"desc-{n}", f"fqty-{n}", f"fcost-{n}")
        desc, qty, cost = (_strip(formdata.get(name) or "") for name in names)
        if not (desc or qty or cost):
            continue
        if not desc:
            errors[names[0]] = "Describe what is billed."
        elif len(desc) > MAX_TEXT:
            errors[names[0]] = f"Use at most {MAX_TEXT} characters."
        try:
            packs = _whole(qty or "", minimum=1)
        except ValueError as error:
            errors[names[1]] = str(error)
            continue
        try:
            unit = _money(cost or "", code)
        except ValueError as error:
            errors[names[2]] = str(error)
            continue
        if desc and names[0] not in errors:
            lines.append(BillLineInput(packs, unit, description=desc))
    return lines, errors


def parse_packs(
    formdata: Mapping[str, str], line_ids: Iterable[UUID]
) -> tuple[dict[UUID, int], dict[str, str]]:
    """Packs per bill line (``packs-<id>``, blank: 0) and the errors."""
    found: dict[UUID, int] = {}
    errors: dict[str, str] = {}
    for line_id in line_ids:
        name = f"packs-{line_id}"
        try:
            found[line_id] = _whole((formdata.get(name) or "").strip() or "0", minimum=0)
        except ValueError as error:
            errors[name] = str(error)
    return found, errors


def parse_amount(raw: str | None, *, code: str) -> int:
    """An optional amount (blank: 0); ValueError with the sentence."""
    raw = (raw or "").strip()
    return _money(raw, code) if raw else 0


def parse_payments(
    formdata: Mapping[str, str], bill_ids: Iterable[UUID], *, code: str
) -> tuple[dict[UUID, int], dict[str, str]]:
    """The amount to pay per bill (``pay-<id>``, blank: nothing) and the errors."""
    found: dict[UUID, int] = {}
    errors: dict[str, str] = {}
    for bill_id in bill_ids:
        name = f"pay-{bill_id}"
        raw = (formdata.get(name) or "").strip()
        if not raw:
            continue
        try:
            found[bill_id] = _money(raw, code)
        except ValueError as error:
            errors[name] = str(error)
    return found, errors
