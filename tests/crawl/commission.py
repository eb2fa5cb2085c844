"""Commission: the operator's settings and each shop's rates (console, operators only)."""

MALL_ROUTES = {
    "commission_console.index",
    "commission_console.shop",
    "commission_console.shop_rate",
    "commission_console.category_rate",
    "commission_console.remove_category_rate",
}
