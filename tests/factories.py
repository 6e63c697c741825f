"""Small builders for test data. Each commits, like the admin or the seed would."""
import itertools
import re

from webshop.extensions import db
from webshop.models import Category, Product, ProductImage, ProductVariant, User

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


def make_user(email="shopper@example.com", password="correct horse battery", role="customer"):
    user = User(email, password=password, role=role)
    db.session.add(user)
    db.session.commit()
    return user
