"""Disputes (chargebacks): the customer's bank contests an order's payment.

Stripe tells the shop through charge.dispute.* events; the order records the dispute's
id, status and reason. Opening one flags the order for staff, and a flagged order is not
dispatched until staff resolve the flag (lifecycle.dispatch_refusal): sending goods whose
payment is being pulled back is how a store loses twice. Closing one records the
outcome; a lost dispute flags the order again, since the money is gone.
"""
from webshop.extensions import db
from webshop.models.audit import record
from webshop.money import format_money
from webshop.orders.lifecycle import flag

# Stripe's dispute statuses while the bank still waits for (or weighs) the evidence.
DISPUTE_OPEN = frozenset({
    "warning_needs_response", "warning_under_review", "needs_response", "under_review",
})
OUTCOMES = {
    "won": "Dispute won: decided in the shop's favour, the money stays.",
    "lost": "Dispute lost: the bank took the payment back.",
    "warning_closed": "Inquiry closed without becoming a chargeback.",
    "prevented": "Dispute prevented.",
}


def dispute_open(order):
    return order.dispute_status in DISPUTE_OPEN


def dispute_changed(order, dispute_id, status, reason, amount, currency):
    """Record what Stripe says about a dispute on the (locked) order. No commit.

    Idempotent by state: the same status again changes nothing."""
    if order.dispute_id == dispute_id and order.dispute_status == status:
        return f"dispute already {status}"
    before = {"dispute_id": order.dispute_id, "dispute_status": order.dispute_status}
    newly_open = status in DISPUTE_OPEN and not dispute_open(order)
    order.dispute_id, order.dispute_status = dispute_id, status
    order.dispute_reason = reason or order.dispute_reason
    money = format_money(amount, currency) if amount is not None and currency else "the payment"
    note = OUTCOMES.get(status, f"The dispute is {status.replace('_', ' ')}.")
    record(db.session, "order.dispute", "order", order.id, before=before,
           after={"dispute_id": dispute_id, "dispute_status": status, "reason": reason},
           note=note)
    if newly_open:
        flag(order, f"The customer's bank disputes {money} ({(reason or 'no reason given').replace('_', ' ')}). "
                    "Respond in the Stripe Dashboard; do not dispatch until this is resolved.")
    elif status == "lost":
        flag(order, f"Dispute lost: the bank took back {money}.")
    return f"dispute {status}"
