"""Stripe's events: the only way an order becomes paid (never the browser redirect).

Each verified event (webshop.payments.routes checks the signature) is handled once: its
id goes into stripe_events in the same transaction as the change it causes, so a
redelivery is a no-op. Handlers are
idempotent by state (an event that finds the order already there does nothing), so
events may arrive in any order. An event about a session the shop does not know
(yet) answers 503, so Stripe delivers it again later.

This module only reads Stripe's events: what a payment or refund means for an order
(the amount rule, flags, transitions) is decided by the orders lifecycle.
"""
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webshop import orders
from webshop.extensions import db
from webshop.models import Order, StripeEvent


class RetryLater(Exception):
    """The event cannot be applied yet (unknown session, or it overtook an earlier one)."""


def handle_event(event):
    """Apply one verified event exactly once; returns a word saying what happened. Commits."""
    if db.session.get(StripeEvent, event.id) is not None:
        return "duplicate"
    db.session.add(StripeEvent(id=event.id, type=event.type))
    handler = HANDLERS.get(event.type)
    outcome = handler(event.data.object.to_dict()) if handler else "ignored"
    try:
        db.session.commit()
    except IntegrityError:  # the same event, delivered twice at the same moment
        db.session.rollback()
        return "duplicate"
    return outcome


def _order_for(obj, by_session=True):
    """The order an event's object belongs to, locked; None if the shop does not know it."""
    order_id = None
    if by_session:
        order_id = db.session.scalar(
            select(Order.id).where(Order.stripe_checkout_session_id == obj.get("id"))
        )
    number = (obj.get("metadata") or {}).get("order_number")
    if order_id is None and number:
        order_id = db.session.scalar(select(Order.id).where(Order.number == number))
    if order_id is None and obj.get("payment_intent"):
        order_id = db.session.scalar(
            select(Order.id).where(Order.stripe_payment_intent_id == obj.get("payment_intent"))
        )
    return orders.locked(order_id) if order_id is not None else None


def session_paid(session):
    order = _order_for(session)
    if order is None:
        raise RetryLater(f"no order for session {session.get('id')}")
    if session.get("payment_status") != "paid":
        return "awaiting payment"  # delayed methods: async_payment_succeeded follows
    return orders.payment_received(order, session.get("amount_total"), session.get("currency"),
                                   session.get("payment_intent"))


def session_closed(session):
    """Expired, or a delayed payment failed: the reservation ends."""
    order = _order_for(session)
    if order is None:
        raise RetryLater(f"no order for session {session.get('id')}")
    return orders.payment_abandoned(order)


def payment_failed(intent):
    """A card was declined: the session stays open for another try; note it for staff."""
    order = _order_for(intent, by_session=False)
    if order is None:
        return "ignored"
    message = ((intent.get("last_payment_error") or {}).get("message")) or "payment failed"
    return orders.payment_declined(order, message)


def charge_refunded(charge):
    order = _order_for(charge, by_session=False)
    if order is None:
        return "ignored"
    if order.status == "pending":
        raise RetryLater(f"refund for {order.number} arrived before its payment")
    return orders.refund_confirmed(order, full=bool(charge.get("refunded")))


HANDLERS = {
    "checkout.session.completed": session_paid,
    "checkout.session.async_payment_succeeded": session_paid,
    "checkout.session.async_payment_failed": session_closed,
    "checkout.session.expired": session_closed,
    "payment_intent.payment_failed": payment_failed,
    "charge.refunded": charge_refunded,
}
