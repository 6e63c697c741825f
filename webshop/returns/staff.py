"""What staff do with a return: approve or refuse it (with a note to the shopper), mark
its items received (each line back in stock or not), refund it through the order's
refunds (webshop.orders.refunds: the one refund path), or close it; and the admin's
list and detail of returns.

Each function commits once, except `refund`, which commits around the Stripe call as
orders.refunds.request_refund does; no transaction is open while Stripe is asked.
"""
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import joinedload, selectinload

from webshop import catalog
from webshop.extensions import db
from webshop.models import Order, ProductVariant, ReturnRequest, utcnow
from webshop.models.audit import record
from webshop.orders import refunds
from webshop.pagination import Page, check_page
from webshop.returns.requests import view
from webshop.returns.rules import (
    LABELS, MAX_COMMENT, TRANSITIONS, ReturnError, ReturnStateError, change, claim_order,
)

# A refund claim older than this was left by a process that died while asking Stripe.
STALE_REFUND = timedelta(minutes=10)
STAFF_ACTIONS = {"approve": "approved", "refuse": "refused", "receive": "received",
                 "refund": "refunded", "close": "closed"}


def _note(text):
    text = (text or "").strip()
    if len(text) > MAX_COMMENT:
        raise ReturnError(f"Keep the note under {MAX_COMMENT} characters.")
    return text


def _locked_return(return_id):
    """The return and its order, the order taken for writing first (rules.claim_order)."""
    order_id = db.session.scalar(select(ReturnRequest.order_id)
                                 .where(ReturnRequest.id == return_id))
    if order_id is None:
        db.session.rollback()
        raise LookupError(f"No return {return_id}")
    order = claim_order(order_id)
    request = db.session.scalar(
        select(ReturnRequest).options(selectinload(ReturnRequest.lines))
        .where(ReturnRequest.id == return_id).execution_options(populate_existing=True))
    return request, order


def _decide(return_id, to_status, actor, note, **values):
    try:
        note = _note(note)
        request, order = _locked_return(return_id)
        change(request, to_status, actor=actor, note=note, staff_note=note, **values)
    except (ReturnError, LookupError):
        db.session.rollback()
        raise
    db.session.commit()
    return request


def approve(return_id, actor, note=""):
    """The shopper may send the items back. Commits once."""
    return _decide(return_id, "approved", actor, note)


def refuse(return_id, actor, note=""):
    """No return: the note tells the shopper why (required). Commits once."""
    if not (note or "").strip():
        raise ReturnError("Tell the shopper why the return is refused.")
    return _decide(return_id, "refused", actor, note)


def close(return_id, actor, note=""):
    """Nothing more will happen to this return (e.g. received but not refundable). Commits once."""
    return _decide(return_id, "closed", actor, note)


def receive(return_id, actor, restock_item_ids=(), note=""):
    """The parcel arrived: the lines whose order item is in `restock_item_ids` go back in
    stock (one conditional UPDATE each, in this unit of work), the others not.
    Commits once."""
    restock_item_ids = set(restock_item_ids)
    try:
        note = _note(note)
        request, order = _locked_return(return_id)
        variants = {item.id: item.variant_id for item in order.items}
        change(request, "received", actor=actor, note=note)
        deltas = {}
        for line in request.lines:
            variant_id = variants.get(line.order_item_id)
            if line.order_item_id in restock_item_ids and variant_id is not None:
                db.session.execute(
                    update(ProductVariant).where(ProductVariant.id == variant_id)
                    .values(stock=ProductVariant.stock + line.quantity)
                    .execution_options(synchronize_session=False))
                line.restocked = True
                deltas[variant_id] = deltas.get(variant_id, 0) + line.quantity
        restocked = {str(line.order_item_id): line.quantity for line in request.lines
                     if line.restocked}
        if restocked:
            record(db.session, "return.restocked", "order", order.id, actor=actor,
                   after={"return": request.id, "lines": restocked})
            catalog.stock_changed(deltas)
    except (ReturnError, LookupError):
        db.session.rollback()
        raise
    db.session.commit()
    return request


