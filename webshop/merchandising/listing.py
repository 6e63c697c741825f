"""The catalogue as the admin lists it: a page of products with their totals, one
product's row, a product ready for editing, and the categories with their counts.
Read-only; each is a fixed number of queries whatever the number of rows."""
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from webshop.catalog import first_image, stock_level, variant_totals
from webshop.extensions import db
from webshop.models import Category, Product, ProductVariant
from webshop.pagination import Page, check_page

ADMIN_SORTS = {"newest": "Newest", "name": "Name", "price": "Price", "stock": "Stock (lowest first)"}
STOCK_STATES = {"in_stock": "In stock", "low": "Low stock", "sold_out": "Sold out"}


@dataclass(frozen=True)
class AdminProductRow:
    """One row of the admin's product table: one query for the whole page."""

    id: int
    slug: str
    name: str
    active: bool
    featured: bool
    category_name: Optional[str]
    variant_count: int
    variant_id: Optional[int]  # the variant, when there is only one
    price_min: Optional[int]
    price_max: Optional[int]
    currency: Optional[str]
    stock: int
    image: Optional[str]

    @property
    def has_price_range(self):
        return self.price_min != self.price_max


admin_stock_state = stock_level  # in_stock | low | sold_out against a given threshold


def _admin_rows(variants):
    stock = func.coalesce(variants.c.stock, 0)
    return (
        select(
            Product.id, Product.slug, Product.name, Product.active, Product.featured,
            Category.name.label("category_name"),
            func.coalesce(variants.c.variant_count, 0).label("variant_count"),
            case((variants.c.variant_count == 1, variants.c.variant_id)).label("variant_id"),
            variants.c.price_min, variants.c.price_max, variants.c.currency,
            stock.label("stock"), first_image().label("image"),
        )
        .outerjoin(variants, variants.c.product_id == Product.id)
        .outerjoin(Category, Category.id == Product.category_id)
    )


def admin_products(q="", category_id=None, stock_state=None, sort="newest", page=1,
                   per_page=50, low_stock_threshold=5):
    """A page of every product (active or not) for the admin as AdminProductRows: two
    queries, whatever the number of rows or variants.

    q matches the name, slug or any variant's SKU; stock_state is in_stock | low |
    sold_out by the product's total stock against the threshold. Raises PageOutOfRange.
    """
    variants = variant_totals()
    stock = func.coalesce(variants.c.stock, 0)
    filters = []
    q = (q or "").strip()
    if q:
        filters.append(or_(
            Product.name.icontains(q, autoescape=True),
            Product.slug.icontains(q, autoescape=True),
            exists().where(ProductVariant.product_id == Product.id,
                           ProductVariant.sku.icontains(q, autoescape=True)),
        ))
    if category_id is not None:
        filters.append(Product.category_id == category_id)
    if stock_state == "sold_out":
        filters.append(stock <= 0)
    elif stock_state == "low":
        filters.append(and_(stock > 0, stock <= low_stock_threshold))
    elif stock_state == "in_stock":
        filters.append(stock > low_stock_threshold)
    matching = (select(Product.id).outerjoin(variants, variants.c.product_id == Product.id)
                .where(*filters).subquery())
    total = db.session.scalar(select(func.count()).select_from(matching))
    check_page(page, per_page, total)
    order = {
        "name": [Product.name.asc()],
        "price": [variants.c.price_min.asc()],
        "stock": [stock.asc()],
    }.get(sort, [Product.created_at.desc()])
    stmt = (_admin_rows(variants).where(*filters).order_by(*order, Product.id.desc())
            .limit(per_page).offset((page - 1) * per_page))
    rows = [AdminProductRow(**row._mapping) for row in db.session.execute(stmt)]
    return Page(rows, page, per_page, total)


def admin_product_row(product_id):
    """One product's AdminProductRow (to redraw its row after an inline change), or None."""
    row = db.session.execute(
        _admin_rows(variant_totals()).where(Product.id == product_id)).first()
    return AdminProductRow(**row._mapping) if row else None


def product_for_edit(product_id):
    """A product with its category, variants and images loaded, or None."""
    return db.session.scalar(
        select(Product).where(Product.id == product_id)
        .options(selectinload(Product.variants), selectinload(Product.images),
                 joinedload(Product.category)))


# --- categories ---------------------------------------------------------------------------

@dataclass(frozen=True)
class AdminCategoryRow:
    id: int
    slug: str
    name: str
    position: int
    product_count: int


def admin_categories():
    """Every category in display order with its number of products: one query."""
    counts = (select(Product.category_id, func.count().label("n"))
              .group_by(Product.category_id).subquery())
    rows = db.session.execute(
        select(Category.id, Category.slug, Category.name, Category.position,
               func.coalesce(counts.c.n, 0).label("product_count"))
        .outerjoin(counts, counts.c.category_id == Category.id)
        .order_by(Category.position, Category.name, Category.id))
    return [AdminCategoryRow(**row._mapping) for row in rows]
