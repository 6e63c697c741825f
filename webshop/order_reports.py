"""Reading orders and customers for staff: the filtered order list, one order with its
history, the CSV export, and customers with their lifetime value. Reads only; nothing
here writes or commits (status changes belong to webshop.orders).

Every function answers in a fixed number of queries whatever the number of rows, and
takes plain values (an OrderFilter, ids, page numbers), never the request.
"""
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from webshop.extensions import db
from webshop.models import ORDER_STATUSES, AuditLog, Customer, Order
from webshop.models.base import as_utc
from webshop.pagination import Page, check_page
from webshop.templating import ZERO_DECIMAL

# Orders whose money the shop keeps: what a customer's lifetime value adds up.
REVENUE_STATUSES = ("paid", "dispatched", "delivered")
EXPORT_BATCH = 500  # rows per query
EXPORT_CHUNK_ROWS = 100  # rows per piece of the response


class FilterError(ValueError):
    """A filter value staff typed that we cannot use; str(error) says what to fix."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


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
            raise FilterError(f"There is no order status called “{status}”.", "status")
        date_from = _parse_date(args.get("from"), "from", "From")
        date_to = _parse_date(args.get("to"), "to", "To")
        if date_from and date_to and date_from > date_to:
            raise FilterError("The “from” date is after the “to” date.", "from")
        q = (args.get("q") or "").strip()[:254]
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


def _conditions(flt, with_status=True):
    conditions = []
    if with_status and flt.status:
        conditions.append(Order.status == flt.status)
    if flt.date_from:
        conditions.append(Order.created_at >= _day_start(flt.date_from))
    if flt.date_to:
        conditions.append(Order.created_at < _day_start(flt.date_to + timedelta(days=1)))
    if flt.needs_attention:
        conditions.append(Order.needs_attention.is_(True))
    if flt.q:
        needle = flt.q.lower()
        if "@" in needle:
            # Emails are stored lower-cased: an exact match uses the index.
            conditions.append(or_(Order.email == needle,
                                  Order.email.like(f"%{_escape_like(needle)}%", escape="\\")))
        else:
            conditions.append(or_(
                Order.number == flt.q.upper(),
                Order.number.like(f"{_escape_like(flt.q.upper())}%", escape="\\"),
                Order.email.like(f"%{_escape_like(needle)}%", escape="\\"),
            ))
    return conditions


def _escape_like(text):
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
        .where(*_conditions(flt, with_status=False))
        .group_by(Order.status)
    ).all())
    total = counts.get(flt.status, 0) if flt.status else sum(counts.values())
    check_page(page, per_page, total)
    rows = db.session.execute(
        select(Order.id, Order.number, Order.created_at, Order.email, Order.ship_name,
               Order.status, Order.total, Order.currency, Order.needs_attention)
        .where(*_conditions(flt))
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    )
    items = [OrderRow(**row._mapping) for row in rows]
    return OrderList(Page(items, page, per_page, total), counts)


# --- one order ------------------------------------------------------------------------------------

def order_with_lines(order_id):
    """The order with its lines and customer loaded (two queries), or None."""
    return db.session.scalar(
        select(Order).where(Order.id == order_id)
        .options(selectinload(Order.items), joinedload(Order.customer))
    )


def order_history(order_id):
    """The order's audit entries, oldest first (one query): its transitions and notes."""
    return db.session.scalars(
        select(AuditLog)
        .where(AuditLog.entity_type == "order", AuditLog.entity_id == order_id)
        .order_by(AuditLog.created_at, AuditLog.id)
    ).all()


# --- the CSV export --------------------------------------------------------------------------------

EXPORT_HEADER = (
    "Order number", "Date (UTC)", "Status", "Customer email", "Customer name", "Country",
    "Currency", "Subtotal", "Shipping", "Tax", "Total", "Payment intent",
    "Paid at (UTC)", "Refunded at (UTC)",
)
_EXPORT_COLUMNS = (
    Order.id, Order.number, Order.created_at, Order.status, Order.email, Order.ship_name,
    Order.ship_country, Order.currency, Order.subtotal, Order.shipping, Order.tax,
    Order.total, Order.stripe_payment_intent_id, Order.paid_at, Order.refunded_at,
)


def decimal_amount(minor, currency):
    """12345, 'EUR' -> '123.45' (no symbol, no thousands separator: for spreadsheets)."""
    if minor is None:
        return ""
    if (currency or "").upper() in ZERO_DECIMAL:
        return str(int(minor))
    sign = "-" if minor < 0 else ""
    minor = abs(int(minor))
    return f"{sign}{minor // 100}.{minor % 100:02d}"