def refund(return_id, actor, amount=None):
    """Refund the return through the order's refunds: its lines at their prices, or
    `amount` (minor units) if staff changed it; shipping is not refunded unless staff
    typed it in. Stock is not touched here (receiving decided that).

    The return is claimed first (a compare-and-set, committed), so a second click does
    not refund twice; Stripe is called by orders.refunds.request_refund with no
    transaction open; then the return becomes "refunded" with its refund. Raises
    LookupError, ReturnError, or the refund's OrderError / RefundInputError /
    PaymentError (the claim is given back: staff may try again).
    """
    request, order = _locked_return(return_id)
    if request.status != "received":
        db.session.rollback()
        raise ReturnStateError(f"Return #{return_id} is {LABELS[request.status].lower()}; "
                               "only a received return can be refunded.")
    now = utcnow()
    claimed = db.session.execute(
        update(ReturnRequest).where(
            ReturnRequest.id == return_id, ReturnRequest.status == "received",
            or_(ReturnRequest.refund_started_at.is_(None),
                ReturnRequest.refund_started_at < now - STALE_REFUND))
        .values(refund_started_at=now).execution_options(synchronize_session=False)).rowcount
    lines = {line.order_item_id: line.quantity for line in request.lines}
    order_id = order.id
    db.session.commit()
    if not claimed:
        raise ReturnStateError(f"The refund of return #{return_id} is already on its way.")
    try:
        made = refunds.request_refund(
            order_id, amount=amount, lines=None if amount is not None else lines,
            reason=f"Return #{return_id}", actor=actor)
    except Exception:
        _give_back_claim(return_id)
        raise
    refund_id = made.id
    request, _ = _locked_return(return_id)
    change(request, "refunded", actor=actor, note=f"Refund #{refund_id}",
           refund_id=refund_id, refund_started_at=None)
    db.session.commit()
    return request


def _give_back_claim(return_id):
    db.session.rollback()
    db.session.execute(update(ReturnRequest).where(ReturnRequest.id == return_id)
                       .values(refund_started_at=None)
                       .execution_options(synchronize_session=False))
    db.session.commit()


def staff_actions(request):
    """The actions staff may take on the return now (STAFF_ACTIONS names)."""
    return [action for action, status in STAFF_ACTIONS.items()
            if status in TRANSITIONS.get(request.status, ())]


# --- the admin's list and detail ---------------------------------------------------------------

@dataclass(frozen=True)
class ReturnRow:
    request: ReturnRequest
    number: str
    email: str
    label: str
    units: int


def list_returns(status, page, per_page, number=""):
    """A page of returns, newest first, of one status or all (and of one order, by its
    number, if given); with the count per status."""
    if status and status not in TRANSITIONS:
        raise ReturnError(f"There is no return status called “{status[:40]}”.")
    query = select(ReturnRequest, Order.number, Order.email).join(
        Order, Order.id == ReturnRequest.order_id)
    counting = select(ReturnRequest.status, func.count()).group_by(ReturnRequest.status)
    if number:
        query = query.where(Order.number == number)
        counting = counting.join(Order, Order.id == ReturnRequest.order_id).where(
            Order.number == number)
    if status:
        query = query.where(ReturnRequest.status == status)
    counts = dict(db.session.execute(counting).all())
    total = counts.get(status, 0) if status else sum(counts.values())
    check_page(page, per_page, total)
    rows = db.session.execute(
        query.options(selectinload(ReturnRequest.lines))
        .order_by(ReturnRequest.created_at.desc(), ReturnRequest.id.desc())
        .limit(per_page).offset((page - 1) * per_page)).all()
    items = [ReturnRow(r, number, email, LABELS[r.status], sum(li.quantity for li in r.lines))
             for r, number, email in rows]
    return Page(items, page, per_page, total), counts


def return_detail(return_id):
    """(the return as people read it, its order with lines and refunds), or None."""
    request = db.session.scalar(
        select(ReturnRequest).options(
            selectinload(ReturnRequest.lines),
            joinedload(ReturnRequest.order).selectinload(Order.items))
        .where(ReturnRequest.id == return_id))
    if request is None:
        return None
    return view(request, request.order), request.order
