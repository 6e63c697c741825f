"""Merchandising: how staff change the catalogue (products, variants, images, categories).

Each function takes plain values and the acting user, writes audit entries with the
values before and after, and commits once; or raises CatalogError having changed
nothing. The catalogue's session hook (webshop.catalog) makes every commit invalidate
the storefront cache at once. Stock levels of existing variants change only through
webshop.inventory (with a reason), never through a product edit that could overwrite a
sale made meanwhile.
"""
import io
import logging
import os
import re
import secrets
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Optional

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from webshop.catalog import first_image, stock_level
from webshop.demo_data import IMAGE_SIZE, PRODUCT_IMAGE_DIR, save_with_thumbnail, thumbnail_name
from webshop.extensions import db
from webshop.models import Category, OrderItem, Product, ProductImage, ProductVariant
from webshop.models.audit import record
from webshop.pagination import Page, check_page

log = logging.getLogger(__name__)

SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_PRICE = 99_999_999          # 999,999.99: far above anything sold, far below the column's limit
MAX_STOCK = 1_000_000
IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
DEFAULT_MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_IMAGE_PIXELS = 50_000_000   # a small file can still decode to gigabytes (a "bomb")
ADMIN_SORTS = {"newest": "Newest", "name": "Name", "price": "Price", "stock": "Stock (lowest first)"}
STOCK_STATES = {"in_stock": "In stock", "low": "Low stock", "sold_out": "Sold out"}
# What a unique constraint's violation means, for callers that lost a race.
_UNIQUE = {
    "uq_product_slug": ("slug", "Another product already uses that slug."),
    "product.slug": ("slug", "Another product already uses that slug."),
    "uq_product_variant_sku": ("sku", "That SKU is already in use."),
    "product_variant.sku": ("sku", "That SKU is already in use."),
    "uq_category_slug": ("slug", "Another category already uses that slug."),
    "category.slug": ("slug", "Another category already uses that slug."),
}


class CatalogError(ValueError):
    """A catalogue change that cannot be made; str(error) is what staff read.

    `field` names the form field the message belongs next to ("slug", "sku", "image"),
    `index` the variant (its place in the list passed in) for a variant's field.
    """

    def __init__(self, message, field=None, index=None):
        super().__init__(message)
        self.field = field
        self.index = index


def slugify(text, max_length=160):
    """'Café Crème, 250 g' -> 'cafe-creme-250-g'."""
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:max_length].strip("-")


def _unique_violation(error):
    """The CatalogError an IntegrityError from a unique constraint stands for, else None."""
    diag = getattr(error.orig, "diag", None)
    name = getattr(diag, "constraint_name", None) or str(error.orig)
    for constraint, (field, message) in _UNIQUE.items():
        if constraint in name:
            return CatalogError(message + " Choose another.", field)
    return None


@contextmanager
def _unique_errors():
    """Turn a unique violation (a race the checks before it lost) into a CatalogError,
    rolling back: the caller's flushes and commit go inside."""
    try:
        yield
    except IntegrityError as error:
        db.session.rollback()
        unique = _unique_violation(error)
        if unique is None:
            raise
        raise unique from None


def _commit():
    with _unique_errors():
        db.session.commit()


# --- products -------------------------------------------------------------------------

def _product_values(name, slug, description, category_id, option_names, fallback_slug=None):
    name = (name or "").strip()
    if not name:
        raise CatalogError("Enter the product's name.", "name")
    slug = (slug or "").strip().lower() or fallback_slug or slugify(name)
    if not SLUG_PATTERN.fullmatch(slug) or len(slug) > 160:
        raise CatalogError("Use lowercase letters, digits and single hyphens, e.g. stoneware-mug.",
                           "slug")
    if category_id is not None and db.session.get(Category, category_id) is None:
        raise CatalogError("That category no longer exists.", "category_id")
    names = [n.strip() for n in option_names or [] if n and n.strip()]
    if len({n.lower() for n in names}) != len(names):
        raise CatalogError("Each option name may appear once.", "option_names")
    return name, slug, (description or "").strip(), category_id, names


