"""Reading invoices, credit notes and their reversals for their pages: who may see an
order's documents, and each document as the page shows it (decided values only)."""
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import select

from webshop.extensions import db
from webshop.invoices.issue import PAID_OR_LATER, issue_missing
from webshop.models import Invoice, Order
from webshop.orders import order_for_viewer, refunds

# A credit note and its reversal (a refund that counted, then failed at Stripe).
CREDIT_KINDS = ("credit_note", "reversal")
SELLER_PLACEHOLDER = "Seller details not configured (set SELLER_NAME and SELLER_ADDRESS)"


def order_for_documents(number, token=None, user=None):
    """The order if this viewer may see its documents: its customer, the holder of its
    signed link, or staff. None otherwise (the view answers 404)."""
    order = order_for_viewer(number, token, user)
    if order is None and user is not None and getattr(user, "is_staff", False):
        order = db.session.scalar(select(Order).where(Order.number == number))
    return order


def invoice_of(order):
    """The order's invoice; issued now (committed) for an order paid before invoices
    existed; None for an order that is not paid."""
    if order.status not in PAID_OR_LATER:
        return None
    invoice = db.session.scalar(select(Invoice).where(
        Invoice.order_id == order.id, Invoice.kind == "invoice"))
    return invoice or issue_missing(order.id)


@dataclass(frozen=True)
class Credit:
    """A credit note and the reversal that cancelled it (None while the credit stands: its
    refund has not failed at Stripe after it counted)."""
    note: Invoice
    reversal: Optional[Invoice]


def _credits(documents):
    """Credit notes and reversals paired up, the credit notes' order kept."""
    reversals = {d.invoice_id: d for d in documents if d.kind == "reversal"}
    return [Credit(d, reversals.get(d.id)) for d in documents if d.kind == "credit_note"]


def credit_note_of(order, refund_id):
    """The Credit of the order's refund `refund_id` (one query); its credit note issued now
    (committed) for a refund counted before credit notes existed; None if there is none."""
    def find():
        found = _credits(db.session.scalars(select(Invoice).where(
            Invoice.order_id == order.id, Invoice.kind.in_(CREDIT_KINDS),
            Invoice.refund_id == refund_id)).all())
        return found[0] if found else None
    credit = find()
    if credit is None and order.amount_refunded and issue_missing(order.id) is not None:
        credit = find()
    return credit


def credit_notes(order_id):
    """The order's credit notes, oldest first, each with its reversal (one query)."""
    return _credits(db.session.scalars(select(Invoice).where(
        Invoice.order_id == order_id, Invoice.kind.in_(CREDIT_KINDS))
        .order_by(Invoice.sequence)).all())


def staff_credits(order):
    """The admin order page's credit documents from the refunds it has loaded:
    (credits, unissued): the credit notes with their reversals (one query, only if the
    order has refunds), and the counted refunds whose credit note is not issued yet
    (refunded before credit notes existed: issued when first opened)."""
    if not order.refunds:
        return [], []
    credits = credit_notes(order.id)
    noted = {credit.note.refund_id for credit in credits}
    return credits, [refund for refund in order.refunds
                     if refund.status in refunds.COUNTED and refund.id not in noted]


@dataclass(frozen=True)
class Seller:
    name: str
    address_lines: list
    vat_id: str
    email: str
    configured: bool


def seller_of(document):
    """The seller as the document recorded it, or a clear placeholder when the shop had
    not configured its details (development)."""
    data = document.details.get("seller") or {}
    configured = bool(data.get("name") and data.get("address"))
    lines = [line.strip() for line in (data.get("address") or "").replace(";", "\n").splitlines()
             if line.strip()]
    return Seller(data.get("name") if configured else SELLER_PLACEHOLDER, lines,
                  data.get("vat_id") or "", data.get("email") or "", configured)
