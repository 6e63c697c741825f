"""Issuing invoices and credit notes: numbered once, without gaps, copied at issue time.

- An order's invoice is issued in the transaction that marks it paid (subscribed to
  events.order_changed), so the number and the payment commit together or not at all;
  an order paid before invoices existed gets its invoice when it is first asked for.
- Each refund that counts (events.refund_counted: pending or succeeded at Stripe) gets a
  credit note referencing the invoice, for the refund's amount, its VAT split by rate.
- Numbers come from a counter row per series, raised with one conditional UPDATE in the
  issuing transaction: the row stays locked until that commits (PostgreSQL's row lock,
  SQLite's write lock), so two orders paid at once get consecutive numbers, and a
  transaction that rolls back takes its number back with it: no gaps, no duplicates.
  Invoices ("INV-000001") and credit notes ("CN-000001") are two series: each reads
  without gaps on its own, and a credit note's number never has to wait for, or be
  mistaken for, an invoice's.
- A refund that counted and then failed at Stripe (events.refund_reversed) gets a
  reversal ("CNR-000001", a third series) cancelling its credit note: same amounts,
  referencing it; the credit note itself is never changed or deleted.
- `source_key` ("order:<id>", "refund:<id>", "reversal:<refund id>") is unique: however
  often an event comes, one document per order, per refund and per failed refund.
All functions here run inside the caller's unit of work (no commit) unless they say so.
"""
from flask import current_app
from sqlalchemy import select, update

from webshop import events
from webshop.extensions import db
from webshop.models import Invoice, InvoiceCounter, Order, Refund
from webshop.models.audit import record
from webshop.models.base import insert_if_absent
from webshop.orders import locked

SERIES = {"invoice": "INV-", "credit_note": "CN-", "reversal": "CNR-"}
PAID_OR_LATER = ("paid", "dispatched", "delivered", "refunded")


def init_app(app):
    """Subscribe to the orders' events (once per process; blinker ignores repeats)."""
    events.order_changed.connect(_on_order_changed)
    events.refund_counted.connect(_on_refund_counted)
    events.refund_reversed.connect(_on_refund_reversed)


def _on_order_changed(order, status, notify_customer=True):
    if status == "paid":
        issue_invoice(order)


def _on_refund_counted(refund):
    issue_credit_note(refund)


def _on_refund_reversed(refund):
    issue_reversal(refund)


def _issued(source_key):
    """The document issued for this source (order, refund, failed refund), or None."""
    return db.session.scalar(select(Invoice).where(Invoice.source_key == source_key))


def next_number(kind):
    """(sequence, number) of the next document of `kind`, taken in this transaction."""
    counter = InvoiceCounter.__table__
    raise_it = (update(counter).where(counter.c.series == kind)
                .values(last_number=counter.c.last_number + 1))
    if not db.session.execute(raise_it).rowcount:
        # The series' first document: its row, unless a concurrent first one made it.
        insert_if_absent(db.session, counter, ["series"], series=kind, last_number=0)
        db.session.execute(raise_it)
    sequence = db.session.scalar(select(counter.c.last_number).where(counter.c.series == kind))
    return sequence, f"{SERIES[kind]}{sequence:06d}"


def rate_of(order):
    """The VAT rate (basis points) of an order without a breakdown by rate: the one its
    included tax was computed with, to a tenth of a percent."""
    net = order.total - order.tax
    if order.tax <= 0 or net <= 0:
        return 0
    return round(order.tax * 1000 / net) * 10


def included(gross, rate_bp):
    """The VAT inside a VAT-inclusive amount at `rate_bp`, rounded half up."""
    return (gross * rate_bp * 2 + (10000 + rate_bp)) // ((10000 + rate_bp) * 2)


def breakdown(order):
    """[{rate_bp, label, net, tax, gross}] of the order: the pricing's tax lines if the
    order has them, else one rate from the order's tax."""
    tax_lines = getattr(order, "tax_lines", None) or []
    if tax_lines:
        return [{"rate_bp": t.rate_bp, "label": t.label or "", "net": t.net, "tax": t.tax,
                 "gross": t.gross} for t in tax_lines]
    return [{"rate_bp": rate_of(order), "label": "", "net": order.total - order.tax,
             "tax": order.tax, "gross": order.total}]


def _lines(order):
    fallback = rate_of(order)
    lines = []
    for item in order.items:
        rate = getattr(item, "tax_rate_bp", None) or fallback
        discount = getattr(item, "discount", 0) or 0
        tax = getattr(item, "tax", None) or included(item.line_total - discount, rate)
        lines.append({"item_id": item.id, "name": item.product_name, "sku": item.sku,
                      "options": " / ".join(str(v) for v in (item.option_values or {}).values()),
                      "quantity": item.quantity, "unit_price": item.unit_price,
                      "discount": discount, "rate_bp": rate, "tax": tax,
                      "total": item.line_total - discount})
    return lines


def seller():
    config = current_app.config
    return {key: config.get(f"SELLER_{key.upper()}") or ""
            for key in ("name", "address", "vat_id", "email")}


def buyer(order):
    return {"name": order.ship_name, "email": order.email,
            "lines": [line for line in (
                order.ship_line1, order.ship_line2,
                f"{order.ship_postal_code} {order.ship_city}".strip(), order.ship_region,
                order.ship_country) if line]}


