"""Discount codes: whether a code applies to a cart, and how much it takes off each line.

A code applies when it is active, started, not ended, not used up, the cart's subtotal
reaches its minimum spend, it covers at least one line (its categories or products;
none chosen: every line) and the shopper (by email) has not used it as often as a
customer may. Gift-card lines are never discounted (a card would otherwise sell money
below its value).

Amounts are integer minor units. A percentage is taken from the sum of the eligible
lines and rounded half up; a fixed amount never exceeds that sum. Either total is
spread over the eligible lines in proportion to their totals, each line's share
rounded down, and the cents the rounding left over go to the largest line (then the
next largest, never beyond what a line costs). Free shipping takes nothing off the
lines: the pricing pipeline zeroes the shipping.
"""
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext
from sqlalchemy import select

from webshop.extensions import db
from webshop.models import DiscountCode, DiscountCustomerUse, Product, utcnow
from webshop.models.base import as_utc
from webshop.i18n import format_date, money
from webshop.money import format_money
from webshop.validation import ValidationError

CODE_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


class PromotionError(ValidationError):
    """A code that cannot be used now; str(error) is what the shopper reads."""


@dataclass(frozen=True)
class Discount:
    """What a code does to a cart: {variant_id: minor units off the line}, free shipping."""
    code: str
    line_discounts: dict
    free_shipping: bool

    @property
    def amount(self):
        return sum(self.line_discounts.values())


def normalize(text):
    """A code as typed -> as stored: upper-case, without surrounding spaces."""
    return (text or "").strip().upper()


def valid_shape(code):
    return 0 < len(code) <= 40 and set(code) <= CODE_CHARACTERS


def find(code):
    """The discount code row for what the shopper typed, or None (one query)."""
    code = normalize(code)
    if not valid_shape(code):
        return None
    return db.session.scalar(select(DiscountCode).where(DiscountCode.code == code))


def is_gift_card_line(line):
    """Gift cards are sold as variants whose SKU starts with GIFT_CARD_SKU_PREFIX."""
    return line.sku.upper().startswith(current_app.config["GIFT_CARD_SKU_PREFIX"])


def check(code, lines, email=None, now=None):
    """The Discount `code` (a DiscountCode) gives these cart lines; PromotionError (with
    the message for the shopper) if it does not apply. With `email`, also the limit of
    uses per customer."""
    now = now or utcnow()
    name = code.code
    if not code.active:
        raise PromotionError(gettext("The code %(code)s is no longer valid.", code=name), "code")
    if code.starts_at and as_utc(code.starts_at) > now:
        raise PromotionError(gettext("The code %(code)s is valid from %(date)s.", code=name,
                                     date=format_date(as_utc(code.starts_at), "long")), "code")
    if code.ends_at and as_utc(code.ends_at) <= now:
        raise PromotionError(gettext("The code %(code)s expired on %(date)s.", code=name,
                                     date=format_date(as_utc(code.ends_at), "long")), "code")
    if code.max_uses is not None and code.uses >= code.max_uses:
        raise PromotionError(gettext("The code %(code)s has been used up.", code=name), "code")
    subtotal = sum(line.line_total for line in lines)
    if subtotal < code.min_spend:
        currency = lines[0].currency if lines else code.currency
        raise PromotionError(gettext(
            "The code %(code)s needs a minimum spend of %(minimum)s; your cart comes to "
            "%(subtotal)s.", code=name, minimum=money(code.min_spend, currency),
            subtotal=money(subtotal, currency)), "code")
    eligible = eligible_lines(code, lines)
    if not eligible:
        raise PromotionError(gettext("The code %(code)s does not apply to anything in your cart.",
                                     code=name), "code")
    if email and code.max_uses_per_customer is not None:
        if uses_by(code.id, email) >= code.max_uses_per_customer:
            raise PromotionError(gettext("You have already used the code %(code)s.", code=name),
                                 "code")
    if code.kind == "free_shipping":
        return Discount(name, {}, True)
    base = sum(line.line_total for line in eligible)
    if code.kind == "percent":
        amount = (base * code.value * 2 + 100) // 200  # half up
    else:
        amount = min(code.value, base)
    return Discount(name, spread(amount, eligible), False)


def eligible_lines(code, lines):
    """The lines the code covers: all but gift cards, or those of its categories/products."""
    lines = [line for line in lines if not is_gift_card_line(line)]
    if not code.category_ids and not code.product_ids:
        return lines
    products = set(code.product_ids or [])
    categories = set(code.category_ids or [])
    if categories:
        in_categories = set(db.session.scalars(
            select(Product.id).where(Product.id.in_({line.product_id for line in lines}),
                                     Product.category_id.in_(categories))))
        products |= in_categories
    return [line for line in lines if line.product_id in products]


def spread(amount, lines):
    """{variant_id: share} of `amount` over the lines, in proportion to their totals;
    the rounding remainder to the largest lines (never more than a line costs)."""
    base = sum(line.line_total for line in lines)
    if amount <= 0 or base <= 0:
        return {}
    shares = {}
    for line in lines:
        shares[line.variant_id] = shares.get(line.variant_id, 0) + line.line_total * amount // base
    left = amount - sum(shares.values())
    totals = {}
    for line in lines:
        totals[line.variant_id] = totals.get(line.variant_id, 0) + line.line_total
    for variant_id in sorted(totals, key=lambda v: (-totals[v], v)):
        if left <= 0:
            break
        extra = min(left, totals[variant_id] - shares[variant_id])
        shares[variant_id] += extra
        left -= extra
    return {variant_id: share for variant_id, share in shares.items() if share}


def customer_key(email):
    return (email or "").strip().lower()


def uses_by(code_id, email):
    """How often this email holds or has consumed a use of the code (its counter row)."""
    return db.session.scalar(
        select(DiscountCustomerUse.uses).where(DiscountCustomerUse.code_id == code_id,
                                               DiscountCustomerUse.email == customer_key(email))
    ) or 0


def describe(code):
    """What the code gives, for people: "10% off", "€5.00 off", "Free shipping"."""
    if code.kind == "percent":
        return f"{code.value}% off"
    if code.kind == "fixed":
        return f"{format_money(code.value, code.currency)} off"
    return "Free shipping"