def _variant_values(variants, option_names):
    """Check the variant specs against each other and the option names; normalised copies."""
    if not variants:
        raise CatalogError("A product needs at least one variant (a SKU and a price).")
    if not option_names and len(variants) > 1:
        raise CatalogError("Name the options (e.g. Size) to sell more than one variant.",
                           "option_names")
    checked, skus, combos = [], {}, {}
    for index, spec in enumerate(variants):
        sku = (spec.get("sku") or "").strip()
        if not sku:
            raise CatalogError("Enter a SKU.", "sku", index)
        if len(sku) > 64:
            raise CatalogError("A SKU has at most 64 characters.", "sku", index)
        if sku.lower() in skus:
            raise CatalogError("Two variants have this SKU.", "sku", index)
        skus[sku.lower()] = index
        values = {k: str(v).strip() for k, v in (spec.get("option_values") or {}).items()}
        if list(values) != option_names or not all(values.values()):
            raise CatalogError(f"Give a value for each option: {' / '.join(option_names)}.",
                               "options", index)
        combo = tuple(v.lower() for v in values.values())
        if option_names and combo in combos:
            raise CatalogError("Two variants have the same options.", "options", index)
        combos[combo] = index
        price = spec.get("price")
        if not isinstance(price, int) or not 0 <= price <= MAX_PRICE:
            raise CatalogError("Enter a price of 0 or more.", "price", index)
        stock = spec.get("stock")
        if stock is not None and (not isinstance(stock, int) or not 0 <= stock <= MAX_STOCK):
            raise CatalogError(f"Stock is a whole number from 0 to {MAX_STOCK:,}.", "stock", index)
        checked.append({**spec, "sku": sku, "option_values": values})
    return checked


def _check_unique(slug, skus, product_id=None):
    """Friendly errors for a slug or SKU someone else uses (the constraints still decide)."""
    taken = select(Product.id).where(Product.slug == slug)
    if product_id is not None:
        taken = taken.where(Product.id != product_id)
    if db.session.scalar(taken.limit(1)) is not None:
        raise CatalogError("Another product already uses that slug. Choose another.", "slug")
    rows = db.session.execute(
        select(ProductVariant.sku, ProductVariant.product_id)
        .where(ProductVariant.sku.in_(skus))
    ).all()
    for sku, owner in rows:
        if owner != product_id:
            index = skus.index(sku)
            raise CatalogError(f"SKU {sku} is already used by another product.", "sku", index)


def _product_snapshot(product):
    return {
        "name": product.name, "slug": product.slug, "description": (product.description or "")[:500],
        "category_id": product.category_id, "active": product.active,
        "featured": product.featured, "option_names": list(product.option_names or []),
    }


def _variant_snapshot(variant):
    return {"sku": variant.sku, "option_values": dict(variant.option_values or {}),
            "price": variant.price, "stock": variant.stock}


