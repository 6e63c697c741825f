"""Addresses that want no abandoned-cart reminders (webshop.reminders).

A suppression list: the address (lower case) and when it was added. It must match the
address a reminder would go to, so it is kept as such; nothing else about the person is.
"""
from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from webshop.extensions import db
from webshop.models.base import created_at_column


class ReminderUnsubscribe(db.Model):
    __tablename__ = "reminder_unsubscribes"
    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lowercase"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    created_at: Mapped[datetime] = created_at_column()
