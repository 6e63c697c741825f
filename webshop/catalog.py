"""The catalogue domain: browsing, search, stock states, and the cache in front of them.

Views, the CLI and the admin call these functions; none of them touches `request`.

Caching is webshop.catalog_cache's (re-exported here: `cached`, `mark_changed`,
`init_app`): a catalogue version in every key, replaced by staff edits, and a stock
version per product, replaced by stock changes (`stock_changed`), which replace the
catalogue version only when what a product list shows changes.
"""
import functools
import logging
from dataclasses import dataclass
from typing import Optional

from flask import current_app
from sqlalchemy import String, bindparam, cast, func, literal_column, select, union_all
from sqlalchemy.orm import aliased

from webshop.catalog_cache import (  # noqa: F401  (the catalogue's API)
    AVAILABILITY, cached, init_app, mark_changed, mark_stock_changed,
)
from webshop import events
from webshop.extensions import db
from webshop.pagination import Page, PageOutOfRange, check_page  # noqa: F401  (re-exported)
from webshop.models import Category, DisplayCurrency, Product, ProductImage, ProductVariant
from webshop.models.pages import Page as PolicyPage
from webshop.search import search_filter, search_terms  # noqa: F401  (re-exported)

log = logging.getLogger(__name__)

SORTS = {
    "relevance": "Best match",
    "newest": "Newest",
    "price_asc": "Price: low to high",
    "price_desc": "Price: high to low",
    "name": "Name: A to Z",
    "rating": "Top rated",
}


# --- reading the catalogue --------------------------------------------------------

@dataclass(frozen=True)
class ProductCard:
    """What a product tile shows: one row of the list query, no lazy loading possible."""

    id: int
    slug: str
    name: str
    price_min: int
    price_max: int
    currency: str
    stock: int
    image: Optional[str]

    @property
    def has_price_range(self):
        return self.price_min != self.price_max


def first_image():
    """The filename of a product's first image, as a subquery correlated to Product."""
    return (
        select(ProductImage.filename)
        .where(ProductImage.product_id == Product.id)
        .order_by(ProductImage.position, ProductImage.id)
        .limit(1)
        .correlate(Product)
        .scalar_subquery()
    )


def variant_totals():
    """Per product: its price range, currency, total stock, number of variants and first
    variant id, as a subquery to join on product_id (shop cards and admin rows)."""
    return (
        select(
            ProductVariant.product_id,
            func.min(ProductVariant.price).label("price_min"),
            func.max(ProductVariant.price).label("price_max"),
            func.min(ProductVariant.currency).label("currency"),
            func.sum(ProductVariant.stock).label("stock"),
            func.count().label("variant_count"),
            func.min(ProductVariant.id).label("variant_id"),
        )
        .group_by(ProductVariant.product_id)
        .subquery()
    )


def _card_columns():
    variants = variant_totals()
    stmt = select(
        Product.id, Product.slug, Product.name, variants.c.price_min, variants.c.price_max,
        variants.c.currency, variants.c.stock, first_image().label("image"),
    ).join(variants, variants.c.product_id == Product.id)
    return stmt, variants


def list_filters(q="", category_id=None):
    """(WHERE clauses on Product, ORDER BY expressions of relevance) for the active
    products a list shows: in the category, matching the search words."""
    filters = [Product.active.is_(True)]
    if category_id is not None:
        filters.append(Product.category_id == category_id)
    relevance = []
    terms = search_terms(q)
    if terms:
        match, relevance = search_filter(terms)
        filters.append(match)
    return filters, relevance


def list_products(q="", category_id=None, sort=None, page=1, per_page=24, where=()):
    """One page of active products as ProductCards, plus the total. Two queries.
    `where`: more clauses on Product (the facets a shopper chose: webshop.facets).

    Raises PageOutOfRange for a page past the last one (page 1 always exists).
    """
    terms = search_terms(q)
    sort = sort if sort in SORTS else ("relevance" if terms else "newest")
    if sort == "relevance" and not terms:
        sort = "newest"

    stmt, variants = _card_columns()
    filters, relevance = list_filters(q, category_id)
    filters.extend(where)
    stmt = stmt.where(*filters)

    order = {
        "relevance": [*relevance, Product.created_at.desc()],
        "newest": [Product.created_at.desc()],
        "price_asc": [variants.c.price_min.asc()],
        "price_desc": [variants.c.price_min.desc()],
        "name": [Product.name.asc()],
        "rating": [Product.rating_average.desc(), Product.rating_count.desc()],
    }[sort]
    # Product.id last: equal prices or dates must not shuffle between pages.
    stmt = stmt.order_by(*order, Product.id.desc())

    total = db.session.scalar(select(func.count()).select_from(Product).where(*filters))
    check_page(page, per_page, total)
    if not total:  # nothing to fetch: the query a "did you mean" needs takes its place
        return Page([], page, per_page, 0), sort
    rows = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page))
    return Page([ProductCard(**row._mapping) for row in rows], page, per_page, total), sort


