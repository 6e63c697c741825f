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
from sqlalchemy import select, update

from webshop import cart as carts
from webshop import catalog, events
from webshop.extensions import db
from webshop.models import Order, ProductVariant, utcnow
from webshop.models.audit import record
from webshop.models.base import locked as lock_row
from webshop.orders.errors import InvalidTransition, OrderError, PaidMeanwhile, PaymentError

log = logging.getLogger(__name__)

TRANSITIONS = {
    "pending": {"paid", "cancelled"},
    "paid": {"dispatched", "refunded"},
    "dispatched": {"delivered", "refunded"},
    "delivered": set(),
    "cancelled": set(),
    "refunded": set(),
}
TIMESTAMPS = {
    "paid": "paid_at", "dispatched": "dispatched_at", "delivered": "delivered_at",
    "cancelled": "cancelled_at", "refunded": "refunded_at",
}
PAID_OR_LATER = {"paid", "dispatched", "delivered", "refunded"}


def payments():
    """The payment provider the app factory registered (webshop.payments.gateway):
    `close_checkout(session_id) -> paid?` and `refund(order_number, payment_intent_id) -> id`."""
    return current_app.extensions["webshop.payments"]


# --- the one place a status changes ----------------------------------------------------------

def locked(order_id):
    """The order, re-read under a row lock so concurrent transitions queue up."""
    return lock_row(Order, order_id)


def can_transition(order, to_status):
    return to_status in TRANSITIONS[order.status]


def transition(order, to_status, actor=None, note="", restock=False, notify=True, **changes):
    """The one place an order's status changes, inside the caller's unit of work.

    Checks the table, stamps the time, writes the audit log, releases stock when a
    pending order is cancelled (or a refund asks for a restock), and announces the
    change (the customer's email is queued in the same transaction unless `notify` is
    False). The caller holds the row lock (`locked`) and commits.
    """
    if not can_transition(order, to_status):
        raise InvalidTransition(order, to_status)
    before = {"status": order.status, **{k: getattr(order, k) for k in changes}}
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
    for item in sorted(order.items, key=lambda i: i.variant_id or 0):
        if item.variant_id is None:
            continue  # the variant was deleted since; nothing to put back
        db.session.execute(
            update(ProductVariant).where(ProductVariant.id == item.variant_id)
            .values(stock=ProductVariant.stock + item.quantity)
            .execution_options(synchronize_session=False)
        )
    catalog.mark_changed()


# --- staff and shoppers --------------------------------------------------------------------

def mark_paid(order_id, payment_intent_id=None, actor=None):
    changes = {"stripe_payment_intent_id": payment_intent_id} if payment_intent_id else {}
    return _change(order_id, "paid", actor=actor, **changes)


def cancel(order_id, actor=None, reason=""):
    """Cancel a pending order and release its stock. Commits once.

    If the shopper may still be paying (an open Checkout Session), the session is
    expired first; if it turns out to be paid already, the order is left for the
    payment webhook and PaidMeanwhile is raised.
    """
    _close_checkout(order_id)
    return _change(order_id, "cancelled", actor=actor, note=reason)


def _close_checkout(order_id):
    """Before cancelling: stop the shopper's open payment page from taking money.

    The order is read, the read transaction ended, and only then is Stripe asked."""
    order = db.session.get(Order, order_id)
    if order is None or order.status != "pending" or not order.stripe_checkout_session_id:
        return
    session_id = order.stripe_checkout_session_id
    db.session.rollback()
    if payments().close_checkout(session_id):
        raise PaidMeanwhile(db.session.get(Order, order_id))


def return_to_cart(order_id, token=None, user_id=None):
    """The shopper left the payment page: cancel the pending order and put its lines
    back into their cart, as they were. Commits once. No email: they know."""
    _close_checkout(order_id)
    order = locked(order_id)
    try:
        transition(order, "cancelled", note="The shopper cancelled the payment.", notify=False)
    except InvalidTransition:
        db.session.rollback()
        raise
    carts.refill([(item.variant_id, item.quantity) for item in order.items if item.variant_id],
                 token=token, user_id=user_id)
    db.session.commit()
    return order


def dispatch(order_id, carrier, tracking_number, actor=None):
    return _change(order_id, "dispatched", actor=actor,
                   carrier=carrier.strip(), tracking_number=tracking_number.strip())


def mark_delivered(order_id, actor=None):
    return _change(order_id, "delivered", actor=actor)


def expire_reservations(now=None):
    """Cancel pending orders whose reservation ran out; returns how many this call cancelled.

    Safe to run from several processes at once: each cancellation locks its order and
    re-checks the status, so every order's stock is released exactly once.
    """
    now = now or utcnow()
    expired = db.session.scalars(
        select(Order.id).where(Order.status == "pending", Order.reserved_until < now)
        .order_by(Order.id)
    ).all()
    db.session.rollback()
    cancelled = 0
    for order_id in expired:
        try:
            cancel(order_id, reason="Payment not received in time; reservation expired.")
            cancelled += 1
        except PaymentError:  # the payment provider did not answer: try again next run
            db.session.rollback()
            log.exception("could not expire order %s", order_id)
        except OrderError:
            continue  # paid or cancelled meanwhile, by someone else
    return cancelled


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
    match the order's total and currency, or one for a cancelled order, is flagged for
    staff instead of marking the order paid. No commit.
    """
    if order.status in PAID_OR_LATER:
        return "already paid"
    if amount != order.total or (currency or "").lower() != order.currency.lower():
        flag(order, f"Stripe reported {amount} {currency}, "
                    f"the order is {order.total} {order.currency.lower()}: not marked paid.")
        return "amount mismatch"
    if order.status == "cancelled":
        flag(order, "Payment arrived after the order was cancelled: refund it or fulfil it by hand.")
        return "paid after cancellation"
    transition(order, "paid", stripe_payment_intent_id=payment_intent_id)
    return "paid"


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
