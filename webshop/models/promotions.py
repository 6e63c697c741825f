"""Promotions: discount codes and their redemptions, gift cards and their ledger.

A code's `uses` counts the redemptions that hold or have consumed a use; it only grows
through a conditional UPDATE (`uses < max_uses`), so the last use is taken once. The same
count per customer (email) is a row of discount_customer_uses, raised the same way
(`uses < max_uses_per_customer`), so a customer's last use is taken once too. A gift
card's `balance` only shrinks through a conditional UPDATE (`balance >= amount`), and
every change of it is a row in gift_card_transactions (the ledger: the balance is the
sum of its rows).
"""
from datetime import datetime
from typing import Optional

from sqlalchemy import (
    JSON, Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webshop.extensions import db
from webshop.models.base import created_at_column, updated_at_column

DISCOUNT_KINDS = ("percent", "fixed", "free_shipping")
REDEMPTION_STATUSES = ("held", "consumed", "released")
GIFT_CARD_ENTRY_KINDS = ("issue", "redeem", "release", "refund", "adjust")


class DiscountCode(db.Model):
    __tablename__ = "discount_codes"
    __table_args__ = (
        CheckConstraint("kind IN ('percent', 'fixed', 'free_shipping')", name="kind_known"),
        CheckConstraint("value >= 0 AND min_spend >= 0", name="amounts_not_negative"),
        CheckConstraint("kind <> 'percent' OR value BETWEEN 1 AND 100", name="percent_range"),
        CheckConstraint("uses >= 0 AND (max_uses IS NULL OR uses <= max_uses)",
                        name="uses_within_limit"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Stored upper-case: codes are case-insensitive and unique.
    code: Mapped[str] = mapped_column(String(40), unique=True)
    description: Mapped[str] = mapped_column(String(200), default="", server_default="")
    kind: Mapped[str] = mapped_column(String(16))
    # percent: 1-100; fixed: minor units of `currency`; free_shipping: 0.
    value: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    # Empty lists: the whole order. Otherwise only lines of these categories or products.
    category_ids: Mapped[list] = mapped_column(JSON, default=list)
    product_ids: Mapped[list] = mapped_column(JSON, default=list)
    min_spend: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    starts_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    max_uses: Mapped[Optional[int]] = mapped_column(Integer)
    max_uses_per_customer: Mapped[Optional[int]] = mapped_column(Integer)
    # Held (unpaid orders) and consumed (paid) redemptions.
    uses: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class DiscountRedemption(db.Model):
    """One order's use of a code: "held" from placement, "consumed" when the order is
    paid, "released" (the use given back) when the unpaid order is cancelled."""

    __tablename__ = "discount_redemptions"
    __table_args__ = (
        CheckConstraint("status IN ('held', 'consumed', 'released')", name="status_known"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        Index("ix_discount_redemptions_code_email", "code_id", "email"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_id: Mapped[int] = mapped_column(ForeignKey("discount_codes.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(
        ForeignKey("order.id", ondelete="CASCADE"), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(10), default="held")
    amount: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    code: Mapped[DiscountCode] = relationship()


class DiscountCustomerUse(db.Model):
    """How many held or consumed uses of a code one email has: created on its first use,
    raised with one conditional UPDATE at placement and lowered when the unpaid order is
    cancelled. The row (PostgreSQL's row lock, SQLite's write lock) is what makes two
    simultaneous orders of one customer count one after the other."""

    __tablename__ = "discount_customer_uses"
    __table_args__ = (CheckConstraint("uses >= 0", name="uses_not_negative"),)

    code_id: Mapped[int] = mapped_column(
        ForeignKey("discount_codes.id", ondelete="CASCADE"), primary_key=True)
    # Lower-case, as orders store it.
    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    uses: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class GiftCard(db.Model):
    __tablename__ = "gift_cards"
    __table_args__ = (
        CheckConstraint("balance >= 0 AND initial_amount > 0", name="amounts_valid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # 16 characters without ambiguous letters, stored without the grouping dashes.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    initial_amount: Mapped[int] = mapped_column(Integer)
    balance: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # The order (and line) that bought it; None for a card staff issued by hand.
    order_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("order.id", ondelete="SET NULL"), index=True)
    order_item_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("order_items.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    entries: Mapped[list["GiftCardTransaction"]] = relationship(
        back_populates="card", order_by="GiftCardTransaction.id")


class GiftCardTransaction(db.Model):
    """One change of a card's balance: + issue, release (an unpaid order cancelled),
    refund (staff refunded a card-paid order); - redeem (an order placed)."""

    __tablename__ = "gift_card_transactions"
    __table_args__ = (
        CheckConstraint("kind IN ('issue', 'redeem', 'release', 'refund', 'adjust')",
                        name="kind_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    gift_card_id: Mapped[int] = mapped_column(
        ForeignKey("gift_cards.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("order.id", ondelete="SET NULL"), index=True)
    amount: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(200), default="", server_default="")
    created_at: Mapped[datetime] = created_at_column()

    card: Mapped[GiftCard] = relationship(back_populates="entries")
