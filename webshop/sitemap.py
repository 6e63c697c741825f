"""What search engines are told about the catalogue: the sitemap's entries.

Only what a shopper may see is listed: active products and categories with at least
one active product. The list is cached under the catalogue version, like the pages.
"""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from webshop import catalog
from webshop.extensions import db
from webshop.models import Category, Product

# The sitemap protocol's limit per file; a shop beyond it needs a sitemap index.
MAX_URLS = 50_000


@dataclass(frozen=True)
class Entry:
    kind: str  # "product" or "category"
    slug: str
    updated_at: datetime


def entries():
    """Every active product and every category that shows one, newest change first."""
    return catalog.cached(("sitemap",), _load)


def _load():
    products = db.session.execute(
        select(Product.slug, Product.updated_at).where(Product.active)
        .order_by(Product.updated_at.desc(), Product.id).limit(MAX_URLS)
    ).all()
    categories = db.session.execute(
        select(Category.slug, func.max(Product.updated_at))
        .join(Product, Product.category_id == Category.id)
        .where(Product.active).group_by(Category.id, Category.slug).order_by(Category.slug)
    ).all()
    return ([Entry("category", slug, updated) for slug, updated in categories]
            + [Entry("product", slug, updated) for slug, updated in products])[:MAX_URLS]
