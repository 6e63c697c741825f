"""The rules of a return: its reasons, which status follows which, the return window, how
many units of a line may still be asked for, and the one function that changes a
return's status.

A return's status moves requested -> approved | refused, approved -> received (or
closed), received -> refunded (or closed), refunded -> closed. Every change goes through
`change`: a compare-and-set on the status (also correct on SQLite, where row locks do
nothing), stamped, written to the audit log under the order (so the admin's order
history shows it) and announced as events.return_changed, which queues the shopper's
email in the same unit of work.
"""
from datetime import timedelta

from flask import current_app
from flask_babel import gettext
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from webshop import events
from webshop.extensions import db
from webshop.i18n import _N, format_date
from webshop.models import Order, ReturnRequest, utcnow
from webshop.models.audit import record
from webshop.models.base import as_utc

REASONS = {  # msgids: shoppers read them translated (requests.view, the order page)
    "damaged": _N("Arrived damaged or faulty"),
    "wrong_item": _N("Wrong item sent"),
    "not_as_described": _N("Not as described"),
    "does_not_fit": _N("Does not fit"),
    "changed_mind": _N("No longer wanted"),
    "other": _N("Other"),
}
TRANSITIONS = {
    "requested": {"approved", "refused"},
    "approved": {"received", "closed"},
    "received": {"refunded", "closed"},
    "refunded": {"closed"},
    "refused": set(),
    "closed": set(),
}
TIMESTAMPS = {"approved": "decided_at", "refused": "decided_at", "received": "received_at",
              "refunded": "refunded_at", "closed": "closed_at"}
# What shoppers and staff read for each status.
LABELS = {"requested": _N("Requested"), "approved": _N("Approved"), "refused": _N("Refused"),
          "received": _N("Received"), "refunded": _N("Refunded"), "closed": _N("Closed")}
# Statuses whose units are taken: a refused request gives its units back.
TAKING = ("requested", "approved", "received", "refunded", "closed")
RETURNABLE_STATUSES = ("dispatched", "delivered")
MAX_COMMENT = 1000


class ReturnError(Exception):
    """A return that cannot be asked for or changed; str(error) is what people read."""


class ReturnStateError(ReturnError):
    """The return is not (any longer) in a status that allows the change."""


def window_start(order):
    """The return window opens at delivery, or at dispatch when delivery was never recorded."""
    return as_utc(order.delivered_at or order.dispatched_at)


def window_end(order):
    start = window_start(order)
    if start is None:
        return None
    return start + timedelta(days=current_app.config["RETURN_WINDOW_DAYS"])


def return_refusal(order, now=None):
    """Why no return can be asked for this order now (a message), or None."""
    if order.status not in RETURNABLE_STATUSES or window_start(order) is None:
        if order.status == "refunded":
            return gettext("Order %(number)s is refunded; there is nothing left to return.",
                           number=order.number)
        if order.status in ("pending", "cancelled"):
            return gettext("Order %(number)s was never sent, so there is nothing to return.",
                           number=order.number)
        return gettext("Order %(number)s has not been dispatched yet; you can ask for a "
                       "return once it is on its way.", number=order.number)
    end = window_end(order)
    if (now or utcnow()) > end:
        days = current_app.config["RETURN_WINDOW_DAYS"]
        return gettext("The %(days)d-day return window for order %(number)s ended on "
                       "%(date)s; returns can no longer be asked for.", days=days,
                       number=order.number, date=format_date(end, "long"))
    return None


def returnable_quantities(order, returns):
    """{order item id: units that may still be asked for}, given the order's returns."""
    taken = {}
    for request in returns:
        if request.status in TAKING:
            for line in request.lines:
                taken[line.order_item_id] = taken.get(line.order_item_id, 0) + line.quantity
    return {item.id: max(item.quantity - taken.get(item.id, 0), 0) for item in order.items}


def order_returns(order_id):
    """The order's returns with their lines, oldest first (one query: joined)."""
    return db.session.scalars(
        select(ReturnRequest).options(joinedload(ReturnRequest.lines))
        .where(ReturnRequest.order_id == order_id).order_by(ReturnRequest.id)).unique().all()


def claim_order(order_id):
    """Take the order for writing before anything is read: on PostgreSQL the UPDATE holds
    its row lock, on SQLite the database's write lock, so two requests for the same units
    queue up and the second reads what the first wrote. Returns the order, read again."""
    claimed = db.session.execute(
        update(Order).where(Order.id == order_id).values(updated_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if not claimed:
        raise LookupError(f"No order {order_id}")
    return db.session.scalar(select(Order).options(selectinload(Order.items))
                             .where(Order.id == order_id)
                             .execution_options(populate_existing=True))


def change(request, to_status, actor=None, note="", **values):
    """The one place a return's status changes, inside the caller's unit of work.

    A compare-and-set on the status: a second process that read the same status loses
    (ReturnStateError) and nothing of this change is written. Stamps the time, writes
    the audit entry and announces the change (the shopper's email). No commit.
    """
    before = request.status
    if to_status not in TRANSITIONS.get(before, ()):
        raise ReturnStateError(f"Return #{request.id} is {LABELS.get(before, before).lower()}; "
                               f"it cannot become {LABELS.get(to_status, to_status).lower()}.")
    now = utcnow()
    stamps = {TIMESTAMPS[to_status]: now} if to_status in TIMESTAMPS else {}
    claimed = db.session.execute(
        update(ReturnRequest)
        .where(ReturnRequest.id == request.id, ReturnRequest.status == before)
        .values(status=to_status, updated_at=now, **stamps, **values)
        .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        db.session.refresh(request)
        raise ReturnStateError(f"Return #{request.id} was changed meanwhile: it is "
                               f"{LABELS.get(request.status, request.status).lower()} now.")
    for name, value in {"status": to_status, **stamps, **values}.items():
        set_committed_value(request, name, value)  # as written above: nothing left to flush
    record(db.session, f"return.{to_status}", "order", request.order_id, actor=actor,
           before={"return": request.id, "status": before},
           after={"return": request.id, "status": to_status}, note=note)
    events.return_changed.send(request, status=to_status)
