"""Mall-wide pages (search, categories, sitemap and the cart are in storefront.py)."""

# static_versioned: the static folder under a fingerprint (no shop's data, no ids).
MALL_ROUTES = {"pages.home", "pages.privacy", "pages.healthz", "static_versioned"}
