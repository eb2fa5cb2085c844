"""Vendors of the shop in context: create, edit, archive and restore, the list and the pickers.

The company name is plain (searched, sorted); the contact person, email, phone, address
and notes are sealed under the shop's key by the model's ``EncryptedField``s. An archived
vendor keeps its history (POs, bills) but is offered for nothing new.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa

from mall.countries import UnknownCountry, normalise_country
from mall.db import escape_like
from mall.extensions import db
from mall.pagination import Page, paginate
from tenants.guard import scoped_get
from vendors.errors import PurchasingError
from vendors.models import BillingPolicy, Vendor, VendorStatus

MAX_NAME = 200
MAX_CONTACT = 200
MAX_EMAIL = 254
MAX_PHONE = 40
MAX_STREET = 300
MAX_CITY = 100
MAX_POSTCODE = 20
MAX_NOTES = 2000
MAX_CURRENCY_NOTE = 100
MAX_TERMS_DAYS = 365
MAX_LEAD_DAYS = 365
MAX_SEARCH = 100
ADDRESS_PARTS = ("street", "city", "postcode", "country")
# Enough to tell a typo from an address; the form's Email validator is the stricter check.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+\Z")


class VendorInvalid(PurchasingError):
    """A vendor's field that cannot be saved; ``field`` names it for the form."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class VendorInput:
    """What the vendor form holds (text as typed; the service trims and checks it)."""

    name: str
    contact_name: str = ""
    email: str = ""
    phone: str = ""
    street: str = ""
    city: str = ""
    postcode: str = ""
    country: str = ""
    notes: str = ""
    payment_terms_days: int = 30
    currency_note: str = ""
    lead_time_days: int = 0
    billing_policy: str = BillingPolicy.RECEIVED.value


def get_vendor(vendor_id: UUID | str | None) -> Vendor | None:
    """The vendor of the shop in context with this id, or None (another shop's: None)."""
    return scoped_get(Vendor, vendor_id)


def _text(value: str | None, *, field: str, label: str, limit: int) -> str:
    text = (value or "").strip()
    if len(text) > limit:
        raise VendorInvalid(f"Use at most {limit} characters for the {label}.", field=field)
    return text


def _days(value: int, *, field: str, label: str, limit: int) -> int:
    if not isinstance(value, int) or not 0 <= value <= limit:
        raise VendorInvalid(f"Enter {label} from 0 to {limit} days.", field=field)
    return value


def _address(data: VendorInput) -> str | None:
    """The address as sealed JSON, or None when every part is blank."""
    parts = {
        "street": _text(data.street, field="street", label="street", limit=MAX_STREET),
        "city": _text(data.city, field="city", label="city", limit=MAX_CITY),
        "postcode": _text(data.postcode, field="postcode", label="postcode", limit=MAX_POSTCODE),
        "country": "",
    }
    if (data.country or "").strip():
        try:
            parts["country"] = normalise_country(data.country)
        except UnknownCountry as error:
            raise VendorInvalid(str(error), field="country") from None
    return json.dumps(parts) if any(parts.values()) else None


def _apply(vendor: Vendor, data: VendorInput) -> None:
    name = _text(data.name, field="name", label="company name", limit=MAX_NAME)
    if not name:
        raise VendorInvalid("Enter the vendor's company name.", field="name")
    email = _text(data.email, field="email", label="email", limit=MAX_EMAIL)
    if email and not _EMAIL.match(email):
        raise VendorInvalid("Enter a valid email address.", field="email")
    try:
        policy = BillingPolicy(data.billing_policy)
    except ValueError:
        raise VendorInvalid("Choose how bills are limited.", field="billing_policy") from None
    vendor.name = name
    vendor.contact_name = (
        _text(data.contact_name, field="contact_name", label="contact", limit=MAX_CONTACT) or None
    )
    vendor.email = email or None
    vendor.phone = _text(data.phone, field="phone", label="phone", limit=MAX_PHONE) or None
    vendor.address_json = _address(data)
    vendor.notes = _text(data.notes, field="notes", label="notes", limit=MAX_NOTES) or None
    vendor.payment_terms_days = _days(
        data.payment_terms_days,
        field="payment_terms_days",
        label="payment terms",
        limit=MAX_TERMS_DAYS,
    )
    vendor.lead_time_days = _days(
        data.lead_time_days, field="lead_time_days", label="a lead time", limit=MAX_LEAD_DAYS
    )
    vendor.currency_note = _text(
        data.currency_note, field="currency_note", label="currency note", limit=MAX_CURRENCY_NOTE
    )
    vendor.billing_policy = policy


def create_vendor(data: VendorInput, *, actor_id: UUID | None) -> Vendor:
    """Add a vendor to the shop in context; raises VendorInvalid naming the field at fault."""
    del actor_id  # vendors record no author; kept for the services' common signature
    vendor = Vendor(status=VendorStatus.ACTIVE)
    _apply(vendor, data)  # checks everything before the row exists
    db.session.add(vendor)
    db.session.flush()
    return vendor


def update_vendor(vendor: Vendor, data: VendorInput, *, actor_id: UUID | None) -> Vendor:
    """Change a vendor's details (archived ones too); raises VendorInvalid."""
    del actor_id
    _apply(vendor, data)
    db.session.flush()
    return vendor


def _move(vendor: Vendor, *, source: VendorStatus, target: VendorStatus) -> bool:
    """One conditional UPDATE: True when this call moved the vendor, False when it was not
    in ``source`` any more (a double click, a stale page)."""
    moved = db.session.execute(
        sa.update(Vendor)
        .where(Vendor.id == vendor.id, Vendor.status == source)
        .values(status=target)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(vendor)
    return bool(moved)


def archive_vendor(vendor: Vendor, *, actor_id: UUID | None) -> bool:
    """Hide an active vendor from pickers and suggestions (its POs and bills stay)."""
    del actor_id
    return _move(vendor, source=VendorStatus.ACTIVE, target=VendorStatus.ARCHIVED)


def restore_vendor(vendor: Vendor, *, actor_id: UUID | None) -> bool:
    """Make an archived vendor active again."""
    del actor_id
    return _move(vendor, source=VendorStatus.ARCHIVED, target=VendorStatus.ACTIVE)


def vendor_list(
    *, search: str = "", status: VendorStatus = VendorStatus.ACTIVE, page: int = 1, per_page: int
) -> Page:
    """The shop's vendors in one status by name, those whose name contains ``search``
    (on the index ``(tenant_id, status, name)``)."""
    statement = sa.select(Vendor).where(Vendor.status == status)
    text = (search or "").strip()[:MAX_SEARCH]
    if text:
        pattern = f"%{escape_like(text.lower())}%"
        statement = statement.where(sa.func.lower(Vendor.name).like(pattern, escape="\\"))
    return paginate(statement.order_by(Vendor.name, Vendor.id), page=page, per_page=per_page)


def active_vendors() -> list[Vendor]:
    """The shop's active vendors by name: what a picker offers."""
    return list(
        db.session.scalars(
            sa.select(Vendor)
            .where(Vendor.status == VendorStatus.ACTIVE)
            .order_by(Vendor.name, Vendor.id)
        )
    )


def vendor_address(vendor: Vendor) -> dict[str, str]:
    """The vendor's address parts (blank ones ""): for the form and the vendor page."""
    raw = vendor.address_json
    found = json.loads(raw) if raw else {}
    return {part: str(found.get(part) or "") for part in ADDRESS_PARTS}
