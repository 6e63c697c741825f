"""Side effects that must survive the gap between the database and Redis.

A request writes what must happen later (an OutboxMessage) in the same transaction as
the change that causes it; a relay hands it to RQ after the commit, and again at
start-up and periodically for anything a crash or a Redis outage left behind.
SentEmail records what was sent, so a job that runs twice sends once.
"""
from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from webshop.extensions import db
from webshop.models.base import created_at_column


class OutboxMessage(db.Model):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_pending", "enqueued_at", "id"),
        Index("ix_outbox_unfinished", "completed_at", "enqueued_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The job function's dotted path and its (JSON) arguments.
    job: Mapped[str] = mapped_column(String(200))
    args: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = created_at_column()
    enqueued_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    # Set when the job has finished (not when Redis took it): until then the relay may
    # hand it over again.
    completed_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # The id of the request that wrote the message (None outside a request): its job is
    # logged under it however late it is handed over (webshop.logs).
    request_id: Mapped[Optional[str]] = mapped_column(String(64))


class SentEmail(db.Model):
    __tablename__ = "sent_emails"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    order_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("order.id", ondelete="SET NULL"), index=True
    )
    recipient: Mapped[str] = mapped_column(String(254))
    # e.g. "order_confirmation:42": what makes a second sending a duplicate.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    sent_at: Mapped[datetime] = created_at_column()
