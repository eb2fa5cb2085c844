"""What an application, payout details and a decision may hold: each check returns the
cleaned value or raises an ``AffiliateError`` a person can read (``InvalidApplication``
names the form field it is about)."""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

from affiliates.errors import AffiliateError
from affiliates.models import PayoutMethod

WEBSITE_MAX = 300
PROMOTION_MAX = 2000
EMAIL_MAX = 254
NOTE_MAX = 500
CODE_PATTERN = re.compile(r"[A-Z0-9-]{4,32}\Z")
# No I, L, O, 0 or 1: a code is read aloud and typed from a screenshot.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
CODE_DRAWS = 5
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class InvalidApplication(AffiliateError):
    """A field of the application or of the payout details is not acceptable."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


def clean_website(value: str | None) -> str:
    """The website: an http(s) address with a dotted host, one line, at most 300 characters."""
    text = (value or "").strip()
    if not text:
        raise InvalidApplication("Enter the address of your website.", field="website")
    if len(text) > WEBSITE_MAX:
        raise InvalidApplication(
            f"The website address is at most {WEBSITE_MAX} characters.", field="website"
        )
    # A URL is one line of printable text: no spaces, no control characters.
    scheme, _, rest = text.partition("://")
    host = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].rsplit("@", 1)[-1]
    if (
        scheme.lower() not in ("http", "https")
        or not host
        or "." not in host.strip(".")
        or re.search(r"\s", text)
        or _CONTROL.search(text)
    ):
        raise InvalidApplication(
            "Enter your website's full address, starting with https:// or http://.",
            field="website",
        )
    return text


def clean_promotion(value: str | None) -> str:
    """How they promote: required, at most 2,000 characters, no control characters."""
    text = (value or "").strip()
    if not text:
        raise InvalidApplication("Tell us how you will promote the mall.", field="promotion")
    if len(text) > PROMOTION_MAX:
        raise InvalidApplication(
            f"Please say it in at most {PROMOTION_MAX} characters.", field="promotion"
        )
    if _CONTROL.search(text.replace("\n", "").replace("\r", "").replace("\t", "")):
        raise InvalidApplication("Remove the control characters.", field="promotion")
    return text


def clean_payout(method: str | PayoutMethod | None, email: str | None) -> tuple[PayoutMethod, str]:
    """The payout method and the normalised payout email address."""
    try:
        chosen = PayoutMethod(method)
    except ValueError:
        raise InvalidApplication("Choose how you want to be paid.", field="payout_method") from None
    text = (email or "").strip()
    if not text or len(text) > EMAIL_MAX:
        raise InvalidApplication("Enter the email address you are paid at.", field="payout_email")
    try:
        normalised = validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        raise InvalidApplication(
            "Enter a valid email address, like name@example.com.", field="payout_email"
        ) from None
    return chosen, normalised


def clean_note(note: str | None, *, required: bool) -> str:
    """The operator's note to the person: at most 500 characters (required to reject)."""
    text = (note or "").strip()
    if required and not text:
        raise AffiliateError("Write a note: the applicant reads it in the email.")
    if len(text) > NOTE_MAX:
        raise AffiliateError(f"The note is at most {NOTE_MAX} characters.")
    if _CONTROL.search(text.replace("\n", "").replace("\r", "").replace("\t", "")):
        raise AffiliateError("Remove the control characters from the note.")
    return text


def clean_code(code: str | None) -> str:
    """An operator's chosen code, upper case, or AffiliateError saying what a code may be."""
    wanted = (code or "").strip().upper()
    if not CODE_PATTERN.match(wanted):
        raise AffiliateError(
            "A code is 4 to 32 characters: letters A to Z, digits and dashes (-), nothing else."
        )
    return wanted
