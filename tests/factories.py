"""Small builders for test data. Each commits, like the admin or the seed would."""
import itertools
import re

from webshop import accounts
from webshop.extensions import db
from webshop.models import (
    Category, Customer, Order, OrderItem, Product, ProductImage, ProductVariant, User,
)

PASSWORD = "correct horse battery"  # every test user's, unless a test says otherwise

_seq = itertools.count(1)


def slugify(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def make_category(name, position=0):
    category = Category(name=name, slug=slugify(name), description=f"All things {name.lower()}.",
                        position=position)
    db.session.add(category)
    db.session.commit()
    return category


def make_product(name, price=1000, stock=10, category=None, description="", variants=None,
                 option_names=None, active=True, featured=False, image=None):
    """A product with one variant (price, stock) or the given variants:
    variants=[{"options": {"Size": "M"}, "price": 1200, "stock": 3}, ...]."""
    product = Product(
        name=name, slug=f"{slugify(name)}-{next(_seq)}", description=description or f"The {name}.",
        category=category, active=active, featured=featured, option_names=option_names or [],
    )
    for position, spec in enumerate(variants or [{"options": {}, "price": price, "stock": stock}]):
        product.variants.append(ProductVariant(
            sku=f"SKU-{next(_seq)}", option_values=spec["options"], price=spec["price"],
            currency="EUR", stock=spec["stock"], position=position,
        ))
    if image:
        product.images.append(ProductImage(filename=image, alt=name))
    db.session.add(product)
    db.session.commit()
    return product


def make_user(email="shopper@example.com", password=PASSWORD, role="customer"):
    """A user row only (no customer profile), as staff accounts are."""
    user = User(email, password=password, role=role)
    db.session.add(user)
    db.session.commit()
    return user


def register_customer(email="shopper@example.com", password=PASSWORD, name="Sam Shopper"):
    """A customer who signed up: a user with a customer profile, through the accounts domain."""
    return accounts.register(email, password, name)


def make_customer(name, email, user=None):
    """A customer profile, as a guest checkout leaves one (or for `user`)."""
    customer = Customer(name=name, email=email, user_id=user.id if user else None)
    db.session.add(customer)
    db.session.commit()
    return customer


def make_order(user=None, email=None, status="pending", total=2495, quantity=1, currency="EUR",
               created_at=None, paid_at=None, number=None):
    """An order with one line, for a registered user (user=...) or a guest (email=...).

    Written directly with the models (not through checkout), so it reserves no stock.
    `total` is exact; shipping (about 4.95) takes whatever the quantity does not divide.
    """
    n = next(_seq)
    unit_price = (total - min(495, total)) // quantity
    line_total = unit_price * quantity
    shipping = total - line_total
    customer = user.customer if user is not None else None
    order = Order(
        number=number or f"T{n:07d}",
        user_id=user.id if user is not None else None,
        customer_id=customer.id if customer is not None else None,
        email=email or (user.email if user is not None else f"guest{n}@example.com"),
        status=status,
        ship_name="Alex Example", ship_line1="1 Example Street", ship_city="Berlin",
        ship_postal_code="10115", ship_country="DE", shipping_method="standard",
        subtotal=line_total, shipping=shipping, tax=total - total * 100 // 120, total=total,
        currency=currency,
    )
    if created_at is not None:
        order.created_at = created_at
    if paid_at is not None:
        order.paid_at = paid_at
    order.items.append(OrderItem(
        product_name=f"Test product {n}", option_values={}, sku=f"SKU-ORDER-{n}",
        unit_price=unit_price, quantity=quantity, line_total=line_total,
    ))
    db.session.add(order)
    db.session.commit()
    return order