def _changes(before, after):
    """Only what changed, as (before, after) dicts for the audit log."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def create_product(actor, *, name, variants, slug="", description="", category_id=None,
                   active=True, featured=False, option_names=(), currency=None):
    """Create a product with its variants; commits once and returns it.

    variants: [{"sku", "option_values": {option name: value}, "price" (minor units),
    "stock"}], at least one. A blank slug is derived from the name.
    """
    name, slug, description, category_id, option_names = _product_values(
        name, slug, description, category_id, option_names)
    variants = _variant_values(variants, option_names)
    _check_unique(slug, [v["sku"] for v in variants])
    currency = currency or current_app.config["SHOP_CURRENCY"]
    product = Product(name=name, slug=slug, description=description, category_id=category_id,
                      active=bool(active), featured=bool(featured), option_names=option_names)
    for position, spec in enumerate(variants):
        product.variants.append(ProductVariant(
            sku=spec["sku"], option_values=spec["option_values"], price=spec["price"],
            currency=currency, stock=spec.get("stock") or 0, position=position,
        ))
    with _unique_errors():
        db.session.add(product)
        db.session.flush()
        record(db.session, "product.create", "product", product.id, actor,
               after={**_product_snapshot(product),
                      "variants": [_variant_snapshot(v) for v in product.variants]})
        db.session.commit()
    return product


def update_product(product_id, actor, *, name, variants, slug="", description="",
                   category_id=None, active=True, featured=False, option_names=()):
    """Change a product and its variants; commits once and returns it.

    variants is the complete list: [{"id" (None for a new one), "sku", "option_values",
    "price", "stock" (new variants only)}]; existing variants left out are deleted (their
    order lines keep their copies). The stock of an existing variant is not changed here:
    that is webshop.inventory.adjust_stock's job, with a reason. A blank slug keeps the
    current one. Raises LookupError for an unknown product.
    """
    product = db.session.get(Product, product_id, with_for_update=True, populate_existing=True)
    if product is None:
        raise LookupError(f"No product {product_id}")
    try:
        with _unique_errors():
            _update_product(product, actor, name, variants, slug, description, category_id,
                            active, featured, option_names)
            db.session.commit()
    except CatalogError:
        db.session.rollback()  # nothing half-written, and the row locks are released
        raise
    return product


def _update_product(product, actor, name, variants, slug, description, category_id, active,
                    featured, option_names):
    name, slug, description, category_id, option_names = _product_values(
        name, slug, description, category_id, option_names, fallback_slug=product.slug)
    variants = _variant_values(variants, option_names)
    existing = {v.id: v for v in db.session.scalars(
        select(ProductVariant).where(ProductVariant.product_id == product.id)
        .order_by(ProductVariant.id).with_for_update()
        .execution_options(populate_existing=True))}
    for index, spec in enumerate(variants):
        if spec.get("id") is not None and spec["id"] not in existing:
            raise CatalogError("That variant was deleted meanwhile; reload the page.", "sku", index)
    _check_unique(slug, [v["sku"] for v in variants], product.id)

    before = _product_snapshot(product)
    product.name, product.slug, product.description = name, slug, description
    product.category_id, product.active, product.featured = category_id, bool(active), bool(featured)
    product.option_names = option_names
    old, new = _changes(before, _product_snapshot(product))
    if old or new:
        record(db.session, "product.update", "product", product.id, actor, before=old, after=new)

    kept = {spec["id"] for spec in variants if spec.get("id") is not None}
    for variant_id, variant in existing.items():
        if variant_id not in kept:
            record(db.session, "variant.delete", "variant", variant_id, actor,
                   before=_variant_snapshot(variant), note=f"product {product.id}")
            db.session.delete(variant)
    db.session.flush()  # deletes first, so a SKU freed here may be reused below
    currency = next(iter(existing.values())).currency if existing else current_app.config["SHOP_CURRENCY"]
    for position, spec in enumerate(variants):
        variant = existing.get(spec.get("id"))
        if variant is None:
            variant = ProductVariant(
                product_id=product.id, sku=spec["sku"], option_values=spec["option_values"],
                price=spec["price"], currency=currency, stock=spec.get("stock") or 0,
                position=position)
            db.session.add(variant)
            db.session.flush()
            record(db.session, "variant.create", "variant", variant.id, actor,
                   after=_variant_snapshot(variant), note=f"product {product.id}")
            continue
        before = _variant_snapshot(variant)
        variant.sku, variant.option_values = spec["sku"], spec["option_values"]
        variant.price, variant.position = spec["price"], position
        old, new = _changes(before, _variant_snapshot(variant))
        if old or new:
            record(db.session, "variant.update", "variant", variant.id, actor,
                   before=old, after=new, note=f"product {product.id}")


def set_active(product_id, active, actor):
    """Show (True) or hide (False) a product in the shop; commits. Returns the product."""
    product = db.session.get(Product, product_id, with_for_update=True, populate_existing=True)
    if product is None:
        raise LookupError(f"No product {product_id}")
    if product.active != bool(active):
        record(db.session, "product.activate" if active else "product.deactivate", "product",
               product.id, actor, before={"active": product.active}, after={"active": bool(active)})
        product.active = bool(active)
        db.session.commit()
    else:
        db.session.rollback()  # nothing to do: release the lock
    return product


def times_ordered(product_id):
    """How many order lines refer to the product or one of its variants."""
    variant_ids = select(ProductVariant.id).where(ProductVariant.product_id == product_id)
    return db.session.scalar(
        select(func.count()).select_from(OrderItem).where(
            or_(OrderItem.product_id == product_id, OrderItem.variant_id.in_(variant_ids))))


def delete_product(product_id, actor, upload_dir=None):
    """Delete a product that was never ordered, with its variants and image files; commits
    and returns its name.

    A product with order lines is refused (CatalogError): deactivate it instead, so the
    orders keep pointing at it. Its variant rows are locked first, so an order placed
    at the same moment either lands before the check or finds the product gone.
    """
    product = db.session.get(Product, product_id, with_for_update=True, populate_existing=True)
    if product is None:
        raise LookupError(f"No product {product_id}")
    db.session.scalars(select(ProductVariant.id).where(ProductVariant.product_id == product_id)
                       .order_by(ProductVariant.id).with_for_update()).all()
    ordered = times_ordered(product_id)
    if ordered:
        db.session.rollback()
        raise CatalogError(
            f"{product.name} has been ordered ({ordered} order line{'s' if ordered != 1 else ''}), "
            "so it cannot be deleted. Deactivate it instead: it disappears from the shop and "
            "the orders keep their record.")
    files, name = [image.filename for image in product.images], product.name
    record(db.session, "product.delete", "product", product.id, actor,
           before={**_product_snapshot(product),
                   "variants": [_variant_snapshot(v) for v in product.variants]})
    db.session.delete(product)
    db.session.commit()
    for filename in files:
        _remove_image_files(filename, upload_dir)
    return name


# --- images ---------------------------------------------------------------------------

def file_size_label(size):
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def read_image(stream, max_bytes):
    """The uploaded file as a Pillow image, checked: a real JPEG, PNG, WebP or GIF of at
    most max_bytes and MAX_IMAGE_PIXELS. Raises CatalogError (field "image") otherwise."""
    data = stream.read(max_bytes + 1)
    if not data:
        raise CatalogError("The file is empty. Choose an image file.", "image")
    if len(data) > max_bytes:
        raise CatalogError(f"The image is larger than {file_size_label(max_bytes)}. "
                           "Upload a smaller one.", "image")
    not_an_image = CatalogError("That file is not an image we can use: upload a JPEG, PNG, "
                                "WebP or GIF.", "image")
    try:
        with Image.open(io.BytesIO(data), formats=IMAGE_FORMATS) as probe:
            if probe.width * probe.height > MAX_IMAGE_PIXELS:
                raise CatalogError("The image has too many pixels. Upload a smaller one.", "image")
            probe.verify()  # checks the file's structure without decoding it all
        image = Image.open(io.BytesIO(data), formats=IMAGE_FORMATS)
        image.load()  # verify() leaves its image unusable: decode a fresh one
    except CatalogError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError,
            ValueError, EOFError):
        raise not_an_image from None
    return image


def _prepare_image(image):
    """Upright, RGB (transparency on white), at most IMAGE_SIZE on its longer side."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        image = Image.new("RGB", rgba.size, "white")
        image.paste(rgba, mask=rgba.getchannel("A"))
    else:
        image = image.convert("RGB")
    image.thumbnail((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.LANCZOS)
    return image


def _upload_path(filename, upload_dir=None):
    return os.path.join(upload_dir or current_app.config["UPLOAD_DIR"], *filename.split("/"))


def _remove_image_files(filename, upload_dir=None):
    """Delete an image's files unless another image row still uses them."""
    if db.session.scalar(select(ProductImage.id).where(ProductImage.filename == filename).limit(1)):
        return
    for name in (filename, thumbnail_name(filename)):
        try:
            os.remove(_upload_path(name, upload_dir))
        except FileNotFoundError:
            pass
        except OSError as error:  # a file left behind is untidy, not a failure
            log.warning("could not remove %s: %s", name, error)


def add_image(product_id, stream, actor, alt="", upload_dir=None, max_bytes=None):
    """Check an uploaded image, store it as WebP (IMAGE_SIZE) with a thumbnail under
    products/ with a random name, and add it after the product's other images; commits.

    Raises CatalogError (nothing stored) for a file that is too large or not an image.
    """
    max_bytes = max_bytes or current_app.config.get("MAX_IMAGE_BYTES", DEFAULT_MAX_IMAGE_BYTES)
    product = db.session.get(Product, product_id)
    if product is None:
        raise LookupError(f"No product {product_id}")
    image = _prepare_image(read_image(stream, max_bytes))
    filename = f"{PRODUCT_IMAGE_DIR}/{product.slug[:60]}-{secrets.token_hex(8)}.webp"
    save_with_thumbnail(image, upload_dir or current_app.config["UPLOAD_DIR"], filename)
    try:
        position = db.session.scalar(
            select(func.coalesce(func.max(ProductImage.position) + 1, 0))
            .where(ProductImage.product_id == product.id))
        row = ProductImage(product_id=product.id, filename=filename,
                           alt=(alt or "").strip()[:255], position=position)
        db.session.add(row)
        db.session.flush()
        record(db.session, "product.image_add", "product", product.id, actor,
               after={"image": filename})
        db.session.commit()
    except BaseException:
        db.session.rollback()
        _remove_image_files(filename, upload_dir)
        raise
    return row


def remove_image(product_id, image_id, actor, upload_dir=None):
    """Remove one of a product's images and its files; commits."""
    image = db.session.get(ProductImage, image_id)
    if image is None or image.product_id != product_id:
        raise LookupError(f"No image {image_id} on product {product_id}")
    filename = image.filename
    record(db.session, "product.image_remove", "product", product_id, actor,
           before={"image": filename})
    db.session.delete(image)
    db.session.commit()
    _remove_image_files(filename, upload_dir)


# --- reading for the admin ---------------------------------------------------------------

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


def _admin_variant_totals():
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
    variants = _admin_variant_totals()
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
        _admin_rows(_admin_variant_totals()).where(Product.id == product_id)).first()
    return AdminProductRow(**row._mapping) if row else None


