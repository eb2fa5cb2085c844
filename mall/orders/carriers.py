"""Carriers a shop ships with, and the link where its customer follows a parcel.

``CARRIERS`` maps a short key (stored in ``Shipment.carrier``) to the carrier's
name and its public tracking page, with ``{number}`` where the tracking number
goes. ``tracking_url(carrier, number, custom_url)`` picks the link: the shop's
own link when it typed one, else the carrier's page for the number.

Both typed values are checked here, once, for every caller: a tracking number is
printable, at most 100 characters and has no spaces inside; a typed link is an
``https://`` (or ``http://``) address of a host, never ``javascript:``, ``data:``
or anything else a browser would run or open locally. The number is
percent-encoded into the template, so it can never add a query, fragment or path.
Nothing here holds personal data: the templates carry the tracking number only
(PostNL's page also takes a postcode, which stays out of the link).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from mall.orders.errors import OrderError

MAX_NUMBER = 100  # Shipment.tracking_number
MAX_URL = 500  # Shipment.tracking_url
MAX_CARRIER = 40  # Shipment.carrier
OTHER = "other"
SCHEMES = ("https", "http")
HOSTNAME = re.compile(r"(?=.{1,253}\Z)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")


class TrackingError(OrderError):
    """A tracking number or link that cannot be used; the message says what to type."""


@dataclass(frozen=True)
class Carrier:
    """A carrier's name and its tracking page (``{number}`` marks the tracking number)."""

    key: str
    name: str
    template: str = ""


CARRIERS: dict[str, Carrier] = {
    carrier.key: carrier
    for carrier in (
        Carrier("ups", "UPS", "https://www.ups.com/track?tracknum={number}"),
        Carrier("usps", "USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}"),
        Carrier("fedex", "FedEx", "https://www.fedex.com/fedextrack/?trknbr={number}"),
        Carrier(
            "dhl_express",
            "DHL Express",
            "https://www.dhl.com/global-en/home/tracking/tracking-express.html"
            "?submit=1&tracking-id={number}",
        ),
        Carrier(
            "dhl_parcel",
            "DHL Parcel / Deutsche Post",
            "https://www.dhl.de/en/privatkunden/pakete-empfangen/verfolgen.html?piececode={number}",
        ),
        Carrier(
            "royal_mail",
            "Royal Mail",
            "https://www.royalmail.com/track-your-item#/tracking-results/{number}",
        ),
        Carrier(
            "canada_post",
            "Canada Post",
            "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor={number}",
        ),
        Carrier(
            "australia_post",
            "Australia Post",
            "https://auspost.com.au/mypost/track/details/{number}",
        ),
        Carrier(
            "la_poste",
            "La Poste / Colissimo",
            "https://www.laposte.fr/outils/suivre-vos-envois?code={number}",
        ),
        Carrier("postnl", "PostNL", "https://postnl.nl/tracktrace/?B={number}"),
        Carrier("gls", "GLS", "https://gls-group.com/GROUP/en/parcel-tracking?match={number}"),
        Carrier("dpd", "DPD", "https://tracking.dpd.de/status/en_US/parcel/{number}"),
        Carrier(OTHER, "Other"),
    )
}


def carrier_choices() -> list[tuple[str, str]]:
    """(key, name) of every carrier, for a select; "Other" last."""
    return [(carrier.key, carrier.name) for carrier in CARRIERS.values()]


def carrier_name(carrier: str) -> str:
    """The name to show for a stored ``Shipment.carrier`` (a key, or another carrier's name)."""
    known = CARRIERS.get(carrier)
    if known is None:
        return carrier or "Other carrier"
    return "Other carrier" if known.key == OTHER else known.name


def clean_carrier(value: str | None) -> str:
    """What ``Shipment.carrier`` stores: a known key, or the typed name of another carrier.

    An empty value is ``"other"`` (a carrier the shop did not name). Raises
    ``TrackingError`` for a name that is unprintable or longer than 40 characters.
    """
    name = " ".join((value or "").split())
    if not name or name in CARRIERS:
        return name or OTHER
    if len(name) > MAX_CARRIER or not name.isprintable():
        raise TrackingError(f"Enter the carrier's name in at most {MAX_CARRIER} characters.")
    return name


_TRACKING = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")


def clean_tracking_number(text: str | None) -> str:
    """The tracking number as typed, stripped; ``""`` for none.

    Raises ``TrackingError`` when it has spaces inside, anything but ASCII letters,
    digits and hyphens (carriers print nothing else), or more than 100 characters.
    """
    number = _printable_number(text)
    if number and not _TRACKING.fullmatch(number):
        raise TrackingError(
            "Enter the tracking number as the carrier gave it: letters, digits and hyphens only."
        )
    return number


def _printable_number(text: str | None) -> str:
    # The rule numbers stored before letters, digits and hyphens were required still meet:
    # links are built for them, percent-encoded.
    number = (text or "").strip()
    if len(number) > MAX_NUMBER:
        raise TrackingError(f"A tracking number has at most {MAX_NUMBER} characters.")
    if not number.isprintable() or any(char.isspace() for char in number):
        raise TrackingError("Enter the tracking number without spaces, as the carrier gave it.")
    return number


def clean_tracking_link(text: str | None) -> str:
    """A tracking link the shop typed, stripped; ``""`` for none.

    Only an ``https://`` or ``http://`` address with a host is taken (a
    ``javascript:`` link in an email or a page would run); no spaces, no
    credentials, at most 500 characters. Raises ``TrackingError`` otherwise.
    """
    url = (text or "").strip()
    if not url:
        return ""
    refused = TrackingError(
        "Enter the tracking link as a web address starting with https:// (or http://)."
    )
    if len(url) > MAX_URL:
        raise TrackingError(f"A tracking link has at most {MAX_URL} characters.")
    if not url.isprintable() or any(char.isspace() or char == "\\" for char in url):
        raise refused
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError:
        raise refused from None
    if parts.scheme.lower() not in SCHEMES or not hostname or "@" in parts.netloc:
        raise refused
    if not HOSTNAME.fullmatch(hostname):  # a real host name: "x\"><script>" is not one
        raise refused
    return url


def tracking_url(carrier: str, number: str, custom_url: str = "") -> str:
    """The link where the customer follows the parcel; ``""`` when there is none.

    The shop's own link (``custom_url``, checked) comes first; else the carrier's
    tracking page for ``number`` (checked, percent-encoded); else nothing (another
    carrier, or no number). Raises ``TrackingError`` for a bad number or link.
    """
    link = clean_tracking_link(custom_url)
    if link:
        return link
    number = _printable_number(number)
    known = CARRIERS.get(carrier)
    if not number or known is None or not known.template:
        return ""
    return known.template.format(number=quote(number, safe=""))
