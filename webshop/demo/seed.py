"""`flask seed-demo`: create whatever part of the demo catalogue, its image files, the
demo staff user and the demo customers' orders and reviews is missing."""
import os
from concurrent.futures import ThreadPoolExecutor

from flask import current_app
from sqlalchemy import select

from webshop import media, media_store
from webshop.demo.artwork import draw_demo_images
from webshop.demo.catalogue import CATEGORIES, DEMO_STAFF_EMAIL, PRODUCTS
from webshop.demo.gift_cards import seed_gift_card, seed_gift_card_picture
from webshop.demo.pages import seed_pages
from webshop.demo.reviews import seed_reviews
from webshop.models import Category, Product, ProductImage, ProductVariant, User
from webshop.pricing import defaults as pricing_defaults

# Food pays the reduced VAT rate in most of the EU (books would too; the demo has none).
REDUCED_RATE_PRODUCTS = {
    "ethiopia-yirgacheffe-coffee", "colombia-huila-medium-roast", "house-espresso-blend",
    "swiss-water-decaf", "organic-sencha-green-tea", "earl-grey-loose-leaf-tea",
    "chamomile-herbal-infusion",
}
# A parcel weight per category (grams), for the shipping method priced by weight.
DEMO_WEIGHTS = {"coffee-tea": 350, "kitchen": 900, "apparel": 450, "home": 1500,
                "stationery": 250, "outdoor": 600}


def _counter():
    return {"created": 0, "existing": 0}


def seed_demo(session, upload_dir, currency, staff_password=None):
    """Create whatever part of the demo catalogue and the demo staff user is missing.

    Idempotent: categories are matched by slug, products by slug, variants by SKU,
    image rows by (product, filename) and the staff user by email; existing rows are
    never modified (stock sold since the last run stays as it is), and an image file is
    drawn only if it is missing where images are kept (webshop.media_store: files under
    upload_dir, or database rows, committed with the catalogue). Commits once, at the end.

    Then the default prices and zones are installed, and the demo customers with their
    delivered orders and approved reviews added (webshop.demo.reviews; their orders are
    priced with those), each committing once.

    currency: the ISO code for new variants (the app's SHOP_CURRENCY).
    staff_password: for a newly created staff user; defaults to the app's
    DEMO_STAFF_PASSWORD setting (config.py: the environment's, else "staff-demo-password").

    Returns counts, e.g. {"categories": {"created": 6, "existing": 0}, "products": ...,
    "variants": ..., "images": ... (rows), "image_files": {"written": n, "existing": m},
    "staff": {"email", "password", "created"}, "reviews": {"customers", "orders",
    "reviews": each {"created", "existing"}}}.
    """
    currency = currency.upper()
    result = {name: _counter() for name in ("categories", "products", "variants", "images")}
    result["image_files"] = {"written": 0, "existing": 0}

    categories = {
        c.slug: c for c in session.scalars(
            select(Category).where(Category.slug.in_([c["slug"] for c in CATEGORIES]))
        )
    }
    for data in CATEGORIES:
        if data["slug"] in categories:
            result["categories"]["existing"] += 1
            continue
        category = Category(**data)
        session.add(category)
        categories[data["slug"]] = category
        result["categories"]["created"] += 1

    products = {
        p.slug: p for p in session.scalars(
            select(Product).where(Product.slug.in_([p.slug for p in PRODUCTS]))
        )
    }
    all_skus = [v.sku for p in PRODUCTS for v in p.variants]
    known_skus = set(session.scalars(
        select(ProductVariant.sku).where(ProductVariant.sku.in_(all_skus))
    ))
    existing_ids = [p.id for p in products.values()]
    known_images = set()
    if existing_ids:
        known_images = {tuple(row) for row in session.execute(
            select(ProductImage.product_id, ProductImage.filename)
            .where(ProductImage.product_id.in_(existing_ids))
        )}

    for demo in PRODUCTS:
        product = products.get(demo.slug)
        if product is None:
            product = Product(
                slug=demo.slug, name=demo.name, description=demo.description,
                category=categories[demo.category], active=True, featured=demo.featured,
                option_names=list(demo.option_names),
                tax_class="reduced" if demo.slug in REDUCED_RATE_PRODUCTS else "standard",
            )
            session.add(product)
            result["products"]["created"] += 1
        else:
            result["products"]["existing"] += 1

        new_images = {}  # a new variant of a colour shows its colour's picture
        for position, (filename, colour) in enumerate(zip(demo.image_names, demo.image_colours)):
            if product.id is not None and (product.id, filename) in known_images:
                result["images"]["existing"] += 1
                continue
            if colour:
                alt = f"{demo.name} in {colour.lower()}"
            else:
                alt = demo.name if position == 0 else f"{demo.name}, alternative view"
            image = ProductImage(filename=filename, alt=alt, position=position)
            product.images.append(image)
            new_images[filename] = image
            result["images"]["created"] += 1

        for variant in demo.variants:
            if variant.sku in known_skus:
                result["variants"]["existing"] += 1
                continue
            product.variants.append(ProductVariant(
                sku=variant.sku, option_values=dict(variant.option_values),
                price=variant.price, currency=currency, stock=variant.stock,
                position=variant.position, weight_grams=DEMO_WEIGHTS.get(demo.category),
                image=new_images.get(variant.image_name),
            ))
            result["variants"]["created"] += 1

    names = [name for demo in PRODUCTS for filename in demo.image_names
             for name in (filename, media.thumbnail_name(filename))]
    present = media_store.existing(names, upload_dir)
    result["image_files"]["existing"] = len(present)
    # Drawing and encoding release the GIL, so a few threads make the first seed quick;
    # what they drew is stored here, in this thread (and this unit of work).
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        for files in pool.map(lambda demo: draw_demo_images(demo, present), PRODUCTS):
            result["image_files"]["written"] += media_store.store(files, upload_dir)

    password = staff_password or current_app.config["DEMO_STAFF_PASSWORD"]
    staff = session.scalar(select(User).where(User.email == DEMO_STAFF_EMAIL))
    if staff is None:
        session.add(User(DEMO_STAFF_EMAIL, password=password, role="staff"))
    result["staff"] = {"email": DEMO_STAFF_EMAIL, "password": password, "created": staff is None}
    result["gift_card"] = seed_gift_card(session, currency,
                                         current_app.config["GIFT_CARD_SKU_PREFIX"])
    session.flush()
    written, present = seed_gift_card_picture(session, upload_dir)
    result["image_files"]["written"] += written
    result["image_files"]["existing"] += present
    result["pages"] = seed_pages(session, current_app.config)

    session.commit()
    pricing_defaults.install()  # the EU's VAT rates and the shipping zones
    result["reviews"] = seed_reviews(session)
    return result
