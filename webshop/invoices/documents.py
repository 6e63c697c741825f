"""Reading invoices and credit notes for their pages: who may see an order's documents,
and each document as the page shows it (decided values only)."""
from dataclasses import dataclass

from sqlalchemy import select

from webshop.extensions import db
from webshop.invoices.issue import PAID_OR_LATER, issue_missing
from webshop.models import Invoice, Order
from webshop.orders import order_for_viewer

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


def credit_note_of(order, refund_id):
    """The credit note of the order's refund `refund_id`; issued now (committed) for a
    refund counted before credit notes existed; None if there is none."""
    def find():
        return db.session.scalar(select(Invoice).where(
            Invoice.order_id == order.id, Invoice.kind == "credit_note",
            Invoice.refund_id == refund_id))
    note = find()
    if note is None and order.amount_refunded and issue_missing(order.id) is not None:
        note = find()
    return note


def credit_notes(order_id):
    """The order's credit notes, oldest first."""
    return db.session.scalars(select(Invoice).where(
        Invoice.order_id == order_id, Invoice.kind == "credit_note")
        .order_by(Invoice.sequence)).all()


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