def product_for_edit(product_id):
    """A product with its category, variants and images loaded, or None."""
    return db.session.scalar(
        select(Product).where(Product.id == product_id)
        .options(selectinload(Product.variants), selectinload(Product.images),
                 joinedload(Product.category)))


# --- categories -------------------------------------------------------------------------

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


def _category_values(name, slug, category_id=None, fallback_slug=None):
    name = (name or "").strip()
    if not name:
        raise CatalogError("Enter the category's name.", "name")
    if len(name) > 120:
        raise CatalogError("A category name has at most 120 characters.", "name")
    slug = (slug or "").strip().lower() or fallback_slug or slugify(name, 120)
    if not SLUG_PATTERN.fullmatch(slug) or len(slug) > 120:
        raise CatalogError("Use lowercase letters, digits and single hyphens, e.g. kitchen.", "slug")
    taken = select(Category.id).where(Category.slug == slug)
    if category_id is not None:
        taken = taken.where(Category.id != category_id)
    if db.session.scalar(taken.limit(1)) is not None:
        raise CatalogError("Another category already uses that slug. Choose another.", "slug")
    return name, slug


def create_category(actor, name, slug="", description=""):
    """A new category, placed last; commits and returns it."""
    name, slug = _category_values(name, slug)
    position = db.session.scalar(select(func.coalesce(func.max(Category.position) + 1, 1)))
    category = Category(name=name, slug=slug, description=(description or "").strip(),
                        position=position)
    with _unique_errors():
        db.session.add(category)
        db.session.flush()
        record(db.session, "category.create", "category", category.id, actor,
               after={"name": name, "slug": slug, "position": position})
        db.session.commit()
    return category


