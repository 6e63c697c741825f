"""Product reviews: who may write one, staff moderation, and what the product page shows.

Only a verified buyer reviews: a user with a delivered order line of the product (their
customer profile's orders). One review per user and product (a unique constraint);
rating 1-5, an optional title and text within limits. A review starts pending; staff
approve or reject it (webshop.admin.reviews) and only approved ones are shown.

The product's rating_count and rating_average (hundredths of a star) are denormalised so
that pages and lists read them without counting: each moderation locks the product row,
changes the review's status with a compare-and-set, and recomputes both figures from
the approved reviews in the same transaction, which also replaces the cached pages.
"""
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from flask_babel import gettext
from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError

from webshop import catalog
from webshop.extensions import db
from webshop.models import Customer, Order, OrderItem, Product, Review, utcnow
from webshop.models.audit import record
from webshop.pagination import Page, check_page
from webshop.validation import ValidationError

MAX_TITLE = 120
MAX_BODY = 2000
MAX_NAME = 80
PER_PAGE = 5  # reviews per page of the product page
QUEUE_PER_PAGE = 25
DECISIONS = {"approve": "approved", "reject": "rejected"}


class ReviewError(ValidationError):
    """A review that cannot be written or moderated; str(error) is what people read."""


@dataclass(frozen=True)
class ReviewView:
    id: int
    rating: int
    author_name: str
    title: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class ReviewsPage:
    """The approved reviews' summary and one page of them (newest first)."""

    count: int
    average: int  # hundredths of a star; 0 when there are none
    reviews: list
    page: int
    has_more: bool

    @property
    def stars(self):
        """The average as text with one decimal, e.g. '4.5'."""
        return f"{self.average / 100:.1f}"


def is_verified_buyer(user_id, product_id):
    """Has this user a delivered order line of the product? One query."""
    return db.session.scalar(
        select(OrderItem.id)
        .join(Order, Order.id == OrderItem.order_id)
        .join(Customer, Customer.id == Order.customer_id)
        .where(Customer.user_id == user_id, OrderItem.product_id == product_id,
               Order.status == "delivered")
        .limit(1)
    ) is not None


def review_state(user_id, product_id):
    """What the review page offers this user: "reviewed" (they wrote one), "not_buyer"
    (no delivered order of it) or "allowed"."""
    if db.session.scalar(select(Review.id).where(Review.user_id == user_id,
                                                 Review.product_id == product_id)):
        return "reviewed"
    return "allowed" if is_verified_buyer(user_id, product_id) else "not_buyer"


def submit_review(user, product_id, rating, author_name, title="", body=""):
    """Write the user's pending review of the product; commits once.

    Raises ReviewError (nothing written) for a rating outside 1-5, a missing name, text
    over the limits, a user who is not a verified buyer or who already reviewed it.
    """
    title, body, author_name = (title or "").strip(), (body or "").strip(), \
        (author_name or "").strip()
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ReviewError(gettext("Choose a rating from 1 to 5 stars."), "rating")
    if not author_name or len(author_name) > MAX_NAME:
        raise ReviewError(gettext("Give the name to show, up to %(num)d characters.",
                                  num=MAX_NAME), "author_name")
    if len(title) > MAX_TITLE:
        raise ReviewError(gettext("Keep the title under %(num)d characters.", num=MAX_TITLE),
                          "title")
    if len(body) > MAX_BODY:
        raise ReviewError(gettext("Keep the review under %(num)d characters.", num=MAX_BODY),
                          "body")
    state = review_state(user.id, product_id)
    if state == "reviewed":
        raise ReviewError(gettext("You have already reviewed this product."))
    if state == "not_buyer":
        raise ReviewError(gettext("Only customers whose order of this product was delivered "
                                  "can review it."))
    review = Review(product_id=product_id, user_id=user.id, rating=rating,
                    author_name=author_name, title=title, body=body, status="pending")
    db.session.add(review)
    try:
        db.session.commit()
    except IntegrityError:  # the same user's second tab, at the same moment
        db.session.rollback()
        raise ReviewError(gettext("You have already reviewed this product.")) from None
    return review


