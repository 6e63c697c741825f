"""Payment bookkeeping: Stripe events seen, and the offline Stripe sandbox's objects."""
from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from webshop.extensions import db
from webshop.models.base import created_at_column


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
