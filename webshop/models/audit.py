"""The audit log: who changed what, when, with the values before and after."""
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from webshop.extensions import db
from webshop.models.base import created_at_column


class AuditLog(db.Model):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity_type", "entity_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # None for the system itself (webhooks, the worker, expiry).
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(254), default="system")
    action: Mapped[str] = mapped_column(String(60))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(Integer)
    before: Mapped[dict] = mapped_column(JSON, default=dict)
    after: Mapped[dict] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = created_at_column(index=True)

    @property
    def changes(self):
        """The fields this entry records, as staff read them: every field of `after`
        (set or changed), then those only in `before` (removed)."""
        before, after = self.before or {}, self.after or {}
        fields = [*after, *(key for key in before if key not in after)]
        return [FieldChange(key, before.get(key), after.get(key), key in before, key in after)
                for key in fields]


@dataclass(frozen=True)
class FieldChange:
    """One field of an audit entry: its value before and after, and whether the entry
    has one at all (a created field has no before, a removed one no after)."""

    field: str
    before: object
    after: object
    in_before: bool
    in_after: bool


def record(session, action, entity_type, entity_id, actor=None, before=None, after=None, note=""):
    """Add an audit entry to the caller's unit of work (no commit here)."""
    session.add(AuditLog(
        actor_id=getattr(actor, "id", None),
        actor=getattr(actor, "email", None) or "system",
        action=action, entity_type=entity_type, entity_id=entity_id,
        before=before or {}, after=after or {}, note=note[:500],
    ))
