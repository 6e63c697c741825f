"""What staff may do to an order next, and doing it: the admin's actions panel.

The transition table decides, plus: while a refund waits for Stripe nothing else is
done to the order, and only a payment Stripe recorded can be refunded through it. The
lifecycle functions re-check under the row lock; this is what the admin offers.
"""
from webshop.extensions import db
from webshop.models import Order
from webshop.orders import lifecycle, refunds, settlement
from webshop.orders.errors import ActionRefused, InvalidTransition

# Staff actions, in the order the admin offers them, and the status each leads to.
STAFF_ACTIONS = {
    "dispatch": "dispatched", "deliver": "delivered", "cancel": "cancelled", "refund": "refunded",
}


def refund_pending(order):
    """A refund was asked of Stripe and its confirmation (the webhook) has not come yet."""
    return bool(order.stripe_refund_id) and order.status != "refunded"


def staff_action_refusal(order, action):
    """Why staff may not take `action` on the order now (a message), or None if they may."""
    to_status = STAFF_ACTIONS.get(action)
    if to_status is None:
        return f"Unknown action “{action}”."
    if refund_pending(order):
        return (f"A refund of order {order.number} was requested and is waiting for Stripe's "
                "confirmation; nothing else can be done to it meanwhile.")
    if not lifecycle.can_transition(order, to_status):
        return str(InvalidTransition(order, to_status))
    if action == "dispatch" and lifecycle.dispatch_refusal(order):
        return lifecycle.dispatch_refusal(order)
    if action == "refund" and not order.stripe_payment_intent_id:
        return (f"Order {order.number} has no payment recorded by Stripe, so it cannot be "
                "refunded from here.")
    return None


def staff_actions(order):
    """The actions staff may take on the order now (names from STAFF_ACTIONS)."""
    return [action for action in STAFF_ACTIONS if staff_action_refusal(order, action) is None]


def check_staff_action(order_id, action):
    """The order's number if staff may take `action` now. Ends the read it makes.

    Raises LookupError for an unknown order and ActionRefused (with the reason) for an
    action its state does not allow.
    """
    order = db.session.get(Order, order_id)
    if order is None:
        raise LookupError(f"No order {order_id}")
    refusal, number = staff_action_refusal(order, action), order.number
    db.session.rollback()
    if refusal:
        raise ActionRefused(refusal)
    return number


def take_staff_action(order_id, action, actor, carrier="", tracking_number="", restock=False):
    """Do `action` (a STAFF_ACTIONS name) to the order for `actor`. Commits once.

    Returns the order's number. Raises LookupError, ActionRefused, or the lifecycle's
    OrderError (a race lost under the row lock, PaidMeanwhile) or PaymentError.
    """
    number = check_staff_action(order_id, action)
    if action == "dispatch":
        lifecycle.dispatch(order_id, carrier, tracking_number, actor=actor)
    elif action == "deliver":
        lifecycle.mark_delivered(order_id, actor=actor)
    elif action == "cancel":
        settlement.cancel(order_id, actor=actor, reason="Cancelled by staff.")
    else:
        refunds.request_refund(order_id, restock=restock, actor=actor)
    return number
