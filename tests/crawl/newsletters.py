"""Newsletters: the email preferences page (signed-in account), the signed unsubscribe
link (no sign-in), the operator's mall newsletters and a shop's newsletters."""

from __future__ import annotations

# The account's own page, a signed token (ids only), operator rights.
MALL_ROUTES = {
    "newsletters.preferences",
    "newsletter_links.unsubscribe",
    "newsletter_links.unsubscribe_post",
    "newsletters_console.index",
    "newsletters_console.create",
    "newsletters_console.show",
    "newsletters_console.update",
    "newsletters_console.send",
}

SHOP_ROUTES = {
    "newsletters_admin.index",
    "newsletters_admin.create",
    "newsletters_admin.show",
    "newsletters_admin.update",
    "newsletters_admin.send",
}


def make_newsletter(shop):
    """A draft newsletter of ``shop``; returns its id."""
    from mall.extensions import db
    from mall.newsletters.services import create_newsletter
    from tenants.context import tenant_context

    with tenant_context(shop):
        newsletter = create_newsletter("Spring news", body="Hello **you**.")
        newsletter_id = newsletter.id
        db.session.commit()
    return newsletter_id


OBJECT_IDS = {"newsletter_id": make_newsletter}
