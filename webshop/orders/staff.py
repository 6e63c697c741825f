"""What staff may do to an order next, and doing it: the admin's actions panel.

The transition table decides, plus: nothing leads out of "refunded" (the table's way
back is for a refund that fails, not for staff), and refunds follow their own rules
(webshop.orders.refunds: a payment Stripe recorded, something left to refund, one
refund on its way at a time; partial refunds leave the status as it is). The lifecycle
functions re-check under the row lock; this is what the admin offers.
"""
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from webshop.extensions import db
from webshop.models import Order, Refund, User
from webshop.orders import lifecycle, refunds, settlement
from webshop.orders.errors import ActionRefused, InvalidTransition

# Staff actions, in the order the admin offers them, and the status each leads to.
STAFF_ACTIONS = {
    "dispatch": "dispatched", "deliver": "delivered", "cancel": "cancelled", "refund": "refunded",
}


def refund_pending(order):
    """A refund was asked of Stripe and is not settled yet (on its way, or pending there)."""
    return bool(refunds.in_flight(order)) or any(r.status == "pending" for r in order.refunds)


def staff_action_refusal(order, action):
    """Why staff may not take `action` on the order now (a message), or None if they may."""
    to_status = STAFF_ACTIONS.get(action)
    if to_status is None:
        return f"Unknown action “{action}”."
    if order.status == "refunded":
        return f"Order {order.number} is refunded; nothing more can be done to it."
    if action == "refund":
        return refunds.refund_refusal(order)
    if not lifecycle.can_transition(order, to_status):
        return str(InvalidTransition(order, to_status))
    if action == "dispatch" and lifecycle.dispatch_refusal(order):
        return lifecycle.dispatch_refusal(order)
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


def refund_order(order_id, actor, amount=None, lines=None, restock=False, reason=""):
    """Staff's refund of `amount`, or of the chosen `lines`, through Stripe (see
    orders.refunds.request_refund, which commits). Returns the Refund.

    Raises LookupError, ActionRefused, RefundInputError or PaymentError.
    """
    check_staff_action(order_id, "refund")
    return refunds.request_refund(order_id, amount=amount, lines=lines, restock=restock,
                                  reason=reason, actor=actor)


# --- what the admin shows about refunds ----------------------------------------------------

@dataclass(frozen=True)
class RefundLine:
    refund: Refund
    actor: str  # who asked: a staff email, "Stripe Dashboard", or "system"


@dataclass(frozen=True)
class RefundOverview:
    refunded: int  # pending and succeeded refunds
    remaining: int  # what may still be refunded (less refunds on their way)
    quantities: dict  # {order item id: units not refunded yet}
    refunds: list  # RefundLine, oldest first


def refund_overview(order):
    """The order's refunds for the admin page, with who asked for each (one query)."""
    rows = db.session.execute(
        select(Refund, User.email).outerjoin(User, User.id == Refund.actor_id)
        .where(Refund.order_id == order.id).order_by(Refund.created_at, Refund.id)).all()
    # The same rows are the order's refunds: the sums below need no second query.
    set_committed_value(order, "refunds", [refund for refund, _ in rows])
    lines = [RefundLine(refund, email or ("Stripe Dashboard" if refund.source == "stripe"
                                          else "system")) for refund, email in rows]
    return RefundOverview(order.amount_refunded, max(refunds.remaining(order), 0),
                          refunds.refundable_quantities(order), lines)
