"""The catalogue domain: browsing, search, stock states, and the cache in front of them.

Views, the CLI and the admin call these functions; none of them touches `request`.

Caching: every cached entry's key carries the catalogue *version*, a random token kept
in the cache itself. Any committed change to a category, product, image or variant
(noticed by a session hook, or announced with `mark_changed` for bulk UPDATEs such as
stock reservation) replaces the token, so every old entry becomes unreachable at once
and a shopper never sees a stale price or stock state. A token (not a counter) is used
so that an evicted version key can never bring old entries back.
"""
import functools
import logging
import re
import uuid
from dataclasses import dataclass
from itertools import chain
from typing import Optional

from flask import current_app, g
from sqlalchemy import and_, bindparam, case, event, func, literal_column, or_, select
from sqlalchemy.orm import Session

from webshop import safe_cache
from webshop.extensions import db
from webshop.pagination import Page, PageOutOfRange, check_page  # noqa: F401  (re-exported)
from webshop.models import Category, Product, ProductImage, ProductVariant
from webshop.models.catalog import product_search_document

log = logging.getLogger(__name__)

SORTS = {
    "relevance": "Best match",
    "newest": "Newest",
    "price_asc": "Price: low to high",
    "price_desc": "Price: high to low",
    "name": "Name: A to Z",
}
MAX_QUERY_WORDS = 8


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


def search_terms(q):
    """The words of a search box entry, as the database should see them."""
    return re.findall(r"\w+", (q or "").lower())[:MAX_QUERY_WORDS]


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


def _search_filter(terms):
    """(where-clause, relevance expression) for the search words, per database."""
    if db.session.get_bind().dialect.name == "postgresql":
        # Prefix matching, so "cera" finds "ceramic" while the shopper is still typing.
        query = func.to_tsquery(literal_column("'english'"), " & ".join(f"{t}:*" for t in terms))
        document = product_search_document(Product.name, Product.description)
        return document.op("@@")(query), func.ts_rank(document, query)
    # SQLite: every word somewhere in name or description; name matches rank first.
    clauses = [
        or_(Product.name.ilike(f"%{t}%"), Product.description.ilike(f"%{t}%")) for t in terms
    ]
    in_name = [Product.name.ilike(f"%{t}%") for t in terms]
    return and_(*clauses), case((and_(*in_name), 1), else_=0)


def list_products(q="", category_id=None, sort=None, page=1, per_page=24):
    """One page of active products as ProductCards, plus the total. Two queries.

    Raises PageOutOfRange for a page past the last one (page 1 always exists).
    """
    terms = search_terms(q)
    sort = sort if sort in SORTS else ("relevance" if terms else "newest")
    if sort == "relevance" and not terms:
        sort = "newest"

    stmt, variants = _card_columns()
    filters = [Product.active.is_(True)]
    if category_id is not None:
        filters.append(Product.category_id == category_id)
    rank = None
    if terms:
        match, rank = _search_filter(terms)
        filters.append(match)
    stmt = stmt.where(*filters)

    order = {
        "relevance": [rank.desc() if rank is not None else None, Product.created_at.desc()],
        "newest": [Product.created_at.desc()],
        "price_asc": [variants.c.price_min.asc()],
        "price_desc": [variants.c.price_min.desc()],
        "name": [Product.name.asc()],
    }[sort]
    # Product.id last: equal prices or dates must not shuffle between pages.
    stmt = stmt.order_by(*[o for o in order if o is not None], Product.id.desc())

    total = db.session.scalar(select(func.count()).select_from(Product).where(*filters))
    check_page(page, per_page, total)
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
    return (
        select(
            Product.id, Product.slug, Product.name, Product.description, Product.option_names,
            Category.slug.label("category_slug"), Category.name.label("category_name"),
            ProductVariant.id.label("variant_id"), ProductVariant.sku,
            ProductVariant.option_values, ProductVariant.price, ProductVariant.currency,
            ProductVariant.stock, ProductImage.filename, ProductImage.alt,
        )
        .outerjoin(Category, Category.id == Product.category_id)
        .join(ProductVariant, ProductVariant.product_id == Product.id)
        .outerjoin(ProductImage, ProductImage.product_id == Product.id)
        .where(Product.slug == bindparam("slug"), Product.active.is_(True))
        .order_by(ProductVariant.position, ProductVariant.id, ProductImage.position,
                  ProductImage.id)
    )


def get_product(slug):
    """The active product with its variants, images and category, in one query; or None.

    Plain Core rows rather than ORM objects: on the uncached product page the ORM's
    per-object work cost more than the query itself.
    """
    rows = db.session.execute(_product_page_statement(), {"slug": slug}).all()
    if not rows:
        return None
    first = rows[0]
    variants, images = {}, {}
    for row in rows:
        if row.variant_id not in variants:
            variants[row.variant_id] = VariantView(
                row.variant_id, row.sku, row.option_values, row.price, row.currency, row.stock)
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
    def load():
        rows = db.session.execute(
            select(Category.id, Category.slug, Category.name, Category.description)
            .order_by(Category.position, Category.name)
        )
        return [dict(row._mapping) for row in rows]
    return cached(("categories",), load)


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


def mark_changed(session=None):
    """Announce a catalogue change the session hook cannot see (a bulk UPDATE)."""
    (session or db.session).info["catalog_changed"] = True


# --- the cache ---------------------------------------------------------------------

VERSION_KEY = "catalog:version"
def _version():
    """The catalogue version, read once per request (or CLI/job context)."""
    version = g.get("catalog_version")
    if version is None:
        version = safe_cache.call("get", VERSION_KEY)
        if version is None:
            version = uuid.uuid4().hex[:12]
            safe_cache.call("set", VERSION_KEY, version, 0)
        g.catalog_version = version
    return version


def bump_version():
    safe_cache.call("set", VERSION_KEY, uuid.uuid4().hex[:12], 0)
    g.pop("catalog_version", None)


# Each process also keeps what it has already fetched for the current version, so a
# cached page costs one Redis round trip (the version) instead of one per fragment.
# A new version drops the lot; the size bound keeps odd search strings from hoarding.
LOCAL_MAX_ENTRIES = 2000
_local = {"version": None, "entries": {}}


def cached(key_parts, load):
    """load() through the cache, under the current catalogue version. None is not cached."""
    global _local
    version = _version()
    local = _local
    if local["version"] != version:
        local = _local = {"version": version, "entries": {}}
    key = ":".join(str(p) for p in key_parts)
    value = local["entries"].get(key)
    if value is not None:
        return value
    value = safe_cache.call("get", f"catalog:{version}:{key}")
    if value is None:
        value = load()
        if value is None:
            return None
        safe_cache.call("set", f"catalog:{version}:{key}", value)
    if len(local["entries"]) >= LOCAL_MAX_ENTRIES:
        local["entries"].clear()
    local["entries"][key] = value
    return value


CATALOG_MODELS = (Category, Product, ProductImage, ProductVariant)


def _note_catalog_changes(session, flush_context, instances):
    changed = chain(session.new, session.deleted, (o for o in session.dirty if session.is_modified(o)))
    if any(isinstance(obj, CATALOG_MODELS) for obj in changed):
        session.info["catalog_changed"] = True


def _after_commit(session):
    if session.info.pop("catalog_changed", False):
        bump_version()


def _after_rollback(session):
    session.info.pop("catalog_changed", None)


def init_app(app):
    if not event.contains(Session, "before_flush", _note_catalog_changes):
        event.listen(Session, "before_flush", _note_catalog_changes)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", lambda s, t: _after_rollback(s))
