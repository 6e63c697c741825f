"""The orders domain: placing an order, its lifecycle, who may see it, what staff may do.

- placement: the cart becomes a pending order, its stock reserved atomically;
- lifecycle: every status change (one function, one table), payment results, flags for
  staff;
- settlement: cancelling a pending order, settling it from its Checkout Session's state,
  the reconciliation sweep for reservations that ran out;
- disputes: chargebacks on an order's payment;
- refunds: staff's refunds (whole or partial) and what Stripe reports about them;
- access: guests' signed links, customers' own orders;
- staff: the actions the admin offers, and taking them.
"""
from webshop.orders.access import access_token, order_for_viewer
from webshop.orders.errors import (
    ActionRefused, EmptyCart, InvalidTransition, OrderError, OutOfStock, PaidMeanwhile,
    PaymentError,
)
from webshop.orders.lifecycle import (
    PAID_OR_LATER, TIMESTAMPS, TRANSITIONS, can_transition, dispatch, dispatch_refusal, flag,
    locked, mark_delivered, mark_paid, payment_abandoned, payment_declined, payment_processing,
    payment_received, resolve_attention, second_payment, transition,
)
from webshop.orders.disputes import DISPUTE_OPEN, dispute_changed, dispute_open
from webshop.orders.settlement import (
    cancel, expire_reservations, refresh_from_stripe, return_to_cart, settle,
)
from webshop.orders.refunds import mark_refunded, refund_confirmed, request_refund
from webshop.orders.placement import ShippingAddress, place_order
from webshop.orders.staff import (
    STAFF_ACTIONS, check_staff_action, refund_pending, staff_action_refusal, staff_actions,
    take_staff_action,
)

__all__ = [
    "DISPUTE_OPEN", "PAID_OR_LATER", "STAFF_ACTIONS", "TIMESTAMPS", "TRANSITIONS", "ActionRefused",
    "EmptyCart", "InvalidTransition", "OrderError", "OutOfStock", "PaidMeanwhile", "PaymentError",
    "ShippingAddress", "access_token", "can_transition", "cancel", "check_staff_action",
    "dispatch", "dispatch_refusal", "dispute_changed", "dispute_open", "expire_reservations",
    "flag", "locked", "mark_delivered", "mark_paid", "mark_refunded", "order_for_viewer",
    "payment_abandoned", "payment_declined", "payment_processing", "payment_received",
    "place_order", "refresh_from_stripe", "refund_confirmed", "refund_pending", "request_refund",
    "resolve_attention", "return_to_cart", "second_payment", "settle", "staff_action_refusal",
    "staff_actions", "take_staff_action", "transition",
]
