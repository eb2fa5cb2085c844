"""Affiliate private programs: a shop's private affiliates in its back office (shop B's
member on shop A's path answers 404; ``tests/affiliates/test_private_programs.py`` also
shows that A's list never holds B's affiliates), and the affiliate's answer to an
invitation (the person's own invitations only: another's is refused by the service; an
invitation by email only through its signed link, which names the shop and the row, and a
tampered one answers 400: ``tests/affiliates/test_private_invitations.py``)."""

from __future__ import annotations

from uuid import uuid4

from mall.extensions import db

MALL_ROUTES = {
    "affiliates_private.accept",
    "affiliates_private.decline",
    "affiliates_private.invitation",
}

SHOP_ROUTES = {
    "affiliate_private_admin.members",
    "affiliate_private_admin.invite",
    "affiliate_private_admin.invite_email",
    "affiliate_private_admin.resend",
    "affiliate_private_admin.set_rate",
    "affiliate_private_admin.remove",
}


def make_member(shop, *, status=None, affiliate=None):
    """An affiliate in ``shop``'s private program (committed); returns the row's id."""
    from affiliates.models import Affiliate, AffiliateStatus, ShopAffiliate, ShopAffiliateStatus
    from tenants.context import tenant_context

    if affiliate is None:
        affiliate = Affiliate(
            code=f"PRIV-{uuid4().hex[:8].upper()}", status=AffiliateStatus.APPROVED
        )
        db.session.add(affiliate)
        db.session.flush()
    with tenant_context(shop):
        row = ShopAffiliate(
            tenant_id=shop.id,
            affiliate_id=affiliate.id,
            status=status or ShopAffiliateStatus.ACTIVE,
        )
        db.session.add(row)
        db.session.commit()
        return row.id


OBJECT_IDS = {"member_id": make_member}
