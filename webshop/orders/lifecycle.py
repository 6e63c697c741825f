"""An order's life: every status change, the payment and refund results that cause them,
and the flags staff must look at.

Every transition goes through `transition`, checked against TRANSITIONS, stamped with
its time, written to the audit log and announced as `events.order_changed` (which is
how the customer's email gets into the outbox, in the same transaction). Public
functions lock the order row, change it and commit once; a transition that is not
allowed raises InvalidTransition and changes nothing. Stock is released exactly once:
only the pending -> cancelled transition (or a refund with restock) releases it, and
the row lock makes that transition happen once.

The payment provider (Stripe) is reached through `payments()`, registered by the app
factory, and never while a transaction or row lock is held.
"""
import logging

from flask import current_app
from sqlalchemy import update

from webshop import catalog, events
from webshop.extensions import db
from webshop.models import Order, ProductVariant, utcnow
from webshop.models.audit import record
from webshop.models.base import locked as lock_row
from webshop.orders.errors import ActionRefused, InvalidTransition

log = logging.getLogger(__name__)

TRANSITIONS = {
    "pending": {"paid", "cancelled"},
    "paid": {"dispatched", "refunded"},
    "dispatched": {"delivered", "refunded"},
    "delivered": {"refunded"},
    "cancelled": set(),
    "refunded": set(),
}
# The only way back: a refund Stripe had accepted fails later, and the order returns to
# where it was (orders.refunds asks for it with `reversal=True`; nothing else can).
REVERSALS = {"refunded": {"paid", "dispatched", "delivered"}}
TIMESTAMPS = {
    "paid": "paid_at", "dispatched": "dispatched_at", "delivered": "delivered_at",
    "cancelled": "cancelled_at", "refunded": "refunded_at",
}
PAID_OR_LATER = {"paid", "dispatched", "delivered", "refunded"}


def payments():
    """The payment provider the app factory registered (webshop.payments.gateway):
    `checkout_state(session_id)` and `close_checkout(session_id)` (a session's state as a
    dict), and `refund(...)` (see orders.refunds)."""
    return current_app.extensions["webshop.payments"]


# --- the one place a status changes ----------------------------------------------------------

def locked(order_id):
    """The order, re-read under a row lock so concurrent transitions queue up."""
    return lock_row(Order, order_id)


def can_transition(order, to_status, reversal=False):
    return to_status in (REVERSALS if reversal else TRANSITIONS).get(order.status, ())


