"""Payment bookkeeping: Stripe events seen, refunds, and the offline Stripe sandbox's objects."""
from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webshop.extensions import db
from webshop.models.base import created_at_column, updated_at_column

REFUND_STATUSES = ("requested", "pending", "succeeded", "failed", "canceled")


class StripeEvent(db.Model):
    """Each Stripe event id once: a redelivered event finds its row and does nothing."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = created_at_column()


class SandboxObject(db.Model):
    """What the built-in Stripe sandbox remembers (sessions, refunds, events, idempotency
    keys), stored as Stripe's own JSON so every web process sees the same state."""

    __tablename__ = "stripe_sandbox_objects"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    object: Mapped[str] = mapped_column(String(40), index=True)
    data: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = created_at_column()


class Refund(db.Model):
    """One refund of (part of) an order's payment: asked for by staff here ("shop") or
    made in the Stripe Dashboard and learnt from its events ("stripe").

    "requested" until Stripe answers; then Stripe's own status. Pending and succeeded
    refunds count towards the order's amount_refunded; failed and canceled ones do not.
    """

    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            "status IN ('requested', 'pending', 'succeeded', 'failed', 'canceled')",
            name="status_known",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"), index=True)
    stripe_refund_id: Mapped[Optional[str]] = mapped_column(String(255), unique=True)
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default="requested")
    source: Mapped[str] = mapped_column(String(10), default="shop")
    # {order item id: quantity} when staff refunded chosen lines; restock puts them back.
    lines: Mapped[dict] = mapped_column(JSON, default=dict)
    restock: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    reason: Mapped[str] = mapped_column(Text, default="")
    failure_reason: Mapped[str] = mapped_column(String(100), default="")
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    order = relationship("Order", back_populates="refunds")
