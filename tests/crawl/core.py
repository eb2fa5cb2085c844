"""Mall-wide pages (search, categories, sitemap and the cart are in storefront.py)."""

MALL_ROUTES = {"pages.home", "pages.privacy", "pages.healthz"}
