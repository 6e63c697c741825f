"""Invoices and credit notes: documents issued once, numbered without gaps, and never
recomputed (everything shown is copied at issue time). webshop.invoices issues them."""
from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from webshop.extensions import db
from webshop.models.base import created_at_column

# A reversal cancels a credit note whose refund failed at Stripe after it had counted.
INVOICE_KINDS = ("invoice", "credit_note", "reversal")


class InvoiceCounter(db.Model):
    """The last number issued in each series; taken with one conditional UPDATE."""

    __tablename__ = "invoice_counters"

    series: Mapped[str] = mapped_column(String(20), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Invoice(db.Model):
    __tablename__ = "invoices"
    __table_args__ = (
        CheckConstraint("kind IN ('invoice', 'credit_note', 'reversal')", name="kind_known"),
        CheckConstraint("net >= 0 AND tax >= 0 AND total >= 0", name="amounts_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    kind: Mapped[str] = mapped_column(String(12))
    # "order:<id>", "refund:<id>" or "reversal:<refund id>": one document per order, per
    # refund and per failed refund, however often the event that issues it comes.
    source_key: Mapped[str] = mapped_column(String(40), unique=True)
    # Its place in its series, for the credit note's own page (/credit-notes/<sequence>).
    sequence: Mapped[int] = mapped_column(Integer)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"), index=True)
    refund_id: Mapped[Optional[int]] = mapped_column(ForeignKey("refunds.id", ondelete="SET NULL"))
    # A credit note's invoice; a reversal's credit note.
    invoice_id: Mapped[Optional[int]] = mapped_column(ForeignKey("invoices.id", ondelete="SET NULL"))
    issued_at: Mapped[datetime] = created_at_column()
    currency: Mapped[str] = mapped_column(String(3))
    net: Mapped[int] = mapped_column(Integer)
    tax: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    # Copied at issue time: the seller, the buyer, the lines, the VAT per rate, extras.
    details: Mapped[dict] = mapped_column(JSON, default=dict)
