"""The catalog: categories, products, variants, stock, images, digital files, search."""
