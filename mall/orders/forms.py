"""The shop's order pages' forms: the list's status filter, and the order actions."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import Form, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from mall.orders.models import OrderStatus
from mall.orders.queries import STATUS_LABELS

MAX_REASON = 300  # OrderEvent.message holds 300 characters


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class OrderFilters(Form):
    """The order list's filter (a GET form: no CSRF); an unknown status means "any"."""

    status = SelectField(
        "Status",
        choices=[
            SelectChoice("", "Any status"),
            *(SelectChoice(status.value, STATUS_LABELS[status]) for status in OrderStatus),
        ],
        default="",
    )

    def __init__(self, formdata: MultiDict) -> None:
        super().__init__(formdata)
        if not self.validate():
            for name in self.errors:
                self[name].data = self[name].default or ""

    def args(self) -> dict[str, str]:
        """The filter as query-string arguments (for the pager's links)."""
        return {"status": self.status.data} if self.status.data else {}


class MarkPaidForm(FlaskForm):
    """Only a CSRF token: "the bank transfer arrived"."""


class CancelForm(FlaskForm):
    reason = TextAreaField(
        "Reason for cancelling",
        filters=[_strip],
        validators=[
            DataRequired(message="Enter the reason for cancelling."),
            Length(max=MAX_REASON, message=f"Use at most {MAX_REASON} characters."),
        ],
    )