def featured_products(limit=8):
    stmt, _ = _card_columns()
    stmt = (
        stmt.where(Product.active.is_(True))
        .order_by(Product.featured.desc(), Product.created_at.desc(), Product.id.desc())
        .limit(limit)
    )
    return [ProductCard(**row._mapping) for row in db.session.execute(stmt)]


@dataclass(frozen=True)
class VariantView:
    id: int
    sku: str
    option_values: dict
    price: int
    currency: str
    stock: int
    image: Optional[str] = None  # the filename of the image showing this variant

    @property
    def label(self):
        """'M / Blue' for a variant with options, '' for a product's only variant."""
        return " / ".join(str(v) for v in (self.option_values or {}).values())


@dataclass(frozen=True)
class ImageView:
    filename: str
    alt: str


@dataclass(frozen=True)
class ProductView:
    """What a product page shows: plain values, so nothing can lazy-load while rendering."""

    id: int
    slug: str
    name: str
    description: str
    option_names: list
    category: Optional[dict]
    variants: tuple
    images: tuple


@functools.cache
def _product_page_statement():
    """Built once; one row per (variant, image) pair, folded into a ProductView."""
    variant_image = aliased(ProductImage)
    return (
        select(
            Product.id, Product.slug, Product.name, Product.description, Product.option_names,
            Category.slug.label("category_slug"), Category.name.label("category_name"),
            ProductVariant.id.label("variant_id"), ProductVariant.sku,
            ProductVariant.option_values, ProductVariant.price, ProductVariant.currency,
            ProductVariant.stock, ProductImage.filename, ProductImage.alt,
            variant_image.filename.label("variant_image"),
        )
        .outerjoin(Category, Category.id == Product.category_id)
        .join(ProductVariant, ProductVariant.product_id == Product.id)
        .outerjoin(ProductImage, ProductImage.product_id == Product.id)
        .outerjoin(variant_image, variant_image.id == ProductVariant.image_id)
        .where(Product.slug == bindparam("slug"), Product.active.is_(True))
        .order_by(ProductVariant.position, ProductVariant.id, ProductImage.position,
                  ProductImage.id)
    )


def get_product(slug):
    """The active product with its variants, images and category, in one query; or None.

    Plain Core rows rather than ORM objects: on the uncached product page the ORM's
    per-object work cost more than the query itself. Run on the session's connection
    (same transaction), not through Session.execute: its ORM layer is a fifth of the cost
    of a statement that loads no objects.
    """
    rows = db.session.connection().execute(_product_page_statement(), {"slug": slug}).all()
    if not rows:
        return None
    first = rows[0]
    variants, images = {}, {}
    for row in rows:
        if row.variant_id not in variants:
            variants[row.variant_id] = VariantView(
                row.variant_id, row.sku, row.option_values, row.price, row.currency, row.stock,
                row.variant_image)
        if row.filename is not None and row.filename not in images:
            images[row.filename] = ImageView(row.filename, row.alt)
    category = (
        {"slug": first.category_slug, "name": first.category_name}
        if first.category_slug else None
    )
    return ProductView(
        first.id, first.slug, first.name, first.description, first.option_names or [],
        category, tuple(variants.values()), tuple(images.values()),
    )


def choose_variant(product, variant_id=None):
    """The variant to show: the one asked for, else the first in stock, else the first."""
    by_id = {v.id: v for v in product.variants}
    if variant_id in by_id:
        return by_id[variant_id]
    return next((v for v in product.variants if v.stock > 0), product.variants[0])


def categories():
    """All categories as plain dicts (cheap to cache), in display order."""
    return navigation()["categories"]


