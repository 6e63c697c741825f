"""The filtered orders as a CSV file for spreadsheets, streamed in pieces: a few hundred
rows in memory at a time however many orders there are."""
from datetime import timezone

from sqlalchemy import func, select

from webshop.extensions import db
from webshop.models import Order, OrderTaxLine
from webshop.models.base import as_utc
from webshop.money import decimal_amount
from webshop.pricing.tax import rate_text
from webshop.reports.orders import conditions

EXPORT_BATCH = 500  # rows per query
EXPORT_CHUNK_ROWS = 100  # rows per piece of the response

EXPORT_HEADER = (
    "Order number", "Date (UTC)", "Status", "Customer email", "Customer name", "Country",
    "Currency", "Subtotal", "Shipping", "Tax", "Total", "Payment intent",
    "Paid at (UTC)", "Refunded at (UTC)", "Discount", "Gift card", "VAT country",
    "VAT by rate",
)
_EXPORT_COLUMNS = (
    Order.id, Order.number, Order.created_at, Order.status, Order.email, Order.ship_name,
    Order.ship_country, Order.currency, Order.subtotal, Order.shipping, Order.tax,
    Order.total, Order.stripe_payment_intent_id, Order.paid_at, Order.refunded_at,
    Order.discount, Order.gift_card_amount, Order.tax_country,
)


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
    however deep into the export it is. A batch's last id and its VAT breakdown are read
    first (one query each); its rows are then read one at a time from the driver's result
    (plain Core, no ORM loading that would materialise the batch).
    """
    where = conditions(flt)
    connection = db.session.connection()
    last_id = 0
    while True:
        batch_ids = select(Order.id).where(Order.id > last_id, *where).order_by(Order.id) \
            .limit(batch).subquery()
        count, end = connection.execute(
            select(func.count(), func.max(batch_ids.c.id))).one()
        if not count:
            return
        breakdowns = _vat_by_rate(last_id, end, where, connection)
        result = connection.execute(  # the same rows, now with their columns
            select(*_EXPORT_COLUMNS).where(Order.id > last_id, Order.id <= end, *where)
            .order_by(Order.id))
        last_id = end
        for row in result:
            yield (
                row.number, iso_utc(row.created_at), row.status, _cell(row.email),
                _cell(row.ship_name), row.ship_country, row.currency,
                decimal_amount(row.subtotal, row.currency),
                decimal_amount(row.shipping, row.currency),
                decimal_amount(row.tax, row.currency),
                decimal_amount(row.total, row.currency),
                row.stripe_payment_intent_id or "", iso_utc(row.paid_at), iso_utc(row.refunded_at),
                decimal_amount(row.discount, row.currency),
                decimal_amount(row.gift_card_amount, row.currency), row.tax_country,
                "; ".join(f"{rate_text(rate)}: {decimal_amount(tax, row.currency)} on "
                          f"{decimal_amount(gross, row.currency)}"
                          for rate, tax, gross in breakdowns.get(row.id, ())),
            )
        if count < batch:
            return


def _vat_by_rate(after_id, last_id, where, connection):
    """{order id: [(rate_bp, tax, gross), ...]} for the filtered orders after after_id up
    to last_id (one query)."""
    breakdowns = {}
    for order_id, rate, tax, gross in connection.execute(
            select(OrderTaxLine.order_id, OrderTaxLine.rate_bp, OrderTaxLine.tax,
                   OrderTaxLine.gross)
            .join(Order, Order.id == OrderTaxLine.order_id)
            .where(Order.id > after_id, Order.id <= last_id, *where)
            .order_by(OrderTaxLine.order_id, OrderTaxLine.rate_bp.desc())):
        breakdowns.setdefault(order_id, []).append((rate, tax, gross))
    return breakdowns


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
