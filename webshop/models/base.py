"""Column helpers shared by every model module."""
from datetime import datetime, timezone

from sqlalchemy import DateTime
from sqlalchemy.orm import mapped_column


def utcnow():
    return datetime.now(timezone.utc)


def created_at_column(**kwargs):
    return mapped_column(DateTime(timezone=True), default=utcnow, nullable=False, **kwargs)


def updated_at_column():
    return mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow, nullable=False)
