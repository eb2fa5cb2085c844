"""Digital delivery: the buyer's signed pages (outside any shop), the shop's delivery back office
and the staff actions per order line."""

from __future__ import annotations

# Signed tokens guard these (a shop's ids in them are signed), or the signed-in account.
MALL_ROUTES = {"delivery.order_page", "delivery.download", "delivery.account_downloads"}

SHOP_ROUTES = {
    "delivery_admin.index",
    "delivery_admin.save_settings",
    "delivery_admin.pool",
    "delivery_admin.import_keys",
    "delivery_admin.set_threshold",
    "delivery_admin.set_policy",
    "delivery_admin.regrant",
    "delivery_admin.extend",
}


def make_line(shop):
    """A digital order line of ``shop``, paid (so it has a grant); returns its id."""
    from tests.support.delivery import digital_product, paid_order, the_grant

    font = digital_product(shop)
    return the_grant(shop, paid_order(shop, font.variant_id)).order_line_id


OBJECT_IDS = {"line_id": make_line}
