"""The operator console (/admin): operators only, platform data (no shop's customers)."""

MALL_ROUTES = {
    "console.overview",
    "console.shops",
    "console.shop",
    "console.approve",
    "console.suspend",
    "console.reactivate",
    "console.commission",
    "console.close",
    "console.settings",
    "console.audit",
}
