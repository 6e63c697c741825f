"""What shoppers bought: orders and their lines, with everything copied at order time."""
from datetime import datetime
from typing import Optional

from sqlalchemy import (
    JSON, Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webshop.extensions import db
from webshop.models.base import created_at_column, updated_at_column

ORDER_STATUSES = ("pending", "paid", "dispatched", "delivered", "cancelled", "refunded")
# Orders whose money the shop keeps: revenue on the dashboard, a customer's lifetime value.
REVENUE_STATUSES = ("paid", "dispatched", "delivered")


class Order(db.Model):
    __tablename__ = "order"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'paid', 'dispatched', 'delivered', 'cancelled', 'refunded')",
            name="status_known",
        ),
        CheckConstraint(
            "subtotal >= 0 AND shipping >= 0 AND tax >= 0 AND total >= 0",
            name="amounts_not_negative",
        ),
        CheckConstraint("amount_refunded >= 0", name="refunded_not_negative"),
        CheckConstraint("discount >= 0 AND gift_card_amount >= 0 AND gift_card_amount <= total",
                        name="discount_and_gift_card_valid"),
        Index("ix_order_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), index=True
    )
    user_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    email: Mapped[str] = mapped_column(String(254), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")

    ship_name: Mapped[str] = mapped_column(String(200))
    ship_line1: Mapped[str] = mapped_column(String(200))
    ship_line2: Mapped[str] = mapped_column(String(200), default="")
    ship_city: Mapped[str] = mapped_column(String(100))
    ship_postal_code: Mapped[str] = mapped_column(String(20))
    ship_region: Mapped[str] = mapped_column(String(100), default="")
    ship_country: Mapped[str] = mapped_column(String(2))
    ship_phone: Mapped[str] = mapped_column(String(40), default="")
    shipping_method: Mapped[str] = mapped_column(String(20))
    # The method's name when the order was placed (zones and methods may change later).
    shipping_name: Mapped[str] = mapped_column(String(120), default="", server_default="")

    subtotal: Mapped[int] = mapped_column(Integer)
    shipping: Mapped[int] = mapped_column(Integer, default=0)
    tax: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    # total = subtotal - discount + shipping (VAT included); a gift card pays
    # gift_card_amount of it, Stripe the rest (amount_due).
    discount: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    gift_card_amount: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Whose VAT the order carries: the destination's, or the shop's (TAX_DESTINATION_BASED).
    tax_country: Mapped[str] = mapped_column(String(2), default="", server_default="")
    # The discount code the order used (its redemption: promotions), for the discount line.
    discount_code: Mapped[str] = mapped_column(String(40), default="", server_default="")
    # The shopper's language when placing it (webshop.i18n): the order's emails use it.
    locale: Mapped[str] = mapped_column(String(8), default="en", server_default="en")

    stripe_checkout_session_id: Mapped[Optional[str]] = mapped_column(String(255), unique=True)
    stripe_payment_intent_id: Mapped[Optional[str]] = mapped_column(String(255), index=True)
    stripe_refund_id: Mapped[Optional[str]] = mapped_column(String(255))
    # What Stripe has refunded so far (pending and succeeded refunds; see Refund).
    amount_refunded: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A delayed payment method (bank debit) is on its way: the reservation holds.
    payment_processing_since: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    # Asked for when staff start a refund; applied when Stripe confirms it.
    restock_on_refund: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # One order per submitted checkout form, however often it is posted.
    idempotency_key: Mapped[Optional[str]] = mapped_column(String(64), unique=True)

    # A chargeback on the order's payment: Stripe's dispute id, status and reason.
    dispute_id: Mapped[Optional[str]] = mapped_column(String(255), index=True)
    dispute_status: Mapped[str] = mapped_column(String(40), default="", server_default="")
    dispute_reason: Mapped[str] = mapped_column(String(60), default="", server_default="")

    carrier: Mapped[str] = mapped_column(String(60), default="")
    tracking_number: Mapped[str] = mapped_column(String(100), default="")
    # Set when something needs a person (e.g. a payment whose amount does not match).
    needs_attention: Mapped[bool] = mapped_column(Boolean, default=False)
    attention_reason: Mapped[str] = mapped_column(Text, default="")

    reserved_until: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column(index=True)
    updated_at: Mapped[datetime] = updated_at_column()
    paid_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True), index=True)
    dispatched_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    refunded_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))

    items: Mapped[list["OrderItem"]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderItem.id"
    )
    customer = relationship("Customer")
    refunds: Mapped[list["Refund"]] = relationship(  # noqa: F821 (models.payments)
        back_populates="order", cascade="all, delete-orphan", order_by="Refund.id"
    )
    tax_lines: Mapped[list["OrderTaxLine"]] = relationship(  # noqa: F821 (models.pricing)
        back_populates="order", cascade="all, delete-orphan",
        order_by="(OrderTaxLine.rate_bp.desc(), OrderTaxLine.id)"
    )

    @property
    def amount_due(self):
        """What the payment provider charges: the total less what a gift card pays."""
        return self.total - (self.gift_card_amount or 0)


class OrderItem(db.Model):
    __tablename__ = "order_items"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0 AND line_total >= 0", name="amounts_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"), index=True)
    variant_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("product_variant.id", ondelete="SET NULL"), index=True
    )
    product_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("product.id", ondelete="SET NULL"), index=True
    )
    product_name: Mapped[str] = mapped_column(String(200))
    option_values: Mapped[dict] = mapped_column(JSON, default=dict)
    sku: Mapped[str] = mapped_column(String(64))
    unit_price: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    line_total: Mapped[int] = mapped_column(Integer)
    # The line's discount (off line_total), its tax class, VAT rate and the VAT included
    # in line_total - discount, all as they were when the order was placed.
    discount: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    tax_class: Mapped[str] = mapped_column(String(16), default="standard",
                                           server_default="standard")
    tax_rate_bp: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    tax: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    order: Mapped[Order] = relationship(back_populates="items")