def navigation():
    """What every storefront page links to: {"categories": [{id, slug, name,
    description}], "pages": [{slug, title}] (the published policy pages, for the
    footer), "currencies": {code: rate_e8} (the active display currencies, for the
    switcher and the conversions: webshop.pricing.currencies)}, in display order. One
    query on a cache miss, so the footer costs none."""
    def load():
        kind = literal_column("'category'").label("kind")
        rows = db.session.execute(union_all(
            select(kind, Category.id, Category.slug, Category.name, Category.description,
                   Category.position),
            select(literal_column("'page'"), PolicyPage.id, PolicyPage.slug, PolicyPage.title,
                   literal_column("''"), PolicyPage.position)
            .where(PolicyPage.published.is_(True)),
            select(literal_column("'currency'"), DisplayCurrency.id, DisplayCurrency.code,
                   DisplayCurrency.code, cast(DisplayCurrency.rate_e8, String),
                   literal_column("0")).where(DisplayCurrency.active.is_(True)),
        ).order_by("kind", "position", "name"))
        found = {"categories": [], "pages": [], "currencies": {}}
        for row in rows:
            if row.kind == "category":
                found["categories"].append({"id": row.id, "slug": row.slug, "name": row.name,
                                            "description": row.description})
            elif row.kind == "currency":
                found["currencies"][row.slug] = int(row.description)
            else:
                found["pages"].append({"slug": row.slug, "title": row.name})
        return found
    return cached(("navigation",), load)


def category_pictures():
    """{category id: a picture for its tile on the home page}: the first image of the
    category's featured-first, newest active product that has one. One query."""
    image = first_image()
    ranked = (
        select(Product.category_id, image.label("image"), func.row_number().over(
            partition_by=Product.category_id,
            order_by=(Product.featured.desc(), Product.created_at.desc(), Product.id.desc()),
        ).label("rank"))
        .where(Product.active.is_(True), Product.category_id.is_not(None), image.is_not(None))
        .subquery()
    )
    rows = db.session.execute(select(ranked.c.category_id, ranked.c.image)
                              .where(ranked.c.rank == 1))
    return {row.category_id: row.image for row in rows}


def category_by_slug(slug):
    return next((c for c in categories() if c["slug"] == slug), None)


def stock_level(stock, threshold=None):
    """in_stock | low | sold_out, against LOW_STOCK_THRESHOLD unless told otherwise."""
    if threshold is None:
        threshold = current_app.config["LOW_STOCK_THRESHOLD"]
    if stock <= 0:
        return "sold_out"
    return "low" if stock <= threshold else "in_stock"


STOCK_LABELS = {"sold_out": "Sold out", "low": "Only {stock} left", "in_stock": "In stock"}


def stock_state(stock):
    """(stock level, what the shopper reads), e.g. ('low', 'Only 3 left')."""
    level = stock_level(stock)
    return level, STOCK_LABELS[level].format(stock=stock)


# --- changing the catalogue ---------------------------------------------------------

def set_variant_price(variant_id, price):
    """Set a variant's price (minor units) and commit; the cache follows at once."""
    if not isinstance(price, int) or price < 0:
        raise ValueError("A price is a whole, non-negative number of minor units.")
    variant = db.session.get(ProductVariant, variant_id)
    if variant is None:
        raise LookupError(f"No variant {variant_id}")
    variant.price = price
    db.session.commit()
    return variant


def stock_changed(deltas, session=None):
    """After a bulk UPDATE of stock ({variant id: units added, negative when taken}), in
    the same transaction: when it commits, the pages showing that stock are replaced,
    and only those. One query.

    The product pages (and purchase fragments) of the products touched always; the
    catalogue version (every list, the home page) only when a product card would read
    differently: its total stock crossed into or out of "sold out" or "only N left".
    Concurrent orders for different variants of one product each see the other's
    stock as before it, so a list may miss a crossing they make together until the
    product's next change; product pages, and checkout, are always exact.
    A variant selling out or coming back also replaces the AVAILABILITY version: lists
    narrowed by facets read single variants' stock (webshop.facets).
    """
    session = session or db.session
    deltas = {variant_id: delta for variant_id, delta in deltas.items() if delta}
    if not deltas:
        return
    touched = select(ProductVariant.product_id).where(ProductVariant.id.in_(deltas))
    totals, moved, restocked, sold_out = {}, {}, [], False
    for slug, variant_id, stock in session.execute(
        select(Product.slug, ProductVariant.id, ProductVariant.stock)
        .join(ProductVariant, ProductVariant.product_id == Product.id)
        .where(Product.id.in_(touched))
    ):
        totals[slug] = totals.get(slug, 0) + stock
        moved[slug] = moved.get(slug, 0) + deltas.get(variant_id, 0)
        if stock > 0 >= stock - deltas.get(variant_id, 0):
            restocked.append(variant_id)  # sold out until this change: back in stock
        sold_out = sold_out or stock - deltas.get(variant_id, 0) > 0 >= stock
    mark_stock_changed(totals, session)
    if restocked or sold_out:
        mark_stock_changed({AVAILABILITY}, session)
    if restocked:
        events.variants_restocked.send(restocked, session=session)
    if any(stock_state(after - moved[slug]) != stock_state(after)
           for slug, after in totals.items()):
        mark_changed(session)
