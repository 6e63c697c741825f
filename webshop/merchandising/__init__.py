"""Merchandising: the catalogue as staff write it.

- `products`: products and variants (the checks, create, update, show/hide, delete)
- `images`: a product's pictures (upload, remove; the files are webshop.media's)
- `categories`: create, rename, reorder, delete
- `listing`: the admin's read models (product table, one row, the edit page, categories)
- `rules`: what they share (CatalogError, slugs, unique constraints, audit diffs)

Callers use the names below: `from webshop import merchandising;
merchandising.create_product(...)`.
"""
from webshop.merchandising.categories import (
    create_category, delete_category, move_category, rename_category,
)
from webshop.merchandising.images import add_image, remove_image, set_variant_images
from webshop.merchandising.listing import (
    ADMIN_SORTS, STOCK_STATES, AdminCategoryRow, AdminProductRow, admin_categories,
    admin_product_row, admin_products, admin_stock_state, product_for_edit,
)
from webshop.merchandising.products import (
    MAX_PRICE, MAX_STOCK, create_product, delete_product, set_active, times_ordered,
    update_product,
)
from webshop.merchandising.rules import CatalogError, slugify

__all__ = [
    "ADMIN_SORTS", "MAX_PRICE", "MAX_STOCK", "STOCK_STATES", "AdminCategoryRow",
    "AdminProductRow", "CatalogError", "add_image", "admin_categories", "admin_product_row",
    "admin_products", "admin_stock_state", "create_category", "create_product",
    "delete_category", "delete_product", "move_category", "product_for_edit", "remove_image",
    "rename_category", "set_active", "set_variant_images", "slugify", "times_ordered", "update_product",
]
