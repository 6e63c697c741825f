"""Pending orders and their payment pages: cancelling one, settling it from what Stripe
says about its Checkout Session, and the sweep that reconciles the ones left behind.

Stripe's webhook is the usual way an order learns it was paid, but not the only one:
when the shopper comes back from the payment page, when a pending order is cancelled,
and when its reservation has run out, the shop asks Stripe for the session's real state
and applies it with the same idempotent functions the webhook uses. So a payment whose
webhook never arrives (an endpoint down for days, a wrong secret) is still recorded, and
no order whose money was taken is cancelled.

The provider (`lifecycle.payments()`) is asked with no transaction open; what it says is
applied afterwards under the order's row lock.
"""
import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select

from webshop import cart as carts
from webshop.extensions import db
from webshop.models import Order, utcnow
from webshop.orders.errors import InvalidTransition, OrderError, PaidMeanwhile, PaymentError
from webshop.orders.lifecycle import (
    locked, payment_abandoned, payment_processing, payment_received, payments, transition,
)

log = logging.getLogger(__name__)


def apply_session_state(order, state):
    """Apply a Checkout Session's state (status, payment_status, amount_total, currency,
    payment_intent: as Stripe reports it) to the locked order. No commit."""
    if state["status"] == "complete" and state["payment_status"] == "paid":
        return payment_received(order, state["amount_total"], state["currency"],
                                state["payment_intent"])
    if state["status"] == "complete":
        return payment_processing(order)
    if state["status"] == "expired":
        return payment_abandoned(order)
    return "open"


def settle(order_id, state):
    """Lock the order, apply the session's state and commit; returns what happened."""
    outcome = apply_session_state(locked(order_id), state)
    db.session.commit()
    return outcome


def refresh_from_stripe(order_id):
    """The shopper is back from the payment page: ask Stripe once and apply the answer,
    so a paid order shows as paid at once (the webhook, when it comes, finds it so).
    Returns what happened, or None if there was nothing to ask or Stripe did not answer."""
    session_id = _pending_session(order_id)
    if session_id is None:
        return None
    try:
        state = payments().checkout_state(session_id)
    except PaymentError:
        log.warning("could not read the checkout session of order %s", order_id)
        return None
    return settle(order_id, state)


def _pending_session(order_id):
    """The order's Checkout Session id if it is pending with one; ends the read."""
    order = db.session.get(Order, order_id)
    session_id = order.stripe_checkout_session_id if order and order.status == "pending" else None
    db.session.rollback()
    return session_id


def close_checkout(order_id, even_if_processing=False):
    """Before cancelling: stop the order's payment page from taking money.

    The open session is expired at Stripe. If Stripe says it was paid, or a delayed
    payment is on its way, that is recorded and PaidMeanwhile raised: the order is not
    cancelled (unless `even_if_processing`, for a delayed payment past its deadline).
    Returns the session's state (None if the order had no payment page to close).
    """
    session_id = _pending_session(order_id)
    if session_id is None:
        return None
    state = payments().close_checkout(session_id)
    if state["status"] != "complete":
        return state
    outcome = settle(order_id, state)
    if outcome == "processing" and even_if_processing:
        return state
    raise PaidMeanwhile(db.session.get(Order, order_id))


def cancel(order_id, actor=None, reason="", even_if_processing=False):
    """Cancel a pending order and release its stock. Commits once.

    An open payment page is closed first (`close_checkout`); an order that turns out
    to be paid is marked paid instead and PaidMeanwhile raised. Expiring the session
    makes Stripe send its expired event, which may cancel the order first: then the
    order is cancelled, as asked, and is returned as it is.
    """
    state = close_checkout(order_id, even_if_processing=even_if_processing)
    order = locked(order_id)
    try:
        transition(order, "cancelled", actor=actor, note=reason)
    except InvalidTransition as refused:
        db.session.rollback()
        if _cancelled_by_its_expiry(refused, state):
            return db.session.get(Order, order_id)
        raise
    db.session.commit()
    return order


def _cancelled_by_its_expiry(refused, state):
    return (refused.from_status == "cancelled" and state is not None
            and state["status"] == "expired")


def return_to_cart(order_id, token=None, user_id=None):
    """The shopper left the payment page: cancel the pending order and put its lines
    back into their cart, as they were. Commits once. No email: they know. The caller
    checks the order was pending when the shopper asked."""
    state = close_checkout(order_id)
    order = locked(order_id)
    try:
        transition(order, "cancelled", note="The shopper cancelled the payment.", notify=False)
    except InvalidTransition as refused:
        if not _cancelled_by_its_expiry(refused, state):
            db.session.rollback()
            raise
        # The session's expired event cancelled it a moment ago: the lines go back all the same.
    carts.refill([(item.variant_id, item.quantity) for item in order.items if item.variant_id],
                 token=token, user_id=user_id)
    db.session.commit()
    return order


def expire_reservations(now=None):
    """Reconcile pending orders whose reservation ran out; returns how many it cancelled.

    Each one's Checkout Session is asked for its real state: paid is marked paid, open
    is expired and cancelled, expired is cancelled. A delayed payment still processing
    keeps its order until PAYMENT_PROCESSING_DAYS have passed. Safe to run from several
    processes at once: each change is a compare-and-set under the order's row lock, so
    every order's stock is released exactly once.
    """
    now = now or utcnow()
    deadline = now - timedelta(days=current_app.config["PAYMENT_PROCESSING_DAYS"])
    due = db.session.execute(
        select(Order.id, Order.payment_processing_since).where(
            Order.status == "pending", Order.reserved_until < now,
            or_(Order.payment_processing_since.is_(None),
                Order.payment_processing_since < deadline),
        ).order_by(Order.id)
    ).all()
    db.session.rollback()
    cancelled = 0
    for order_id, processing_since in due:
        reason = ("The delayed payment did not arrive in time." if processing_since
                  else "Payment not received in time; reservation expired.")
        try:
            cancel(order_id, reason=reason, even_if_processing=processing_since is not None)
            cancelled += 1
        except PaymentError:  # the payment provider did not answer: try again next run
            db.session.rollback()
            log.exception("could not reconcile order %s", order_id)
        except OrderError:
            db.session.rollback()
            continue  # paid (now recorded) or cancelled meanwhile, by someone else
    return cancelled
