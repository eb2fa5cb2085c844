"""The operators' category tree (/admin/categories): operators only, platform data."""

MALL_ROUTES = {
    "category_admin.index",
    "category_admin.create",
    "category_admin.edit",
    "category_admin.move",
    "category_admin.delete",
}
