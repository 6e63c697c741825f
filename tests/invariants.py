"""The promises checked after every fault, the HTTP concurrency test and the soak: issue
10's "nothing lost, nobody in". Stock plus what was sold equals the starting stock, no
order is half-written, every payment the (sandbox) Stripe took made its order paid, and
every paid order got exactly one confirmation email (and no other order one).
"""
from collections import Counter

from sqlalchemy import func, select

from tests.helpers import wait_until
from webshop.extensions import db as _db
from webshop.models import (
    AuditLog, Order, OrderItem, ProductVariant, SandboxObject, SentEmail,
)

CONFIRMATION_SUBJECT = "Your order {number} is confirmed"


HELD = ("pending", "paid", "dispatched", "delivered")  # statuses whose items left the shelf
PAID_OR_LATER = ("paid", "dispatched", "delivered")


def assert_invariants(starting_stock, smtp_messages=None):
    """Check the database (read fresh) against the promises; `starting_stock` maps
    variant id -> its stock before the test (plus any staff adjustments it applied)."""
    _db.session.expire_all()
    orders = _db.session.scalars(select(Order).order_by(Order.id)).all()

    # Stock plus what is sold or held equals the starting stock, variant by variant.
    held = dict(_db.session.execute(
        select(OrderItem.variant_id, func.coalesce(func.sum(OrderItem.quantity), 0))
        .join(Order, Order.id == OrderItem.order_id)
        .where(Order.status.in_(HELD)).group_by(OrderItem.variant_id)).all())
    for variant_id, start in starting_stock.items():
        stock = _db.session.get(ProductVariant, variant_id).stock
        assert stock >= 0
        assert stock + held.get(variant_id, 0) == start, (
            f"variant {variant_id}: stock {stock} + held {held.get(variant_id, 0)} "
            f"!= starting stock {start}")

    placed = set(_db.session.scalars(select(AuditLog.entity_id).where(
        AuditLog.action == "order.placed")))
    for order in orders:
        # No order half-written: its lines, totals and record of each step are all there.
        assert order.items, f"{order.number} has no lines"
        assert order.subtotal == sum(item.line_total for item in order.items), order.number
        assert order.total == order.subtotal + order.shipping, order.number
        assert order.id in placed, f"{order.number} has no order.placed audit entry"
        if order.status in PAID_OR_LATER:
            assert order.paid_at and order.stripe_payment_intent_id, order.number
        if order.status == "cancelled":
            assert order.cancelled_at, order.number
        assert not order.needs_attention, f"{order.number}: {order.attention_reason}"

    # Every payment the sandbox took made its order paid (no webhook was lost).
    paid_sessions = {row.id for row in _db.session.scalars(
        select(SandboxObject).where(SandboxObject.object == "checkout.session"))
        if row.data.get("payment_status") == "paid"}
    paid_orders = {o.stripe_checkout_session_id for o in orders if o.status in PAID_OR_LATER}
    assert paid_sessions == paid_orders, (
        f"paid at Stripe but not in the shop: {paid_sessions - paid_orders}; "
        f"paid in the shop, not at Stripe: {paid_orders - paid_sessions}")

    if smtp_messages is not None:
        subjects = Counter(str(message["Subject"]) for message in smtp_messages)
        for order in orders:
            expected = 1 if order.status in PAID_OR_LATER else 0
            sent = subjects[CONFIRMATION_SUBJECT.format(number=order.number)]
            assert sent == expected, f"{order.number} ({order.status}): {sent} confirmations"
    _db.session.rollback()
    return Counter(order.status for order in orders)


def payments_settled():
    """True once every payment the sandbox took has reached its order (webhooks that
    failed are retried: callers wait for this)."""
    return not unsettled_payments()


def unsettled_payments():
    """What payments_settled waits for, for the failure message: each session paid at the
    sandbox whose order is not paid (with that order's status and flag), and each paid
    order whose session the sandbox does not show as paid."""
    _db.session.expire_all()
    paid = {row.id for row in _db.session.scalars(
        select(SandboxObject).where(SandboxObject.object == "checkout.session"))
        if row.data.get("payment_status") == "paid"}
    orders = {o.stripe_checkout_session_id: o for o in _db.session.scalars(
        select(Order).where(Order.stripe_checkout_session_id.is_not(None)))}
    paid_orders = {session for session, o in orders.items() if o.status in PAID_OR_LATER}
    unsettled = [f"{session} paid, its order " + (
        f"{orders[session].number} is {orders[session].status}"
        f" (flag: {orders[session].attention_reason or 'none'})" if session in orders
        else "unknown") for session in sorted(paid - paid_orders)]
    unsettled += [f"{orders[session].number} is paid, its session {session} is not"
                  for session in sorted(paid_orders - paid)]
    _db.session.rollback()
    return unsettled


def wait_for_confirmations(timeout=60):
    """Until every paid order's confirmation email was sent (the worker recorded it)."""
    def done():
        _db.session.expire_all()
        missing = _db.session.scalar(select(func.count()).select_from(Order).where(
            Order.status.in_(PAID_OR_LATER), ~select(SentEmail.id).where(
                SentEmail.dedupe_key == func.concat("order_confirmation:", Order.id)).exists()))
        _db.session.rollback()
        return missing == 0
    return wait_until(done, timeout=timeout)
