"""Refunds: staff ask Stripe for them, Stripe confirms them (its webhooks).

The payment provider is called with no transaction or row lock held.
"""
from webshop.extensions import db
from webshop.models.audit import record
from webshop.orders.errors import InvalidTransition, PaymentError
from webshop.orders.lifecycle import _change, can_transition, flag, locked, payments, transition


def mark_refunded(order_id, restock=False, actor=None, note=""):
    """Record a completed refund; put the items back on the shelf if asked."""
    return _change(order_id, "refunded", actor=actor, note=note, restock=restock)


def request_refund(order_id, restock=False, actor=None):
    """Ask the payment provider to refund a paid or dispatched order in full. Commits.

    The order becomes "refunded" when the provider confirms (`refund_confirmed`, from
    its webhook). The restock wish is stored before the provider is asked, so a
    confirmation that overtakes this function's last commit still honours it; the
    provider is called with no transaction open, and the refund id recorded afterwards.
    """
    order = locked(order_id)
    if not can_transition(order, "refunded"):
        db.session.rollback()
        raise InvalidTransition(order, "refunded")
    if not order.stripe_payment_intent_id:
        db.session.rollback()
        raise PaymentError("This order has no recorded payment to refund.")
    number, intent = order.number, order.stripe_payment_intent_id
    order.restock_on_refund = restock
    db.session.commit()

    refund_id = payments().refund(number, intent)  # idempotent per order: a retry is harmless

    order = locked(order_id)
    order.stripe_refund_id = refund_id
    record(db.session, "order.refund_requested", "order", order.id, actor=actor,
           after={"refund": refund_id, "restock": restock})
    db.session.commit()
    return order


def refund_confirmed(order, full):
    """The provider refunded the order's payment (`full`: all of it). No commit.

    Raises RetryLater-worthy OrderError? No: returns what happened; a refund reported
    for an order whose state cannot become refunded is flagged for staff.
    """
    if order.status == "refunded":
        return "already refunded"
    if not full:
        return "partial refund ignored"
    if not can_transition(order, "refunded"):
        flag(order, f"Stripe refunded the payment while the order was {order.status}.")
        return "flagged"
    transition(order, "refunded", restock=order.restock_on_refund,
               note="Refund confirmed by Stripe.")
    return "refunded"
