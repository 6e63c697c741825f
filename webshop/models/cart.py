"""Carts live in the database: they survive restarts and work behind several web processes.

A guest's cart is found by a random token kept in their signed session cookie; a
customer's by their user id. Prices are never stored here: a cart always shows the
variant's current price.
"""
from datetime import datetime
from typing import Optional

from sqlalchemy import (
    CheckConstraint, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webshop.extensions import db
from webshop.models.base import created_at_column, updated_at_column


class Cart(db.Model):
    __tablename__ = "carts"
    # The reminder sweep reads carts by when they last changed (webshop.reminders).
    __table_args__ = (Index("ix_carts_updated_at", "updated_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    user_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    created_at: Mapped[datetime] = created_at_column()
    # When the cart last changed (its lines included: webshop.cart touches it).
    updated_at: Mapped[datetime] = updated_at_column()
    # Abandoned-cart reminders (webshop.reminders). A guest's address, kept only with the
    # consent they ticked at checkout, and when they gave it; the reminders sent for this
    # cart and when the last one was (a compare-and-set on these sends each once).
    remind_email: Mapped[Optional[str]] = mapped_column(String(254))
    remind_consent_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    reminded_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The codes the shopper entered (webshop.promotions): one discount code, one gift card.
    discount_code: Mapped[Optional[str]] = mapped_column(String(40))
    gift_card_code: Mapped[Optional[str]] = mapped_column(String(32))

    items: Mapped[list["CartItem"]] = relationship(
        back_populates="cart", cascade="all, delete-orphan", order_by="CartItem.id"
    )


class CartItem(db.Model):
    __tablename__ = "cart_items"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        UniqueConstraint("cart_id", "variant_id", name="uq_cart_items_cart_variant"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"))
    variant_id: Mapped[int] = mapped_column(
        ForeignKey("product_variant.id", ondelete="CASCADE"), index=True
    )
    quantity: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = created_at_column()

    cart: Mapped[Cart] = relationship(back_populates="items")
