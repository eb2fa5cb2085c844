"""Mall-wide pages and the storefront."""

MALL_ROUTES = {"pages.home", "pages.search", "pages.cart", "pages.privacy", "pages.healthz"}
SHOP_ROUTES = {"storefront.shop_home"}
