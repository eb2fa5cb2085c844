"""The delivery forms: the shop's defaults, a product's policy, key imports, staff actions."""

from __future__ import annotations

import secrets
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, IntegerField
from wtforms.validators import InputRequired, NumberRange, Optional, Regexp

from mall.delivery.services import MAX_DAYS, MAX_LIMIT
from mall.delivery.staff import EXTEND_DAYS_MESSAGE, MAX_EXTEND_DAYS

EXPIRED = "The form expired: reload the page and try again."


def _whole(
    label: str, *, most: int, required: bool = True, least: int = 0, message: str = ""
) -> IntegerField:
    first = InputRequired(message="Enter a whole number.") if required else Optional()
    return IntegerField(
        label,
        validators=[
            first,
            NumberRange(
                min=least,
                max=most,
                message=message or f"Enter a whole number from {least} to {most}.",
            ),
        ],
    )


class SettingsForm(FlaskForm):
    """The shop's defaults for every digital product."""

    expiry_days = _whole("Days a buyer can download (0: no end)", most=MAX_DAYS)
    download_limit = _whole("Downloads per file (0: no limit)", most=MAX_LIMIT)
    low_pool_threshold = _whole("Warn me when a key pool has this many keys left", most=MAX_LIMIT)


class PolicyForm(FlaskForm):
    """A product's own expiry and limit; blank fields follow the shop's defaults."""

    expiry_days = _whole("Days a buyer can download (0: no end)", most=MAX_DAYS, required=False)
    download_limit = _whole("Downloads per file (0: no limit)", most=MAX_LIMIT, required=False)


class KeyImportForm(FlaskForm):
    """A CSV file of licence keys, one per row in the first column."""

    file = FileField("CSV file of keys")


class ThresholdForm(FlaskForm):
    """A pool's own low mark; blank follows the shop's default."""

    threshold = _whole("Warn me at this many keys left", most=MAX_LIMIT, required=False)


class _KeyedForm(FlaskForm):
    key = HiddenField(validators=[Regexp(r"[0-9a-f]{32}\Z", message=EXPIRED)])

    @classmethod
    def fresh(cls, **values: Any) -> Any:
        """The form as the page first shows it, with a new key (a double submit acts once)."""
        return cls(formdata=None, key=secrets.token_hex(16), **values)


class RegrantForm(_KeyedForm):
    """Give access again: active, counters back to zero, a new expiry."""

    days = _whole(
        "Days from today (blank: the product's default; 0: no end)", most=MAX_DAYS, required=False
    )
    refunded_ok = BooleanField("This line was refunded: give access anyway?")


class ExtendForm(_KeyedForm):
    """Add days and downloads to an active grant."""

    days = _whole("Days to add", most=MAX_EXTEND_DAYS, message=EXTEND_DAYS_MESSAGE)
    downloads = _whole("Downloads to add per file", most=MAX_LIMIT)