def iso_utc(value):
    """A timestamp as 2025-01-31T09:05:00Z, or '' when there is none."""
    if value is None:
        return ""
    return as_utc(value).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _cell(text):
    """Text a shopper typed, made safe for spreadsheets: a leading =, +, - or @ would
    be run as a formula (CSV injection), so it gets a leading apostrophe."""
    text = text or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_rows(flt, batch=EXPORT_BATCH):
    """The filtered orders as CSV value tuples, oldest first, `batch` rows per query.

    Keyset pagination (id > last, ORDER BY id, LIMIT batch): each query is cheap
    however deep into the export it is. The rows are read one at a time from the
    driver's result (plain Core, no ORM loading that would materialise the batch), so
    only one batch is held, in the driver's compact form.
    """
    conditions = _conditions(flt)
    connection = db.session.connection()
    last_id = 0
    while True:
        result = connection.execute(
            select(*_EXPORT_COLUMNS)
            .where(Order.id > last_id, *conditions)
            .order_by(Order.id)
            .limit(batch)
        )
        count = 0
        for row in result:
            count += 1
            last_id = row.id
            yield (
                row.number, iso_utc(row.created_at), row.status, _cell(row.email),
                _cell(row.ship_name), row.ship_country, row.currency,
                decimal_amount(row.subtotal, row.currency),
                decimal_amount(row.shipping, row.currency),
                decimal_amount(row.tax, row.currency),
                decimal_amount(row.total, row.currency),
                row.stripe_payment_intent_id or "", iso_utc(row.paid_at), iso_utc(row.refunded_at),
            )
        if count < batch:
            return


def export_csv(flt, batch=EXPORT_BATCH, chunk_rows=EXPORT_CHUNK_ROWS):
    """The export as text chunks: the header line, then `chunk_rows` lines at a time."""
    yield csv_line(EXPORT_HEADER)
    lines = []
    for values in export_rows(flt, batch):
        lines.append(csv_line(values))
        if len(lines) >= chunk_rows:
            yield "".join(lines)
            lines.clear()
    if lines:
        yield "".join(lines)


def csv_line(values):
    """One CSV record (RFC 4180, as csv.writer's QUOTE_MINIMAL writes it), CRLF-terminated.

    Not csv.writer: each writer allocates a 128 KB record buffer, as much as the rest
    of a streamed export together.
    """
    return ",".join(_quoted(value) for value in values) + "\r\n"


def _quoted(value):
    value = str(value)
    if any(char in value for char in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


# --- customers -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class CustomerRow:
    id: int
    email: str
    name: str
    user_id: int | None
    created_at: datetime
    order_count: int
    lifetime_value: int


def _lifetime_value():
    return func.coalesce(func.sum(case(
        (Order.status.in_(REVENUE_STATUSES), Order.total), else_=0
    )), 0)


def _customer_search(q):
    q = (q or "").strip().lower()
    if not q:
        return []
    needle = f"%{_escape_like(q)}%"
    return [or_(func.lower(Customer.email).like(needle, escape="\\"),
                func.lower(Customer.name).like(needle, escape="\\"))]


def list_customers(q="", page=1, per_page=50):
    """One page of customers (registered and guests), newest first, each with their
    order count and lifetime value (the totals of paid, dispatched and delivered orders).

    Two queries: the count, and the page joined to its orders and grouped.
    Raises PageOutOfRange past the last page.
    """
    conditions = _customer_search(q)
    total = db.session.scalar(select(func.count(Customer.id)).where(*conditions))
    check_page(page, per_page, total)
    rows = db.session.execute(
        select(Customer.id, Customer.email, Customer.name, Customer.user_id,
               Customer.created_at, func.count(Order.id).label("order_count"),
               _lifetime_value().label("lifetime_value"))
        .outerjoin(Order, Order.customer_id == Customer.id)
        .where(*conditions)
        .group_by(Customer.id)
        .order_by(Customer.created_at.desc(), Customer.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    )
    return Page([CustomerRow(**row._mapping) for row in rows], page, per_page, total)


@dataclass(frozen=True)
class CustomerSummary:
    customer: Customer
    order_count: int
    lifetime_value: int


def customer_summary(customer_id):
    """The customer (with login and addresses) and their order figures, or None. Three queries."""
    customer = db.session.scalar(
        select(Customer).where(Customer.id == customer_id)
        .options(joinedload(Customer.user), selectinload(Customer.addresses))
    )
    if customer is None:
        return None
    count, value = db.session.execute(
        select(func.count(Order.id), _lifetime_value()).where(Order.customer_id == customer_id)
    ).one()
    return CustomerSummary(customer, count, value)


def customer_orders(customer_id, total, page=1, per_page=20):
    """One page of the customer's orders, newest first: one query, as `total` (their
    order count) comes from customer_summary. Raises PageOutOfRange past the last page."""
    check_page(page, per_page, total)
    rows = db.session.execute(
        select(Order.id, Order.number, Order.created_at, Order.email, Order.ship_name,
               Order.status, Order.total, Order.currency, Order.needs_attention)
        .where(Order.customer_id == customer_id)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    )
    return Page([OrderRow(**row._mapping) for row in rows], page, per_page, total)
