"""The demo's customers, their delivered orders and their reviews (`seed_reviews`).

Only a verified buyer reviews (webshop.reviews): a customer with a delivered order line
of the product. So the demo makes what a shop with some history has: a dozen customers,
each with delivered orders of the products they reviewed, and approved reviews with
varied ratings, so product pages show averages and lists can sort by rating.

- The customers' accounts have no usable password: they exist to have bought and
  reviewed (a password reset email would let one in, as for anyone).
- The orders are history: priced by the pricing pipeline for the customer's country
  and placed by the placement's own order builder, then dated months back through
  paid, dispatched and delivered. They take no stock (the demo's stock figures are
  what is on the shelf today) and send no email; an invoice is issued when one is
  first asked for, as for any order paid before invoices existed.
- Idempotent: customers are matched by email, orders by their DEMO- number, reviews
  by (product, customer); existing rows are never modified.
"""
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from webshop import pricing, reviews
from webshop.cart import Line
from webshop.demo.catalogue import PRODUCTS, stable_int
from webshop.demo.review_texts import (
    BY_CATEGORY, CUSTOMERS, GENERAL, RATINGS, REVIEW_COUNTS,
)
from webshop.models import Order, Product, Review, User, utcnow
from webshop.orders.placement import ShippingAddress, _new_order

ORDER_PREFIX = "DEMO-"
LINES_PER_ORDER = 3
# Not an argon2 hash: check_password is False whatever is typed.
UNUSABLE_PASSWORD = "!"


def customer_email(index):
    first, last = CUSTOMERS[index][:2]
    return f"{first}.{last}".lower().replace(" ", "") + "@example.com"


def plan():
    """{customer index: [(demo product, rating, title, text)]}: who reviews what.
    Featured products get at least three reviews; the k-th reviewer of a product
    gives the k-th rating of the product's leaning."""
    planned = {}
    for demo in PRODUCTS:
        seed = stable_int(demo.slug)
        count = REVIEW_COUNTS[seed % len(REVIEW_COUNTS)]
        if demo.featured:
            count = max(count, 3)
        leaning = RATINGS[(seed // len(REVIEW_COUNTS)) % len(RATINGS)]
        first = seed % len(CUSTOMERS)
        for k in range(count):
            who = (first + 5 * k) % len(CUSTOMERS)  # 5 and 12 are coprime: all distinct
            title, text = _text(demo, who, leaning[k])
            planned.setdefault(who, []).append((demo, leaning[k], title, text))
    return planned


def _text(demo, who, rating):
    texts = BY_CATEGORY.get(demo.category, {}).get(rating, []) + GENERAL[rating]
    return texts[stable_int(f"{demo.slug}:{who}") % len(texts)]


def _counter():
    return {"created": 0, "existing": 0}


def seed_reviews(session, now=None):
    """Add the missing demo customers, their delivered orders and their approved
    reviews, and recount the ratings of the products that got new ones. Commits once.
    Returns {"customers": {created, existing}, "orders": ..., "reviews": ...}."""
    now = now or utcnow()
    result = {name: _counter() for name in ("customers", "orders", "reviews")}
    emails = [customer_email(i) for i in range(len(CUSTOMERS))]
    users = {u.email: u for u in session.scalars(select(User).where(User.email.in_(emails)))}
    products = {p.slug: p for p in session.scalars(
        select(Product).where(Product.slug.in_([d.slug for d in PRODUCTS]))
        .options(selectinload(Product.variants)))}
    numbers = set(session.scalars(select(Order.number)
                                  .where(Order.number.startswith(ORDER_PREFIX))))
    for email in emails:
        if email in users:
            result["customers"]["existing"] += 1
        else:
            users[email] = User(email, role="customer", password_hash=UNUSABLE_PASSWORD)
            session.add(users[email])
            result["customers"]["created"] += 1
    session.flush()
    reviewed = set(session.execute(
        select(Review.product_id, Review.user_id)
        .where(Review.user_id.in_([u.id for u in users.values()]))).all())

    touched = set()
    for who, planned in sorted(plan().items()):
        user = users[emails[who]]
        for n in range(0, len(planned), LINES_PER_ORDER):
            bought = [(products[demo.slug], demo, rating, title, text)
                      for demo, rating, title, text in planned[n:n + LINES_PER_ORDER]
                      if demo.slug in products]
            number = f"{ORDER_PREFIX}{who + 1:02d}{n // LINES_PER_ORDER + 1:02d}"
            placed = now - timedelta(days=20 + stable_int(number) % 280)
            if number in numbers:
                result["orders"]["existing"] += 1
            elif not bought or not _delivered_order(session, user, who, number, placed,
                                                    [p for p, *_ in bought]):
                continue  # nothing of it sold any more, or no longer shipped there
            else:
                result["orders"]["created"] += 1
            for product, demo, rating, title, text in bought:
                if (product.id, user.id) in reviewed:
                    result["reviews"]["existing"] += 1
                    continue
                written = placed + timedelta(days=5 + stable_int(title + demo.slug) % 9)
                first, last = CUSTOMERS[who][:2]
                session.add(Review(
                    product_id=product.id, user_id=user.id, rating=rating,
                    author_name=f"{first} {last[:1]}.", title=title, body=text,
                    status="approved", created_at=written, moderated_at=written))
                touched.add(product.id)
                result["reviews"]["created"] += 1
    session.flush()
    for product_id in sorted(touched):
        reviews.recount(product_id)
    session.commit()
    return result


def _delivered_order(session, user, who, number, placed, products):
    """One delivered order of the products (one of each, a variant picked per customer)
    for the customer, placed at `placed`; False if their country is not shipped to."""
    first, last, street, postal_code, city, country = CUSTOMERS[who]
    lines = []
    for product in products:
        variants = sorted(product.variants, key=lambda v: (v.position, v.id))
        variant = variants[stable_int(f"{product.slug}:{user.email}") % len(variants)]
        lines.append(Line(
            item_id=0, variant_id=variant.id, product_id=product.id,
            product_name=product.name, product_slug=product.slug, label=variant.label,
            option_values=variant.option_values, sku=variant.sku, image=None,
            unit_price=variant.price, currency=variant.currency, quantity=1,
            stock=variant.stock, active=True, tax_class=product.tax_class,
            weight_grams=variant.weight_grams))
    options = pricing.quote(lines, country).shipping_options
    if not options:
        return False
    priced = pricing.quote(lines, country, options[0].code)
    address = ShippingAddress(name=f"{first} {last}", line1=street, city=city,
                              postal_code=postal_code, country=country)
    order = _new_order(lines, priced, user.email, address, None, user,
                       locale="de" if country in ("DE", "AT") else "en")
    order.number, order.status, order.reserved_until = number, "delivered", None
    order.created_at = order.updated_at = placed
    order.paid_at = placed + timedelta(minutes=4)
    order.dispatched_at = placed + timedelta(days=1)
    order.delivered_at = placed + timedelta(days=3)
    order.carrier, order.tracking_number = "DHL", f"00340434{stable_int(number):010d}"
    session.flush()
    return True
