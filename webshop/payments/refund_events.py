"""Stripe's events about refunds, made by staff here or in the Stripe Dashboard.

refund.created, refund.updated, refund.failed and charge.refund.updated carry the refund
(id, amount, status, failure_reason, metadata, payment_intent); charge.refunded carries
the charge, whose `amount_refunded` is what Stripe has refunded of it in all. What they
mean for the order is decided by webshop.orders.refunds.
"""
from sqlalchemy import select

from webshop.extensions import db
from webshop.models import Order
from webshop.orders import refunds
from webshop.payments.lookup import RetryLater, carries_marker, order_for_payment


def _order(obj):
    """The (locked) order whose payment this is, or None (not ours). RetryLater for one
    of ours that overtook the payment event it refers to (Stripe delivers it again)."""
    order = order_for_payment(obj.get("payment_intent"))
    if order is not None and order.status == "pending":
        raise RetryLater(f"refund for {order.number} arrived before its payment")
    if order is None and carries_marker(obj):
        waiting = db.session.scalar(select(Order.number).where(
            Order.number == obj["metadata"]["order_number"], Order.status == "pending"))
        if waiting:
            raise RetryLater(f"refund for {waiting} arrived before its payment")
    return order


def charge_refunded(charge):
    order = _order(charge)
    if order is None:
        return "ignored"
    listed = (charge.get("refunds") or {}).get("data") or []  # older API versions list them
    return refunds.charge_refunded(order, charge.get("amount_refunded"), listed)


def refund_changed(refund):
    order = _order(refund)
    if order is None:
        return "ignored"
    return refunds.refund_reported(order, refund)


HANDLERS = {
    "charge.refunded": charge_refunded,
    "charge.refund.updated": refund_changed,
    "refund.created": refund_changed,
    "refund.updated": refund_changed,
    "refund.failed": refund_changed,
}
