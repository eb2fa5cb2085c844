"""The returns forms (CSRF through Flask-WTF). The customer's form carries ``key``, made when
it is shown, so that sending it twice makes one request. Per-line quantities and per-category
windows are fields named after their ids, read by ``numbers_of``."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from uuid import UUID

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Regexp

from mall.numbers import NumberError, parse_whole
from mall.returns.models import ReturnPayer
from mall.returns.policy import MAX_TEXT, MAX_WINDOW_DAYS
from mall.returns.services import MAX_MESSAGE, MAX_REASON

EXPIRED = "The form expired: reload the page and try again."
_FORM_KEY = re.compile(r"[0-9a-f]{32}\Z")
PAYER_LABELS = {
    ReturnPayer.CUSTOMER: "The customer pays the return shipping",
    ReturnPayer.SHOP: "The shop pays the return shipping",
}


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class ReturnForm(FlaskForm):
    """The customer's return request: a reason (units per line are ``qty-<line id>``)."""

    key = HiddenField(validators=[Regexp(_FORM_KEY, message=EXPIRED)])
    reason = TextAreaField(
        "Why are you returning these items?",
        filters=[_strip],
        validators=[
            DataRequired(message="Tell the shop why you are returning these items."),
            Length(max=MAX_REASON, message=f"Use at most {MAX_REASON} characters."),
        ],
    )

    @classmethod
    def fresh(cls) -> ReturnForm:
        """The form as first shown, with a new key."""
        return cls(formdata=None, key=secrets.token_hex(16))


class PolicyForm(FlaskForm):
    """The shop's policy (category windows are ``days-<category id>``, blank: the shop's)."""

    window_days = IntegerField(
        "Return window (days from shipping; from delivery once an order is marked delivered)",
        validators=[
            InputRequired(message="Enter a number of days."),
            NumberRange(0, MAX_WINDOW_DAYS, message=f"Enter 0 to {MAX_WINDOW_DAYS} days."),
        ],
    )
    payer = SelectField(
        "Return shipping",
        choices=[SelectChoice(payer.value, label) for payer, label in PAYER_LABELS.items()],
    )
    text = TextAreaField(
        "What customers should know (optional)",
        filters=[_strip],
        validators=[Length(max=MAX_TEXT, message=f"Use at most {MAX_TEXT} characters.")],
    )


class RefuseForm(FlaskForm):
    """Refuse a return, with a message emailed to the customer."""

    message = TextAreaField(
        "Message to the customer",
        filters=[_strip],
        validators=[
            DataRequired(message="Tell the customer why the return is refused."),
            Length(max=MAX_MESSAGE, message=f"Use at most {MAX_MESSAGE} characters."),
        ],
    )


class ReceiveForm(FlaskForm):
    """The goods arrived: refund them, and maybe put them back in stock."""

    restock = BooleanField("Put the items back in stock")


class ActionForm(FlaskForm):
    """A button with only its CSRF token."""


def numbers_of(
    formdata: Mapping[str, str], prefix: str, ids: Iterable[UUID], *, maximum: int
) -> dict[UUID, int | None]:
    """``{id: number}`` of the fields ``<prefix>-<id>`` (blank: None); ValueError with a
    sentence when one is not a whole number from 0 to ``maximum``."""
    found: dict[UUID, int | None] = {}
    for item_id in ids:
        raw = (formdata.get(f"{prefix}-{item_id}") or "").strip()
        if not raw:
            found[item_id] = None
            continue
        try:
            found[item_id] = parse_whole(raw, minimum=0, maximum=maximum)
        except NumberError:
            raise ValueError(f"Enter a whole number from 0 to {maximum}.") from None
    return found
