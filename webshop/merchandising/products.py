"""Products and their variants as staff write them: the checks, create, update, show or
hide, and delete.

Each function takes plain values and the acting user, writes audit entries with the
values before and after, and commits once; or raises CatalogError having changed
nothing. The catalogue's session hook (webshop.catalog) makes every commit invalidate
the storefront cache at once. Stock levels of existing variants change only through
webshop.inventory (with a reason), never through a product edit that could overwrite a
sale made meanwhile.
"""
from flask import current_app
from sqlalchemy import func, or_, select

from webshop.extensions import db
from webshop.merchandising.images import commit_dropping_files
from webshop.merchandising.rules import SLUG_PATTERN, CatalogError, changes, slugify, unique_errors
from webshop.models import TAX_CLASSES, Category, OrderItem, Product, ProductVariant
from webshop.models.audit import record

MAX_PRICE = 99_999_999          # 999,999.99: far above anything sold, far below the column's limit
MAX_STOCK = 1_000_000


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
        "tax_class": product.tax_class,
    }


def _variant_snapshot(variant):
    return {"sku": variant.sku, "option_values": dict(variant.option_values or {}),
            "price": variant.price, "stock": variant.stock, "weight_grams": variant.weight_grams}



def _tax_class(value):
    if value not in TAX_CLASSES:
        raise CatalogError("Choose a VAT class: standard, reduced or zero.", "tax_class")
    return value


def create_product(actor, *, name, variants, slug="", description="", category_id=None,
                   active=True, featured=False, option_names=(), currency=None,
                   tax_class="standard"):
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
                      active=bool(active), featured=bool(featured), option_names=option_names,
                      tax_class=_tax_class(tax_class))
    for position, spec in enumerate(variants):
        product.variants.append(ProductVariant(
            sku=spec["sku"], option_values=spec["option_values"], price=spec["price"],
            currency=currency, stock=spec.get("stock") or 0, position=position,
            weight_grams=spec.get("weight_grams"),
        ))
    with unique_errors():
        db.session.add(product)
        db.session.flush()
        record(db.session, "product.create", "product", product.id, actor,
               after={**_product_snapshot(product),
                      "variants": [_variant_snapshot(v) for v in product.variants]})
        db.session.commit()
    return product


def update_product(product_id, actor, *, name, variants, slug="", description="",
                   category_id=None, active=True, featured=False, option_names=(),
                   tax_class="standard"):
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
        with unique_errors():
            _update_product(product, actor, name, variants, slug, description, category_id,
                            active, featured, option_names, _tax_class(tax_class))
            db.session.commit()
    except CatalogError:
        db.session.rollback()  # nothing half-written, and the row locks are released
        raise
    return product


def _update_product(product, actor, name, variants, slug, description, category_id, active,
                    featured, option_names, tax_class):
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
    product.option_names, product.tax_class = option_names, tax_class
    old, new = changes(before, _product_snapshot(product))
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
                position=position, weight_grams=spec.get("weight_grams"))
            db.session.add(variant)
            db.session.flush()
            record(db.session, "variant.create", "variant", variant.id, actor,
                   after=_variant_snapshot(variant), note=f"product {product.id}")
            continue
        before = _variant_snapshot(variant)
        variant.sku, variant.option_values = spec["sku"], spec["option_values"]
        variant.price, variant.position = spec["price"], position
        variant.weight_grams = spec.get("weight_grams")
        old, new = changes(before, _variant_snapshot(variant))
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
    commit_dropping_files(files, upload_dir)
    return name
