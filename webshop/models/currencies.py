"""Display currencies: a second currency prices may be shown in, at a rate staff set.
Shoppers are always charged in the shop currency; these rows only change what they read
(conversion and rounding: webshop.pricing.currencies)."""
from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Integer, String, true
from sqlalchemy.orm import Mapped, mapped_column

from webshop.extensions import db
from webshop.models.base import updated_at_column

# A rate is stored as an integer: what one unit of the shop currency is worth in the
# display currency, times 10^8 (0.86 is 86_000_000). Exact, and the same on SQLite.
RATE_PLACES = 8


class DisplayCurrency(db.Model):
    __tablename__ = "display_currencies"
    __table_args__ = (
        CheckConstraint("rate_e8 > 0", name="rate_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(3), unique=True)  # ISO 4217, upper case
    rate_e8: Mapped[int] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    updated_at: Mapped[datetime] = updated_at_column()
    # Who set the rate last (None once that account is deleted; the audit log keeps the name).
    updated_by_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
