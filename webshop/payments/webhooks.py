"""Stripe's events: the only way an order becomes paid (never the browser redirect).

Each verified event (webshop.payments.routes checks the signature) is handled once: its
id goes into stripe_events in the same transaction as the change it causes, so a
redelivery is a no-op, and two deliveries at the same moment both answer 2xx. Handlers
are idempotent by state (an event that finds the order already there does nothing), so
events may arrive in any order. Orders are found by the ids the shop stored
(webshop.payments.lookup): an event of ours that overtook its order answers 503, so
Stripe delivers it again later; one about a session the shop never created is ignored.

This module only reads Stripe's events: what a payment, refund or dispute means for an
order (the amount rule, flags, transitions) is decided by the orders domain.
"""
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webshop import orders
from webshop.extensions import db
from webshop.models import Order, StripeEvent
from webshop.payments import dispute_events, refund_events
from webshop.payments.lookup import (
    RetryLater, carries_marker, order_for_session, stray_session_order,
)

__all__ = ["HANDLERS", "RetryLater", "handle_event"]


def handle_event(event):
    """Apply one verified event exactly once; returns a word saying what happened. Commits."""
    if db.session.get(StripeEvent, event.id) is not None:
        return "duplicate"
    db.session.add(StripeEvent(id=event.id, type=event.type))
    try:
        db.session.flush()  # a concurrent delivery of the same event waits here, then fails
    except IntegrityError:
        db.session.rollback()
        return "duplicate"
    handler = HANDLERS.get(event.type)
    outcome = handler(event.data.object.to_dict()) if handler else "ignored"
    try:
        db.session.commit()
    except IntegrityError:  # the same event, delivered twice at the same moment
        db.session.rollback()
        return "duplicate"
    return outcome


def session_paid(session):
    order = order_for_session(session)
    if order is None:
        return _stray_payment(session)
    if session.get("payment_status") != "paid":
        # A delayed method (a bank debit): async_payment_succeeded or _failed follows.
        return orders.payment_processing(order)
    return orders.payment_received(order, session.get("amount_total"), session.get("currency"),
                                   session.get("payment_intent"))


def _stray_payment(session):
    """A session no order stored: someone else's, or a second one of ours (flag it)."""
    order = stray_session_order(session)
    if order is None or session.get("payment_status") != "paid":
        return "ignored"
    return orders.second_payment(order, session.get("payment_intent"),
                                 session.get("amount_total"), session.get("currency"))


def session_closed(session):
    """Expired, or a delayed payment failed: the reservation ends."""
    order = order_for_session(session)
    if order is None:
        return "ignored"
    return orders.payment_abandoned(order)


def payment_failed(intent):
    """A card was declined: the session stays open for another try; note it for staff."""
    if not carries_marker(intent):
        return "ignored"
    order_id = db.session.scalar(
        select(Order.id).where(Order.number == intent["metadata"]["order_number"])
    )
    if order_id is None:
        return "ignored"
    message = ((intent.get("last_payment_error") or {}).get("message")) or "payment failed"
    return orders.payment_declined(db.session.get(Order, order_id), message)


HANDLERS = {
    "checkout.session.completed": session_paid,
    "checkout.session.async_payment_succeeded": session_paid,
    "checkout.session.async_payment_failed": session_closed,
    "checkout.session.expired": session_closed,
    "payment_intent.payment_failed": payment_failed,
    **refund_events.HANDLERS,
    **dispute_events.HANDLERS,
}
