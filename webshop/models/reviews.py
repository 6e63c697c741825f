"""What shoppers say and keep: product reviews (moderated) and wishlists.

A review belongs to a user and a product, at most one each; only an approved review
is shown, and the product's rating_count and rating_average (webshop.models.catalog)
follow the approved ones (webshop.reviews keeps them in step). A wishlist item is a
product a user saved; `notify_variant_id` is set while the user waits for that sold-out
variant to come back (webshop.wishlists clears it when the email is queued).
"""
from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webshop.extensions import db
from webshop.models.base import created_at_column

REVIEW_STATUSES = ("pending", "approved", "rejected")


class Review(db.Model):
    __tablename__ = "reviews"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status_known"),
        UniqueConstraint("product_id", "user_id"),
        Index("ix_reviews_product_status_created", "product_id", "status", "created_at"),
        Index("ix_reviews_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    rating: Mapped[int] = mapped_column(Integer)
    # Shown as written (autoescaped); the author's first name as they gave it.
    author_name: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(120), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = created_at_column()
    moderated_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))

    product = relationship("Product")


class WishlistItem(db.Model):
    __tablename__ = "wishlist_items"
    __table_args__ = (UniqueConstraint("user_id", "product_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"),
                                            index=True)
    notify_variant_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("product_variant.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = created_at_column()

    product = relationship("Product")
