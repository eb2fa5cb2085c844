"""The link builder: any page of the mall as the affiliate's short link and as a ``?ref=`` link.

The page must be one ``/r/<code>`` would lead to (``affiliates.tracking.links.safe_target``):
a path, or an address on the mall's own hosts. Where the short link would quietly send a
visitor to the home page instead, the builder says so, so nobody shares a link that does
not go where they meant.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import current_app

from affiliates.errors import AffiliateError
from affiliates.tracking.links import HOME, MAX_TARGET, safe_target


@dataclass(frozen=True)
class BuiltLinks:
    """The two ways to share one page."""

    target: str  # the page as typed (trimmed, its path normalised), where both links lead
    short: str  # <public URL>/r/<code>?to=<page>
    ref: str  # the page's own address with ?ref=<code>


def build_links(code: str, page: str) -> BuiltLinks:
    """The short and ``?ref=`` links of the affiliate ``code`` to ``page``; raises
    ``AffiliateError`` when the page is not one of the mall's."""
    wanted = (page or "").strip()
    if not wanted:
        raise AffiliateError("Paste the address of a page of the mall, or a path such as /search.")
    if len(wanted) > MAX_TARGET:
        raise AffiliateError(f"That address is too long: at most {MAX_TARGET} characters.")
    target = safe_target(wanted)
    public = current_app.config["PUBLIC_URL"].rstrip("/")
    if target.refused:
        raise AffiliateError(
            "Links can only lead to pages of the mall: paste an address of the mall or one of"
            f" its shops (like {public}/search), or a path starting with /."
        )
    # The short link leads where safe_target sends it (``/a/../b`` as ``/b``): both links
    # name that page.
    page = target.location
    short = f"{public}/r/{code}"
    if page != HOME:
        short += "?" + urlencode({"to": page})
    return BuiltLinks(target=page, short=short, ref=_with_ref(page, code, public))


def _with_ref(page: str, code: str, public: str) -> str:
    """``page`` (a path on the public URL, or an absolute address) with ``ref=<code>`` in its
    query, replacing any ``ref`` already there; the fragment stays last."""
    parts = urlsplit(page if "://" in page else public + page)
    kept = [pair for pair in parse_qsl(parts.query, keep_blank_values=True) if pair[0] != "ref"]
    query = [*kept, ("ref", code)]
    return urlunsplit(parts._replace(path=parts.path or "/", query=urlencode(query)))
