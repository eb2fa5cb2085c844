"""Account forms (CSRF on every one, through Flask-WTF)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, TelField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from mall.accounts.passwords import MAX_BYTES, MIN_LENGTH

EMAIL = [
    DataRequired(message="Enter your email address."),
    Email(message="Enter a valid email address."),
    Length(max=254),
]


def _new_password(label: str = "Password") -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(message="Choose a password."),
            Length(
                min=MIN_LENGTH,
                max=MAX_BYTES,
                message=f"Use {MIN_LENGTH} to {MAX_BYTES} characters.",
            ),
        ],
    )


class RegisterForm(FlaskForm):
    name = StringField(
        "Your name", validators=[DataRequired(message="Enter your name."), Length(max=200)]
    )
    email = EmailField("Email", validators=EMAIL)
    password = _new_password()
    confirm = PasswordField(
        "Repeat the password",
        validators=[EqualTo("password", message="The passwords do not match.")],
    )


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=EMAIL)
    password = PasswordField(
        "Password", validators=[DataRequired(message="Enter your password."), Length(max=200)]
    )
    remember = BooleanField("Keep me signed in on this device")


class ForgotForm(FlaskForm):
    email = EmailField("Email", validators=EMAIL)


class ResetForm(FlaskForm):
    password = _new_password("New password")
    confirm = PasswordField(
        "Repeat the new password",
        validators=[EqualTo("password", message="The passwords do not match.")],
    )


class ProfileForm(FlaskForm):
    name = StringField(
        "Your name", validators=[DataRequired(message="Enter your name."), Length(max=200)]
    )
    phone = TelField("Phone", validators=[Optional(), Length(max=40)])


class ChangeEmailForm(FlaskForm):
    new_email = EmailField("New email", validators=EMAIL)
    password = PasswordField(
        "Your password", validators=[DataRequired(message="Enter your password to confirm.")]
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired(message="Enter your current password.")]
    )
    password = _new_password("New password")
    confirm = PasswordField(
        "Repeat the new password",
        validators=[EqualTo("password", message="The passwords do not match.")],
    )


class ResendForm(FlaskForm):
    """Only a CSRF token: resend the verification email."""


class SignOutForm(FlaskForm):
    """Sign out this device, or (``everywhere``) every device of the account."""

    everywhere = BooleanField("Sign out everywhere")
