"""Stripe's events about refunds: made by staff here or in the Stripe Dashboard."""
from webshop import orders
from webshop.payments.lookup import RetryLater, order_for_payment


def charge_refunded(charge):
    order = order_for_payment(charge.get("payment_intent"))
    if order is None:
        return "ignored"
    if order.status == "pending":
        raise RetryLater(f"refund for {order.number} arrived before its payment")
    return orders.refund_confirmed(order, full=bool(charge.get("refunded")))


HANDLERS = {
    "charge.refunded": charge_refunded,
}
