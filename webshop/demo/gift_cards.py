"""The demo's gift card: one product, a variant per amount, sold like any other item.

A variant whose SKU starts with GIFT_CARD_SKU_PREFIX is a gift card (webshop.promotions):
when its order is paid, each unit issues a card worth its price, emailed to the buyer.
Gift cards are vouchers, so they carry the zero VAT class (the VAT is due when the card
is spent on goods), are never discounted, and an order of nothing but cards ships free.
"""
from sqlalchemy import select

from webshop import media, media_store
from webshop.demo.artwork import render_product_image
from webshop.models import Product, ProductImage, ProductVariant

SLUG = "gift-card"
AMOUNTS = (2500, 5000, 10000)
PICTURE = f"{media.PRODUCT_IMAGE_DIR}/{SLUG}-1.webp"


def seed_gift_card(session, currency, prefix):
    """Add the gift card product and its amounts if missing (the caller commits).
    Returns whether it was created."""
    if session.scalar(select(Product.id).where(Product.slug == SLUG)) is not None:
        return False
    product = Product(
        slug=SLUG, name="Gift card", active=True, featured=False, option_names=["Amount"],
        tax_class="zero",
        description="A gift card for anything in the shop, delivered by email with its code "
                    "as soon as the order is paid. It pays for all or part of an order, and "
                    "what is left stays on the card.")
    for position, amount in enumerate(AMOUNTS):
        product.variants.append(ProductVariant(
            sku=f"{prefix}{amount // 100}", option_values={"Amount": f"{amount // 100} {currency}"},
            price=amount, currency=currency, stock=100_000, position=position))
    session.add(product)
    return True


def seed_gift_card_picture(session, upload_dir):
    """Give the gift card its picture (a card tied with a ribbon) if it has none, drawing the
    file if it is missing. Returns (files written, files already there); the caller commits."""
    product = session.scalar(select(Product).where(Product.slug == SLUG))
    if product is None:
        return 0, 0
    names = [PICTURE, media.thumbnail_name(PICTURE)]
    present = media_store.existing(names, upload_dir)
    written = 0
    if not set(names) <= present:
        image = render_product_image(product.name, "stationery", "giftcard", key=SLUG)
        written = media_store.store(media.renditions(PICTURE, media.encode(image)), upload_dir)
    if not product.images:
        product.images.append(ProductImage(filename=PICTURE, alt=product.name, position=0))
    return written, len(present)
