"""Stripe's webhooks: the only way an order becomes paid (never the browser redirect).

Each verified event is handled once: its id goes into stripe_events in the same
transaction as the change it causes, so a redelivery is a no-op. Handlers are
idempotent by state (an event that finds the order already there does nothing), so
events may arrive in any order. An event about a session the shop does not know
(yet) answers 503, so Stripe delivers it again later.
"""
import logging

import stripe
from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webshop import orders
from webshop.extensions import csrf, db
from webshop.models import Order, StripeEvent
from webshop.models.audit import record

log = logging.getLogger(__name__)
bp = Blueprint("payments", __name__)

PAID_OR_LATER = {"paid", "dispatched", "delivered", "refunded"}


class RetryLater(Exception):
    """The event cannot be applied yet (unknown session, or it overtook an earlier one)."""


@bp.post("/webhooks/stripe")
@csrf.exempt
def stripe_webhook():
    try:
        event = stripe.Webhook.construct_event(
            request.get_data(), request.headers.get("Stripe-Signature"),
            current_app.config["STRIPE_WEBHOOK_SECRET"],
        )
    except (ValueError, stripe.SignatureVerificationError) as error:
        log.warning("rejected a webhook: %s", error)
        return jsonify(error="invalid signature or payload"), 400
    try:
        outcome = handle_event(event)
    except RetryLater as reason:
        db.session.rollback()
        log.info("webhook %s (%s) deferred: %s", event.id, event.type, reason)
        return jsonify(error=str(reason)), 503
    return jsonify(received=True, outcome=outcome)


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


def _flag(order, reason):
    order.needs_attention = True
    order.attention_reason = reason
    record(db.session, "order.flagged", "order", order.id, note=reason)
    log.warning("order %s flagged: %s", order.number, reason)


def session_paid(session):
    order = _order_for(session)
    if order is None:
        raise RetryLater(f"no order for session {session.get('id')}")
    if session.get("payment_status") != "paid":
        return "awaiting payment"  # delayed methods: async_payment_succeeded follows
    if order.status in PAID_OR_LATER:
        return "already paid"
    if session.get("amount_total") != order.total or (session.get("currency") or "").lower() != order.currency.lower():
        _flag(order, f"Stripe reported {session.get('amount_total')} {session.get('currency')}, "
                     f"the order is {order.total} {order.currency.lower()}: not marked paid.")
        return "amount mismatch"
    if order.status == "cancelled":
        _flag(order, "Payment arrived after the order was cancelled: refund it or fulfil it by hand.")
        return "paid after cancellation"
    orders.transition(order, "paid", stripe_payment_intent_id=session.get("payment_intent"))
    return "paid"


def session_closed(session):
    """Expired, or a delayed payment failed: the reservation ends."""
    order = _order_for(session)
    if order is None:
        raise RetryLater(f"no order for session {session.get('id')}")
    if order.status != "pending":
        return f"already {order.status}"
    orders.transition(order, "cancelled", note="The payment session closed without payment.")
    return "cancelled"


def payment_failed(intent):
    """A card was declined: the session stays open for another try; note it for staff."""
    order = _order_for(intent, by_session=False)
    if order is None:
        return "ignored"
    message = ((intent.get("last_payment_error") or {}).get("message")) or "payment failed"
    record(db.session, "order.payment_failed", "order", order.id, note=message)
    return "noted"


def charge_refunded(charge):
    order = _order_for(charge, by_session=False)
    if order is None:
        return "ignored"
    if order.status == "refunded":
        return "already refunded"
    if order.status == "pending":
        raise RetryLater(f"refund for {order.number} arrived before its payment")
    if not charge.get("refunded"):
        return "partial refund ignored"
    if not orders.can_transition(order, "refunded"):
        _flag(order, f"Stripe refunded the payment while the order was {order.status}.")
        return "flagged"
    orders.transition(order, "refunded", restock=order.restock_on_refund,
                      note="Refund confirmed by Stripe.")
    return "refunded"


HANDLERS = {
    "checkout.session.completed": session_paid,
    "checkout.session.async_payment_succeeded": session_paid,
    "checkout.session.async_payment_failed": session_closed,
    "checkout.session.expired": session_closed,
    "payment_intent.payment_failed": payment_failed,
    "charge.refunded": charge_refunded,
}
