"""The order list for staff: its filter (from the query string), a page of orders with
counts per status, and one order with its lines and history."""
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from webshop.extensions import db
from webshop.models import ORDER_STATUSES, AuditLog, Order
from webshop.pagination import Page, check_page
from webshop.validation import ValidationError


class FilterError(ValidationError):
    """A filter value staff typed that we cannot use; str(error) says what to fix."""


@dataclass(frozen=True)
class OrderFilter:
    """What the order list and the CSV export show. Dates are whole days in UTC."""

    status: str = ""
    date_from: date | None = None
    date_to: date | None = None
    q: str = ""
    needs_attention: bool = False

    @classmethod
    def from_args(cls, args):
        """Read ?status=&from=&to=&q=&attention= (a mapping of strings); raises FilterError."""
        status = (args.get("status") or "").strip().lower()
        if status and status not in ORDER_STATUSES:
            raise FilterError(f"There is no order status called “{status[:40]}”.", "status")
        date_from = _parse_date(args.get("from"), "from", "From")
        date_to = _parse_date(args.get("to"), "to", "To")
        if date_from and date_to and date_from > date_to:
            raise FilterError("The “from” date is after the “to” date.", "from")
        q = (args.get("q") or "").strip()[:254]
        if "\x00" in q:  # PostgreSQL refuses it: checked here, before a CSV starts streaming
            raise FilterError("The search contains a NUL character.", "q")
        attention = (args.get("attention") or "").strip().lower() in ("1", "on", "true", "yes")
        return cls(status, date_from, date_to, q, attention)

    def args(self, **overrides):
        """The filter as query arguments (empty ones left out): stable URLs for links."""
        values = replace(self, **overrides) if overrides else self
        args = {
            "status": values.status,
            "from": values.date_from.isoformat() if values.date_from else "",
            "to": values.date_to.isoformat() if values.date_to else "",
            "q": values.q,
            "attention": "1" if values.needs_attention else "",
        }
        return {key: value for key, value in args.items() if value}

    @property
    def active(self):
        return bool(self.args())


def _parse_date(raw, field_name, label):
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise FilterError(
            f"“{label}” must be a date such as 2025-01-31 (year-month-day).", field_name
        ) from None


def _day_start(day):
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def conditions(flt, with_status=True):
    """The filter as WHERE conditions on Order (the list and the export share them)."""
    where = []
    if with_status and flt.status:
        where.append(Order.status == flt.status)
    if flt.date_from:
        where.append(Order.created_at >= _day_start(flt.date_from))
    if flt.date_to and flt.date_to < date.max:  # up to date.max: no upper bound at all
        where.append(Order.created_at < _day_start(flt.date_to + timedelta(days=1)))
    if flt.needs_attention:
        where.append(Order.needs_attention.is_(True))
    if flt.q:
        needle = flt.q.lower()
        if "@" in needle:
            # Emails are stored lower-cased: an exact match uses the index.
            where.append(or_(Order.email == needle,
                             Order.email.like(f"%{escape_like(needle)}%", escape="\\")))
        else:
            where.append(or_(
                Order.number == flt.q.upper(),
                Order.number.like(f"{escape_like(flt.q.upper())}%", escape="\\"),
                Order.email.like(f"%{escape_like(needle)}%", escape="\\"),
            ))
    return where


def escape_like(text):
    """Text matched literally inside a LIKE pattern (with escape="\\")."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- the order list ---------------------------------------------------------------------------

@dataclass(frozen=True)
class OrderRow:
    id: int
    number: str
    created_at: datetime
    email: str
    ship_name: str
    status: str
    total: int
    currency: str
    needs_attention: bool


# What an OrderRow is read from (the order list, a customer's orders).
ORDER_ROW_COLUMNS = (Order.id, Order.number, Order.created_at, Order.email, Order.ship_name,
                     Order.status, Order.total, Order.currency, Order.needs_attention)


@dataclass(frozen=True)
class OrderList:
    page: Page
    counts: dict = field(default_factory=dict)  # status -> orders matching the other filters

    @property
    def all_count(self):
        return sum(self.counts.values())


def list_orders(flt, page=1, per_page=50):
    """One page of orders matching the filter, newest first, with counts per status.

    Two queries: the counts per status (for the filter tabs; they ignore the status
    filter, and the chosen status's count is the page's total), and the page.
    Raises PageOutOfRange past the last page.
    """
    counts = dict.fromkeys(ORDER_STATUSES, 0)
    counts.update(db.session.execute(
        select(Order.status, func.count(Order.id))
        .where(*conditions(flt, with_status=False))
        .group_by(Order.status)
    ).all())
    total = counts.get(flt.status, 0) if flt.status else sum(counts.values())
    check_page(page, per_page, total)
    rows = db.session.execute(
        select(*ORDER_ROW_COLUMNS)
        .where(*conditions(flt))
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    )
    items = [OrderRow(**row._mapping) for row in rows]
    return OrderList(Page(items, page, per_page, total), counts)


# --- one order ------------------------------------------------------------------------------------

def order_with_lines(order_id):
    """The order with its lines, customer and VAT breakdown loaded (two queries), or None."""
    return db.session.scalar(
        select(Order).where(Order.id == order_id)
        .options(selectinload(Order.items), joinedload(Order.customer),
                 joinedload(Order.tax_lines))
    )


def order_history(order_id):
    """The order's audit entries, oldest first (one query): its transitions and notes."""
    return db.session.scalars(
        select(AuditLog)
        .where(AuditLog.entity_type == "order", AuditLog.entity_id == order_id)
        .order_by(AuditLog.created_at, AuditLog.id)
    ).all()