def moderate(review_id, decision, actor):
    """Approve or reject a review (decision "approve" | "reject"); commits once.

    Returns the review's new status. LookupError for an unknown review; ReviewError if
    it already has that status (a second click, another staff member first).
    """
    status = DECISIONS.get(decision)
    if status is None:
        raise ReviewError("Approve or reject the review.")
    product_id = db.session.scalar(select(Review.product_id).where(Review.id == review_id))
    if product_id is None:
        raise LookupError(f"No review {review_id}")
    # The product row first: concurrent moderations of one product queue here, so each
    # recount below sees the others' committed changes.
    db.session.execute(select(Product.id).where(Product.id == product_id).with_for_update())
    before = db.session.scalar(
        update(Review).where(Review.id == review_id, Review.status != status)
        .values(status=status, moderated_at=utcnow())
        .returning(Review.rating).execution_options(synchronize_session=False))
    if before is None:
        db.session.rollback()
        raise ReviewError(f"That review is already {status}.")
    count, average = recount(product_id)
    record(db.session, f"review.{decision}", "review", review_id, actor,
           after={"status": status, "rating_count": count, "rating_average": average})
    db.session.commit()
    return status


def recount(product_id):
    """Recompute the product's rating_count and rating_average from its approved
    reviews, inside the caller's unit of work (which holds the product's row lock when
    others may moderate at once); returns (count, average)."""
    count, total = db.session.execute(
        select(func.count(), func.coalesce(func.sum(Review.rating), 0))
        .where(Review.product_id == product_id, Review.status == "approved")).one()
    average = round(total * 100 / count) if count else 0
    db.session.execute(update(Product).where(Product.id == product_id)
                       .values(rating_count=count, rating_average=average)
                       .execution_options(synchronize_session=False))
    catalog.mark_changed()  # the product page and the lists sorted by rating
    return count, average


def product_reviews(product_id, page=1, per_page=PER_PAGE):
    """The product's rating summary and one page of its approved reviews, newest first:
    one query (the product row, outer-joined to one page of reviews plus one, which
    tells whether there are more). Raises catalog.PageOutOfRange past the last page."""
    rows = db.session.execute(
        select(Product.rating_count, Product.rating_average, Review.id, Review.rating,
               Review.author_name, Review.title, Review.body, Review.created_at)
        .outerjoin(Review, and_(Review.product_id == Product.id, Review.status == "approved"))
        .where(Product.id == product_id)
        .order_by(Review.created_at.desc(), Review.id.desc())
        .limit(per_page + 1).offset((page - 1) * per_page)
    ).all()
    if not rows:
        if page == 1:
            raise LookupError(f"No product {product_id}")
        raise catalog.PageOutOfRange(page)
    reviews = [ReviewView(r.id, r.rating, r.author_name, r.title, r.body, r.created_at)
               for r in rows[:per_page] if r.id is not None]
    if page > 1 and not reviews:
        raise catalog.PageOutOfRange(page)
    first = rows[0]
    return ReviewsPage(first.rating_count, first.rating_average, reviews, page,
                       has_more=len(rows) > per_page)


@dataclass(frozen=True)
class QueueRow:
    id: int
    rating: int
    author_name: str
    title: str
    body: str
    status: str
    created_at: datetime
    product_name: str
    product_slug: str
    moderated_at: Optional[datetime] = None


def moderation_queue(status="pending", page=1, per_page=QUEUE_PER_PAGE):
    """One page of reviews with the status (oldest pending first, else newest), with
    their products: two queries. Raises PageOutOfRange past the last page."""
    total = db.session.scalar(select(func.count()).select_from(Review)
                              .where(Review.status == status))
    check_page(page, per_page, total)
    order = Review.created_at.asc() if status == "pending" else Review.created_at.desc()
    rows = db.session.execute(
        select(Review.id, Review.rating, Review.author_name, Review.title, Review.body,
               Review.status, Review.created_at, Product.name.label("product_name"),
               Product.slug.label("product_slug"), Review.moderated_at)
        .join(Product, Product.id == Review.product_id)
        .where(Review.status == status).order_by(order, Review.id)
        .limit(per_page).offset((page - 1) * per_page))
    return Page([QueueRow(**row._mapping) for row in rows], page, per_page, total)


def status_counts():
    """{status: number of reviews}: one indexed GROUP BY (the dashboard's badge)."""
    counts = dict(db.session.execute(select(Review.status, func.count())
                                     .group_by(Review.status)).all())
    return {status: counts.get(status, 0) for status in ("pending", "approved", "rejected")}
