"""Moderation under concurrency: decisions on one product at the same moment each count
(the product row lock orders their recounts), and one review decided twice at once
changes once."""
from sqlalchemy import select

from tests.factories import make_product
from tests.helpers import run_concurrently
from tests.review_helpers import add_reviews
from webshop import reviews
from webshop.models import AuditLog, Product, Review


def test_approvals_of_one_product_at_the_same_moment_all_count(app, db):
    product = make_product("Teapot")
    add_reviews(product, [5, 4, 3, 2], status="pending")
    ids = db.session.scalars(select(Review.id).order_by(Review.id)).all()
    results = run_concurrently(app, 4, lambda i: reviews.moderate(ids[i], "approve", None))
    assert results == ["approved"] * 4
    db.session.expire_all()
    fresh = db.session.get(Product, product.id)
    assert (fresh.rating_count, fresh.rating_average) == (4, 350)


def test_one_review_approved_twice_at_once_changes_once(app, db):
    product = make_product("Teapot")
    add_reviews(product, [4], status="pending")
    [review_id] = db.session.scalars(select(Review.id)).all()
    results = run_concurrently(app, 2, lambda i: reviews.moderate(review_id, "approve", None))
    assert sorted(map(type, results), key=str) == sorted([str, reviews.ReviewError], key=str)
    db.session.expire_all()
    assert db.session.get(Product, product.id).rating_count == 1
    assert len(db.session.scalars(select(AuditLog).where(
        AuditLog.action == "review.approve")).all()) == 1
