"""The demo's gift card: one product, a variant per amount, sold like any other item.

A variant whose SKU starts with GIFT_CARD_SKU_PREFIX is a gift card (webshop.promotions):
when its order is paid, each unit issues a card worth its price, emailed to the buyer.
Gift cards are vouchers, so they carry the zero VAT class (the VAT is due when the card
is spent on goods), are never discounted, and an order of nothing but cards ships free.
"""
from sqlalchemy import select

from webshop.models import Product, ProductVariant

SLUG = "gift-card"
AMOUNTS = (2500, 5000, 10000)


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
