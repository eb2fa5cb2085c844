"""The payout pages' forms (CSRF through Flask-WTF); the services check every value again."""

from __future__ import annotations

import secrets

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from affiliates.payouts.services import KEY_MAX, REASON_MAX


class MakeBatchForm(FlaskForm):
    """ "Make a payout batch": the key drawn when the page was shown makes the batch once,
    however often the form is sent."""

    batch_key = HiddenField(validators=[DataRequired(), Length(max=KEY_MAX)])

    @classmethod
    def fresh(cls) -> MakeBatchForm:
        return cls(formdata=None, batch_key=secrets.token_hex(16))


class ConfirmForm(FlaskForm):
    """A button with only its CSRF token."""


class FailForm(FlaskForm):
    """Mark one payout failed, with what happened."""

    reason = StringField(
        "What happened",
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[
            DataRequired("Say what happened to this payout."),
            Length(max=REASON_MAX, message=f"At most {REASON_MAX} characters."),
        ],
    )
