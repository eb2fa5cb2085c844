"""A member shop's storefront at /shop/<slug>/, its subdomain or its custom domain."""
