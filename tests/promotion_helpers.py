"""Builders for promotions tests: codes, cards and cart lines, and a shopper's cart with
a code in it."""
from datetime import timedelta

from webshop.cart import Line
from webshop.extensions import db
from webshop.models import DiscountCode, utcnow
from webshop.promotions import giftcards


def make_code(code="SAVE10", kind="percent", value=10, **fields):
    """A discount code (committed); fields as on DiscountCode."""
    row = DiscountCode(code=code.upper(), kind=kind, value=value, currency="EUR",
                       category_ids=fields.pop("category_ids", []),
                       product_ids=fields.pop("product_ids", []), **fields)
    db.session.add(row)
    db.session.commit()
    return row


def make_card(amount=5000, email=""):
    """A gift card with `amount` on it (committed, with its ledger row)."""
    card = giftcards.issue(amount, "EUR", email=email)
    db.session.commit()
    return card


def line(variant_id, price, quantity=1, product_id=None, sku=None):
    """A cart line as cart.lines() makes them."""
    return Line(item_id=variant_id, variant_id=variant_id, product_id=product_id or variant_id,
                product_name=f"Product {variant_id}", product_slug=f"p{variant_id}", label="",
                option_values={}, sku=sku or f"SKU-{variant_id}", image=None, unit_price=price,
                currency="EUR", quantity=quantity, stock=100, active=True)


def days(n):
    return utcnow() + timedelta(days=n)
