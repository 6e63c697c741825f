"""Builders for the reviews and wishlist tests: verified buyers, reviews in each state,
logged-in shoppers and the JSON-LD block of a product page."""
import json
import re

from tests.factories import make_order, register_customer
from tests.helpers import csrf_token, login
from webshop import catalog
from webshop.extensions import db
from webshop.models import Review

_JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def buyer(email, product, status="delivered"):
    """A registered customer with an order line of `product` in this status."""
    user = register_customer(email, name=email.split("@")[0].title())
    order = make_order(user=user, status=status)
    order.items[0].product_id = product.id
    db.session.commit()
    return user


def add_reviews(product, ratings, status="approved"):
    """Reviews of the product by new users (written directly: the routes are tested
    elsewhere); the product's figures are recomputed as moderation would."""
    from sqlalchemy import update

    from webshop.models import Product, User
    for n, rating in enumerate(ratings):
        user = User(f"reviewer{product.id}-{n}@example.com", password="x" * 12, role="customer")
        db.session.add(user)
        db.session.flush()
        db.session.add(Review(product_id=product.id, user_id=user.id, rating=rating,
                              author_name=f"Reviewer {n}", title=f"Title {n}",
                              body=f"Body of review {n}", status=status))
    approved = list(ratings) if status == "approved" else []
    if approved:
        db.session.execute(update(Product).where(Product.id == product.id).values(
            rating_count=len(approved), rating_average=round(sum(approved) * 100 / len(approved))))
    catalog.mark_changed()
    db.session.commit()


def logged_in(app, email):
    """A new test client logged in as the (existing) user; `.token` is its CSRF token."""
    client = app.test_client()
    response = login(client, email)
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    client.token = csrf_token(client, "/account")
    return client


def json_ld(html):
    [block] = _JSON_LD.findall(html)
    return json.loads(block)
