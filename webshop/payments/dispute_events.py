"""Stripe's events about disputes (chargebacks) on an order's payment."""
from webshop import orders
from webshop.payments.lookup import order_for_payment


def dispute_changed(dispute):
    """created, updated, closed: the order records the dispute's status; opening one
    flags the order and holds its dispatch, closing one records the outcome."""
    order = order_for_payment(dispute.get("payment_intent"))
    if order is None:
        return "ignored"
    return orders.dispute_changed(order, dispute["id"], dispute.get("status") or "",
                                  dispute.get("reason") or "", dispute.get("amount"),
                                  dispute.get("currency"))


HANDLERS = {
    "charge.dispute.created": dispute_changed,
    "charge.dispute.updated": dispute_changed,
    "charge.dispute.closed": dispute_changed,
    "charge.dispute.funds_withdrawn": dispute_changed,
    "charge.dispute.funds_reinstated": dispute_changed,
}
