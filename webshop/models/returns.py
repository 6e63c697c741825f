"""Returns (RMA): a shopper's request to send back chosen lines of an order, and its lines.

The rules (who may ask, how many, the window, which status follows which) live in
webshop.returns; these are the tables and their constraints.
"""
from datetime import datetime
from typing import Optional

from sqlalchemy import (
    Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webshop.extensions import db
from webshop.models.base import created_at_column, updated_at_column

RETURN_STATUSES = ("requested", "approved", "refused", "received", "refunded", "closed")


class ReturnRequest(db.Model):
    __tablename__ = "return_requests"
    __table_args__ = (
        CheckConstraint(
            "status IN ('requested', 'approved', 'refused', 'received', 'refunded', 'closed')",
            name="status_known",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="requested", index=True)
    reason: Mapped[str] = mapped_column(String(40))
    comment: Mapped[str] = mapped_column(Text, default="")
    # What staff told the shopper when approving, refusing or closing.
    staff_note: Mapped[str] = mapped_column(Text, default="")
    # The refund made for it (webshop.orders.refunds), once staff refunded it.
    refund_id: Mapped[Optional[int]] = mapped_column(ForeignKey("refunds.id", ondelete="SET NULL"))
    # Set while staff's refund is on its way to Stripe: a second click waits for it.
    refund_started_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
    decided_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    refunded_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))

    order = relationship("Order")
    lines: Mapped[list["ReturnLine"]] = relationship(
        back_populates="return_request", cascade="all, delete-orphan", order_by="ReturnLine.id")


class ReturnLine(db.Model):
    __tablename__ = "return_request_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        UniqueConstraint("return_id", "order_item_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    return_id: Mapped[int] = mapped_column(
        ForeignKey("return_requests.id", ondelete="CASCADE"), index=True)
    order_item_id: Mapped[int] = mapped_column(
        ForeignKey("order_items.id", ondelete="CASCADE"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    # Staff's choice when the parcel arrived: back on the shelf or not.
    restocked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    return_request: Mapped[ReturnRequest] = relationship(back_populates="lines")
    item = relationship("OrderItem")
