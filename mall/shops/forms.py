"""Shop forms: registration, settings, staff (CSRF on every one, through Flask-WTF)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from mall.accounts.forms import RegisterForm
from mall.shops.models import Role
from mall.shops.retention import MAX_YEARS, MIN_YEARS
from mall.shops.services import INVITABLE_ROLES, ROLE_LABELS
from tenants.services import ShopError, validate_slug

CONFIRMED = "yes"
NAME = [DataRequired(message="Enter the shop's name."), Length(max=200)]
CONTACT_EMAIL = [Optional(), Email(message="Enter a valid email address."), Length(max=254)]


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _role_choices(roles: tuple[Role, ...]) -> list[SelectChoice]:
    return [SelectChoice(role.value, ROLE_LABELS[role].capitalize()) for role in roles]


class ShopForm(FlaskForm):
    name = StringField("Shop name", validators=NAME, filters=[_strip])
    slug = StringField(
        "Shop address",
        validators=[DataRequired(message="Choose the shop's address."), Length(max=63)],
    )
    description = TextAreaField("Description", validators=[Optional(), Length(max=2000)])
    logo = FileField("Logo (optional)")
    contact_email = EmailField(
        "Contact email (optional)", validators=CONTACT_EMAIL, filters=[_strip]
    )

    def validate_slug(self, field: StringField) -> None:
        """Reserved words and malformed addresses are refused here; "taken" by the service."""
        try:
            field.data = validate_slug(field.data or "")
        except ShopError as error:
            raise ValidationError(str(error)) from None


class SettingsForm(FlaskForm):
    name = StringField("Shop name", validators=NAME, filters=[_strip])
    description = TextAreaField("Description", validators=[Optional(), Length(max=2000)])
    logo = FileField("New logo (optional)")
    remove_logo = BooleanField("Remove the current logo")
    contact_email = EmailField(
        "Contact email (optional)", validators=CONTACT_EMAIL, filters=[_strip]
    )
    policies = TextAreaField(
        "Policies (shipping, returns…)", validators=[Optional(), Length(max=20_000)]
    )
    # Left empty (or absent): the period stays as it is.
    retention_years = IntegerField(
        "Keep customers' details in orders for (years)",
        validators=[
            Optional(),
            NumberRange(
                min=MIN_YEARS,
                max=MAX_YEARS,
                message=f"Enter a whole number of years from {MIN_YEARS} to {MAX_YEARS}.",
            ),
        ],
    )


class InviteForm(FlaskForm):
    email = EmailField(
        "Email",
        validators=[
            DataRequired(message="Enter the email address to invite."),
            Email(message="Enter a valid email address."),
            Length(max=254),
        ],
        filters=[_strip],
    )
    role = SelectField("Role", choices=_role_choices(INVITABLE_ROLES), default=Role.STAFF.value)


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=_role_choices(tuple(Role)))


class ConfirmForm(FlaskForm):
    """Only a CSRF token: revoke, accept."""


class RemoveForm(FlaskForm):
    """The confirmation page's answer: without ``confirm=yes`` a removal only asks.

    No default: a form that leaves the field out must not count as confirmed.
    """

    confirm = HiddenField()


class InviteeRegisterForm(RegisterForm):
    """Sign up from an invitation: the address is the invited one, so there is no email field."""

    email = None