def transition(order, to_status, actor=None, note="", restock=False, notify=True,
               reversal=False, **changes):
    """The one place an order's status changes, inside the caller's unit of work.

    Checks the table, stamps the time, writes the audit log, releases stock when a
    pending order is cancelled (or a refund asks for a restock), and announces the
    change (the customer's email is queued in the same transaction unless `notify` is
    False). The caller holds the row lock (`locked`) and commits.
    """
    if not can_transition(order, to_status, reversal):
        raise InvalidTransition(order, to_status)
    before = {"status": order.status, **{k: getattr(order, k) for k in changes}}
    # Compare-and-set: a second process that read the same status loses here, also on
    # SQLite, where the row lock (SELECT ... FOR UPDATE) does nothing.
    claimed = db.session.execute(
        update(Order).where(Order.id == order.id, Order.status == order.status)
        .values(status=to_status).execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.refresh(order)
        raise InvalidTransition(order, to_status)
    order.status = to_status
    setattr(order, TIMESTAMPS[to_status], utcnow())
    for name, value in changes.items():
        setattr(order, name, value)
    if to_status == "cancelled" or (to_status == "refunded" and restock):
        _release_stock(order)
    record(db.session, f"order.{to_status}", "order", order.id, actor=actor,
           before=before, after={"status": to_status, **changes}, note=note)
    events.order_changed.send(order, status=to_status, notify_customer=notify)


def _change(order_id, to_status, actor=None, note="", **changes):
    """Lock, transition and commit once; a refused transition changes nothing."""
    order = locked(order_id)
    try:
        transition(order, to_status, actor=actor, note=note, **changes)
    except InvalidTransition:
        db.session.rollback()
        raise
    db.session.commit()
    return order


def _release_stock(order):
    """Put the order's quantities back on the shelf (once: only inside a transition)."""
    released = {}
    for item in sorted(order.items, key=lambda i: i.variant_id or 0):
        if item.variant_id is None:
            continue  # the variant was deleted since; nothing to put back
        db.session.execute(
            update(ProductVariant).where(ProductVariant.id == item.variant_id)
            .values(stock=ProductVariant.stock + item.quantity)
            .execution_options(synchronize_session=False)
        )
        released[item.variant_id] = released.get(item.variant_id, 0) + item.quantity
    catalog.stock_changed(released)


# --- staff and shoppers --------------------------------------------------------------------

def mark_paid(order_id, payment_intent_id=None, actor=None):
    changes = {"stripe_payment_intent_id": payment_intent_id} if payment_intent_id else {}
    return _change(order_id, "paid", actor=actor, **changes)


def dispatch_refusal(order):
    """Why the order may not be dispatched now, or None. A flagged order (a dispute, a
    second payment, a failed refund...) waits until staff have resolved the flag."""
    if order.needs_attention:
        return (f"Order {order.number} is flagged for attention ({order.attention_reason}); "
                "resolve the flag before dispatching it.")
    return None


def dispatch(order_id, carrier, tracking_number, actor=None):
    order = locked(order_id)
    refusal = dispatch_refusal(order)
    if refusal:
        db.session.rollback()
        raise ActionRefused(refusal)
    return _change(order_id, "dispatched", actor=actor,
                   carrier=carrier.strip(), tracking_number=tracking_number.strip())


def mark_delivered(order_id, actor=None):
    return _change(order_id, "delivered", actor=actor)


# --- what the payment provider tells us (its webhooks), inside the caller's unit of work ------

def flag(order, reason):
    """Mark the order for staff to look at, with the reason. No commit."""
    order.needs_attention = True
    order.attention_reason = reason
    record(db.session, "order.flagged", "order", order.id, note=reason)
    log.warning("order %s flagged: %s", order.number, reason)


def payment_received(order, amount, currency, payment_intent_id):
    """The provider took `amount` `currency` for the (locked) order. Returns what happened.

    Idempotent by state: an order already paid stays as it is. A payment that does not
    match the order's amount due (its total less a gift card's share) and currency, or one
    for a cancelled order, is flagged for
    staff instead of marking the order paid. No commit.
    """
    if order.status in PAID_OR_LATER:
        if payment_intent_id and payment_intent_id != order.stripe_payment_intent_id:
            return second_payment(order, payment_intent_id, amount, currency)
        return "already paid"
    if amount != order.amount_due or (currency or "").lower() != order.currency.lower():
        flag(order, f"Stripe reported {amount} {currency}, "
                    f"the order is {order.amount_due} {order.currency.lower()}: not marked paid.")
        return "amount mismatch"
    if order.status == "cancelled":
        flag(order, "Payment arrived after the order was cancelled: refund it or fulfil it by hand.")
        return "paid after cancellation"
    try:
        transition(order, "paid", stripe_payment_intent_id=payment_intent_id)
    except InvalidTransition:
        if order.status not in PAID_OR_LATER:  # as the lost compare-and-set re-read it
            raise
        # Another process marked it paid a moment ago (on SQLite no row lock queued us
        # behind it): the same as finding it paid above.
        return payment_received(order, amount, currency, payment_intent_id)
    return "paid"


def payment_processing(order):
    """The shopper paid with a delayed method (a bank debit): the money is on its way, so
    the order keeps its stock past its reservation until the payment succeeds or fails
    (or PAYMENT_PROCESSING_DAYS pass). No commit."""
    if order.status != "pending":
        return f"already {order.status}"
    if order.payment_processing_since is None:
        order.payment_processing_since = utcnow()
        record(db.session, "order.payment_processing", "order", order.id,
               note="A delayed payment method is processing; the reservation holds.")
    return "processing"


def second_payment(order, payment_intent_id, amount, currency):
    """Money was taken a second time for an order (another Checkout Session of ours):
    staff must refund it. No commit."""
    flag(order, f"A second payment ({amount} {(currency or '').lower()}, {payment_intent_id}) "
                "was taken for this order: refund it in Stripe.")
    return "second payment flagged"


def payment_abandoned(order):
    """The payment page closed without payment (expired, or a delayed method failed):
    the reservation ends. No commit."""
    if order.status != "pending":
        return f"already {order.status}"
    transition(order, "cancelled", note="The payment session closed without payment.")
    return "cancelled"


def payment_declined(order, message):
    """A card was declined: the payment page stays open for another try. No commit."""
    record(db.session, "order.payment_failed", "order", order.id, note=message)
    return "noted"


def resolve_attention(order_id, actor=None, note=""):
    """Staff have dealt with whatever flagged the order: clear the flag. Commits once.

    The reason stays readable in the audit entry's "before"; an order that is not
    flagged (anymore) is left as it is.
    """
    order = locked(order_id)
    if not order.needs_attention:
        db.session.rollback()
        return order
    before = {"needs_attention": True, "attention_reason": order.attention_reason}
    order.needs_attention, order.attention_reason = False, ""
    record(db.session, "order.attention_resolved", "order", order.id, actor=actor,
           before=before, after={"needs_attention": False}, note=note)
    db.session.commit()
    return order
