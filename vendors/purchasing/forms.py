"""The purchasing forms (CSRF through Flask-WTF) and the parsing of per-line fields.

Per-line values are fields named after the line's id (``packs-<id>``, ``cost-<id>``),
read by ``line_numbers`` / ``line_changes``, which return what was typed and a message
per field, so that the page re-renders with both. The new-PO and receive forms carry a
key made when they are shown: the new PO's id and the receipt's ``receipt_key``, so that
sending either twice makes one.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from uuid import UUID

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Regexp

from mall.db import new_id
from mall.money import MoneyError, parse_money
from mall.numbers import MAX_COUNT, NumberError, parse_whole
from vendors.purchasing.drafts import LineChange
from vendors.purchasing.receiving import MAX_RECEIPT_NOTE
from vendors.purchasing.services import MAX_NOTE

EXPIRED = "The form expired: reload the page and try again."
_RECEIPT_KEY = re.compile(r"[0-9a-f]{32}\Z")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")


def _strip(value: str | None) -> str | None:
    return value.replace("\x00", "").strip() if isinstance(value, str) else value


class ActionForm(FlaskForm):
    """A button with only its CSRF token (send, mark sent, cancel, close, close short)."""


class ConfirmForm(FlaskForm):
    """Close short or cancel: ``confirm`` is "yes" once the page asked (the first post asks)."""

    confirm = HiddenField()


class ResendForm(FlaskForm):
    """Send again: the link version the page showed (a double click resends once)."""

    link_version = IntegerField(validators=[InputRequired(message=EXPIRED), NumberRange(1)])


class NewPoForm(FlaskForm):
    """A new draft: the vendor and a note; ``key`` becomes the PO's id (one PO per form)."""

    key = HiddenField(validators=[Regexp(_UUID, message=EXPIRED)])
    vendor = SelectField("Vendor", validators=[DataRequired(message="Choose a vendor.")])
    note = TextAreaField(
        "Note to the vendor (optional, printed on the purchase order)",
        filters=[_strip],
        validators=[Length(max=MAX_NOTE, message=f"Use at most {MAX_NOTE} characters.")],
    )

    @classmethod
    def fresh(cls, choices: list[tuple[str, str]], vendor: str = "") -> NewPoForm:
        form = cls(formdata=None, key=str(new_id()), vendor=vendor)
        form.vendor.choices = [("", "Choose a vendor…"), *choices]
        return form


class AddLineForm(FlaskForm):
    """A line for a draft: what the vendor supplies, packs, and a cost (blank: the vendor's)."""

    # The service checks that the vendor supplies it (the page lists only those).
    variant = SelectField(
        "Product",
        choices=[],
        validate_choice=False,
        validators=[DataRequired(message="Choose a product.")],
    )
    packs = StringField(
        "Packs", filters=[_strip], validators=[DataRequired(message="Enter a number of packs.")]
    )
    unit_cost = StringField("Cost per pack (blank: the vendor's price)", filters=[_strip])

    def parsed(self) -> tuple[int, int | None] | None:
        """(packs, cost or None), or None with the messages at the fields."""
        try:
            packs = parse_whole(self.packs.data, minimum=1, maximum=MAX_COUNT)
        except NumberError as error:
            self.packs.errors = [str(error)]
            return None
        if not self.unit_cost.data:
            return packs, None
        try:
            return packs, parse_money(self.unit_cost.data)
        except MoneyError as error:
            self.unit_cost.errors = [str(error)]
            return None


class NoteForm(FlaskForm):
    """The draft's note to the vendor."""

    note = TextAreaField(
        "Note to the vendor",
        filters=[_strip],
        validators=[Length(max=MAX_NOTE, message=f"Use at most {MAX_NOTE} characters.")],
    )


class LinesForm(FlaskForm):
    """The draft's lines (``packs-<id>``, ``cost-<id>``); ``confirm`` once removals were listed."""

    confirm = HiddenField()


class ReceiveForm(FlaskForm):
    """Goods that arrived (``packs-<line id>``), once per ``key``."""

    key = HiddenField(validators=[Regexp(_RECEIPT_KEY, message=EXPIRED)])
    note = StringField(
        "Note (optional: delivery note number, damage…)",
        filters=[_strip],
        validators=[
            Length(max=MAX_RECEIPT_NOTE, message=f"Use at most {MAX_RECEIPT_NOTE} characters.")
        ],
    )

    @classmethod
    def fresh(cls) -> ReceiveForm:
        return cls(formdata=None, key=secrets.token_hex(16))


@dataclass
class Typed:
    """Per-line values as typed (to show again) and a message per field name."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def line_numbers(formdata: Mapping[str, str], ids: Iterable[UUID], typed: Typed) -> dict[UUID, int]:
    """``{line id: packs}`` of the fields ``packs-<id>`` (blank: 0); messages into ``typed``."""
    found: dict[UUID, int] = {}
    for line_id in ids:
        name = f"packs-{line_id}"
        raw = (formdata.get(name) or "").strip()
        typed.values[name] = raw
        if not raw:
            found[line_id] = 0
            continue
        try:
            found[line_id] = parse_whole(raw, minimum=0, maximum=MAX_COUNT)
        except NumberError as error:
            typed.errors[name] = str(error)
    return found


def line_changes(
    formdata: Mapping[str, str], ids: Iterable[UUID], typed: Typed
) -> dict[UUID, LineChange]:
    """``{line id: LineChange}`` of ``packs-<id>`` and ``cost-<id>``; messages into ``typed``."""
    ids = list(ids)
    packs = line_numbers(formdata, ids, typed)
    found: dict[UUID, LineChange] = {}
    for line_id in ids:
        name = f"cost-{line_id}"
        raw = (formdata.get(name) or "").strip()
        typed.values[name] = raw
        try:
            cost = parse_money(raw)
        except MoneyError as error:
            typed.errors[name] = str(error)
            continue
        if line_id in packs:
            found[line_id] = LineChange(packs=packs[line_id], unit_cost=cost)
    return found