def issue_invoice(order):
    """The order's invoice: issued now if it has none. Inside the caller's unit of work."""
    key = f"order:{order.id}"
    existing = _issued(key)
    if existing is not None:
        return existing
    sequence, number = next_number("invoice")
    rates = breakdown(order)
    invoice = Invoice(
        number=number, kind="invoice", source_key=key, sequence=sequence, order_id=order.id,
        currency=order.currency, net=sum(r["net"] for r in rates),
        tax=sum(r["tax"] for r in rates), total=order.total,
        details={
            "order_number": order.number, "seller": seller(), "buyer": buyer(order),
            "lines": _lines(order), "breakdown": rates,
            "shipping": {"name": getattr(order, "shipping_name", "") or order.shipping_method,
                         "amount": order.shipping},
            "subtotal": order.subtotal,
            "discount": getattr(order, "discount", 0) or 0,
            "discount_code": getattr(order, "discount_code", "") or "",
            "gift_card": getattr(order, "gift_card_amount", 0) or 0,
        })
    return _filed(invoice, "order.invoice_issued", invoice=number, total=order.total)


def _split(amount, rates):
    """`amount` (gross) spread over the order's rates in proportion to their gross."""
    gross = sum(r["gross"] for r in rates) or 1
    parts, given = [], 0
    for i, rate in enumerate(rates):
        share = amount - given if i == len(rates) - 1 else amount * rate["gross"] // gross
        given += share
        tax = included(share, rate["rate_bp"])
        parts.append({**rate, "gross": share, "tax": tax, "net": share - tax})
    return [p for p in parts if p["gross"]]


def credit_breakdown(invoice, refund):
    """The refund's VAT by rate: its lines at their rates, else its amount spread over
    the invoice's rates."""
    by_item = {line["item_id"]: line for line in invoice.details["lines"]}
    lines = {int(k): int(v) for k, v in (refund.lines or {}).items() if int(k) in by_item}
    if not lines:
        return _split(refund.amount, invoice.details["breakdown"]), []
    rates, credited = {}, []
    for item_id, quantity in sorted(lines.items()):
        line = by_item[item_id]
        gross = line["unit_price"] * quantity
        credited.append({**line, "quantity": quantity, "total": gross,
                         "tax": included(gross, line["rate_bp"])})
        rates[line["rate_bp"]] = rates.get(line["rate_bp"], 0) + gross
    rows = []
    for rate_bp, gross in sorted(rates.items(), reverse=True):
        tax = included(gross, rate_bp)
        rows.append({"rate_bp": rate_bp, "label": "", "net": gross - tax, "tax": tax,
                     "gross": gross})
    if sum(r["gross"] for r in rows) != refund.amount:  # staff typed their own amount
        return _split(refund.amount, rows), credited
    return rows, credited


def issue_credit_note(refund):
    """The refund's credit note: issued now if it has none. Inside the caller's unit of work."""
    key = f"refund:{refund.id}"
    existing = _issued(key)
    if existing is not None:
        return existing
    order = refund.order or db.session.get(Order, refund.order_id)
    invoice = issue_invoice(order)
    rates, lines = credit_breakdown(invoice, refund)
    sequence, number = next_number("credit_note")
    note = Invoice(
        number=number, kind="credit_note", source_key=key, sequence=sequence,
        order_id=order.id, refund_id=refund.id, invoice_id=invoice.id, currency=refund.currency,
        net=sum(r["net"] for r in rates), tax=sum(r["tax"] for r in rates), total=refund.amount,
        details={"order_number": order.number, "invoice_number": invoice.number,
                 "seller": seller(), "buyer": invoice.details["buyer"], "lines": lines,
                 "breakdown": rates, "reason": refund.reason or ""})
    return _filed(note, "order.credit_note_issued", credit_note=number, invoice=invoice.number,
                  refund=refund.id, total=refund.amount)


def issue_reversal(refund):
    """A refund that had counted failed at Stripe: its credit note (if it has one) is
    cancelled by a reversal, the same amounts and VAT under a number of its own series,
    referencing the credit note. Issued documents are never changed or deleted, so the
    numbering keeps no gap and no hole. Inside the caller's unit of work; None if the
    refund had no credit note."""
    note = _issued(f"refund:{refund.id}")
    if note is None:
        return None
    key = f"reversal:{refund.id}"
    existing = _issued(key)
    if existing is not None:
        return existing
    sequence, number = next_number("reversal")
    reversal = Invoice(
        number=number, kind="reversal", source_key=key, sequence=sequence,
        order_id=note.order_id, refund_id=refund.id, invoice_id=note.id,
        currency=note.currency, net=note.net, tax=note.tax, total=note.total,
        details={**note.details, "credit_note_number": note.number,
                 "reason": "The refund failed at Stripe "
                           f"({refund.failure_reason or 'no reason given'})."})
    return _filed(reversal, "order.credit_note_reversed", reversal=number,
                  credit_note=note.number, refund=refund.id, total=note.total)


def _filed(document, action, **after):
    """The new document stored, with the order's audit entry saying so."""
    db.session.add(document)
    db.session.flush()
    record(db.session, action, "order", document.order_id, after=after)
    return document


def issue_missing(order_id):
    """An order paid before invoices existed: issue its invoice (and its counted refunds'
    credit notes) now, under the order's row lock. Commits once; returns the invoice."""
    order = locked(order_id)
    if order.status not in PAID_OR_LATER:
        db.session.rollback()
        return None
    invoice = issue_invoice(order)
    for refund in db.session.scalars(select(Refund).where(
            Refund.order_id == order.id, Refund.status.in_(("pending", "succeeded")))):
        issue_credit_note(refund)
    db.session.commit()
    return invoice