def rename_category(category_id, actor, name, slug=""):
    """Change a category's name (and slug; blank keeps it); commits and returns it."""
    category = db.session.get(Category, category_id, with_for_update=True, populate_existing=True)
    if category is None:
        raise LookupError(f"No category {category_id}")
    try:
        name, slug = _category_values(name, slug, category.id, fallback_slug=category.slug)
    except CatalogError:
        db.session.rollback()
        raise
    old, new = _changes({"name": category.name, "slug": category.slug}, {"name": name, "slug": slug})
    if old or new:
        category.name, category.slug = name, slug
        record(db.session, "category.rename", "category", category.id, actor, before=old, after=new)
    _commit()
    return category


def move_category(category_id, direction, actor):
    """Swap a category with its neighbour above ("up") or below ("down"); commits.

    Positions are renumbered 1..n in the current display order first, so categories
    that share a position (as seeded ones may) still move one step at a time.
    """
    if direction not in ("up", "down"):
        raise ValueError("direction is 'up' or 'down'")
    ordered = list(db.session.scalars(
        select(Category).order_by(Category.position, Category.name, Category.id)
        .with_for_update().execution_options(populate_existing=True)))
    index = next((i for i, c in enumerate(ordered) if c.id == category_id), None)
    if index is None:
        db.session.rollback()
        raise LookupError(f"No category {category_id}")
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(ordered):
        db.session.rollback()
        return ordered[index]
    before = ordered[index].position
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, category in enumerate(ordered, start=1):
        if category.position != position:
            category.position = position
    moved = ordered[other]
    record(db.session, f"category.move_{direction}", "category", moved.id, actor,
           before={"position": before}, after={"position": moved.position})
    db.session.commit()
    return moved


def delete_category(category_id, actor):
    """Delete a category that has no products (active or not); commits.

    The row is locked first, so a product being saved into it at the same moment is
    either counted or finds the category gone.
    """
    category = db.session.get(Category, category_id, with_for_update=True, populate_existing=True)
    if category is None:
        raise LookupError(f"No category {category_id}")
    count = db.session.scalar(
        select(func.count()).select_from(Product).where(Product.category_id == category_id))
    if count:
        db.session.rollback()
        raise CatalogError(
            f"{category.name} still has {count} product{'s' if count != 1 else ''}. "
            "Move them to another category (or delete them) first.")
    record(db.session, "category.delete", "category", category.id, actor,
           before={"name": category.name, "slug": category.slug, "position": category.position})
    db.session.delete(category)
    db.session.commit()
