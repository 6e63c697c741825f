"""What staff do to an order in the admin: only the actions its state allows, dispatch
inline (htmx) with the email sent once by a real RQ worker, deliver, cancel, clearing a
flag, and refunds through the Stripe sandbox confirmed by its webhook. Finding orders:
test_admin_orders.py."""

import pytest
from sqlalchemy import func, select

from tests.factories import make_order, make_product
from tests.helpers import (
    GOOD_CARD, HX, check_out, fresh, log_in_new_user, page, pay, wait_until,
)
from webshop.models import AuditLog, Order, OutboxMessage, ProductVariant, Refund
from webshop.payments.sandbox import wait_for_deliveries


def audit(db, order_id, action):
    db.session.rollback()
    return db.session.scalars(select(AuditLog).where(
        AuditLog.entity_type == "order", AuditLog.entity_id == order_id,
        AuditLog.action == action)).all()


# --- what an order offers, and what it refuses -----------------------------------------------

def test_staff_clear_the_attention_flag_once_they_have_handled_it(staff, db):
    order = make_order(status="paid")
    order.needs_attention, order.attention_reason = True, "Payment arrived after cancellation"
    db.session.commit()

    response = staff.post(f"/admin/orders/{order.id}/resolve", data={"csrf_token": staff.token})

    assert response.status_code == 303
    assert 'class="attention"' not in page(staff.get(response.headers["Location"]))
    assert fresh(db, Order, order.id).needs_attention is False
    [entry] = audit(db, order.id, "order.attention_resolved")
    assert entry.before["attention_reason"] == "Payment arrived after cancellation"
    assert entry.actor == "staff@example.com"


def test_a_pending_order_offers_cancel_but_not_dispatch_or_refund(staff, db):
    body = page(staff.get(f"/admin/orders/{make_order(status='pending').id}"))
    assert "/cancel" in body
    assert "/dispatch" not in body and "/refund" not in body and "/deliver" not in body


def test_a_paid_order_offers_dispatch_and_a_refund_of_its_stripe_payment(staff, db):
    order = make_order(status="paid")
    body = page(staff.get(f"/admin/orders/{order.id}"))
    assert "/dispatch" in body and 'name="tracking_number"' in body
    assert "/cancel" not in body and "/deliver" not in body
    assert "/refund" not in body  # no Stripe payment on record to refund

    order.stripe_payment_intent_id = "pi_test_1"
    db.session.commit()
    assert "/refund" in page(staff.get(f"/admin/orders/{order.id}"))


def test_a_refund_on_its_way_to_stripe_blocks_another_refund_but_not_dispatch(staff, db):
    order = make_order(status="paid")
    order.stripe_payment_intent_id = "pi_test_1"
    order.refunds.append(Refund(amount=500, currency="EUR", status="requested", source="shop"))
    db.session.commit()

    body = page(staff.get(f"/admin/orders/{order.id}"))
    assert "Refund requested, waiting for Stripe" in body
    assert "/refund" not in body and "/dispatch" in body

    refused = staff.post(f"/admin/orders/{order.id}/refund", data={
        "csrf_token": staff.token, "amount": "1.00"})
    assert refused.status_code == 409 and "on its way to Stripe" in page(refused)
    assert [r.status for r in fresh(db, Order, order.id).refunds] == ["requested"]


def test_dispatch_inline_then_a_real_worker_sends_the_email_exactly_once(
        staff, db, smtp_sink, run_worker):
    order = make_order(status="paid")

    response = staff.post(f"/admin/orders/{order.id}/dispatch", headers=HX, data={
        "csrf_token": staff.token, "carrier": "DHL", "tracking_number": "JJD0099 1234"})

    body = page(response)
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="order-panel"') and "<html" not in body
    assert "Dispatched" in body and "JJD0099 1234" in body and "/dispatch" not in body
    assert 'hx-swap-oob="true"' in body  # the history follows, out of band
    stored = fresh(db, Order, order.id)
    assert (stored.status, stored.carrier, stored.tracking_number) == ("dispatched", "DHL", "JJD0099 1234")
    [entry] = audit(db, order.id, "order.dispatched")
    assert entry.actor == "staff@example.com" and entry.actor_id is not None
    assert entry.after["tracking_number"] == "JJD0099 1234"

    run_worker()
    [mail] = smtp_sink.wait_for(1)
    assert mail["To"] == order.email and "on its way" in mail["Subject"]
    assert "JJD0099 1234" in mail.get_body(("plain",)).get_content()

    again = staff.post(f"/admin/orders/{order.id}/dispatch", headers=HX, data={
        "csrf_token": staff.token, "carrier": "DHL", "tracking_number": "OTHER"})
    assert again.status_code == 409 and "cannot become dispatched" in page(again)
    run_worker()  # a burst worker returns once every job finished, its mail sent or not
    assert len(smtp_sink.messages) == 1
    assert fresh(db, Order, order.id).tracking_number == "JJD0099 1234"


def test_dispatch_without_htmx_redirects_with_a_flash(staff, db):
    order = make_order(status="paid")
    response = staff.post(f"/admin/orders/{order.id}/dispatch", data={
        "csrf_token": staff.token, "carrier": "GLS", "tracking_number": "GLS-1"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/orders/{order.id}"
    assert "is marked dispatched" in page(staff.get(response.headers["Location"]))


def test_dispatch_needs_carrier_and_tracking_number(staff, db):
    order = make_order(status="paid")
    response = staff.post(f"/admin/orders/{order.id}/dispatch", headers=HX, data={
        "csrf_token": staff.token, "carrier": "DHL", "tracking_number": " "})
    assert response.status_code == 422 and "Enter the tracking number." in page(response)
    assert fresh(db, Order, order.id).status == "paid"


@pytest.mark.parametrize("status, action", [
    ("pending", "dispatch"), ("pending", "deliver"), ("pending", "refund"),
    ("paid", "cancel"), ("paid", "deliver"), ("cancelled", "refund"), ("refunded", "dispatch"),
    ("delivered", "cancel"),
])
def test_a_disallowed_transition_posted_anyway_is_refused_and_changes_nothing(
        staff, db, status, action):
    order = make_order(status=status)
    order.stripe_payment_intent_id = "pi_test_1"
    db.session.commit()
    data = {"csrf_token": staff.token, "carrier": "DHL", "tracking_number": "1", "restock": "y"}

    response = staff.post(f"/admin/orders/{order.id}/{action}", data=data)
    inline = staff.post(f"/admin/orders/{order.id}/{action}", data=data, headers=HX)

    assert response.status_code == 409 and inline.status_code == 409
    assert f"Order {order.number} is {status}" in page(response)
    assert 'id="order-panel"' in page(inline) and "<html" not in page(inline)
    assert fresh(db, Order, order.id).status == status
    assert db.session.scalar(select(func.count(AuditLog.id))) == 0
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_deliver_and_cancel_go_through_the_domain(staff, db):
    dispatched = make_order(status="dispatched")
    pending = make_order(status="pending")

    assert staff.post(f"/admin/orders/{dispatched.id}/deliver",
                      data={"csrf_token": staff.token}).status_code == 303
    cancelled = staff.post(f"/admin/orders/{pending.id}/cancel",
                           data={"csrf_token": staff.token}, headers=HX)

    assert cancelled.status_code == 200 and "Cancelled" in page(cancelled)
    assert fresh(db, Order, dispatched.id).status == "delivered"
    assert fresh(db, Order, pending.id).status == "cancelled"
    assert audit(db, pending.id, "order.cancelled")[0].actor == "staff@example.com"


def test_unknown_orders_are_404(staff, db):
    assert staff.get("/admin/orders/999").status_code == 404
    assert staff.post("/admin/orders/999/cancel", data={"csrf_token": staff.token}).status_code == 404


def test_actions_need_the_csrf_token(staff, db):
    order = make_order(status="pending")
    assert staff.post(f"/admin/orders/{order.id}/cancel", data={}).status_code == 400
    assert fresh(db, Order, order.id).status == "pending"


# --- refunds through Stripe (the sandbox on the live server) ----------------------------------

def test_refund_goes_through_stripe_and_the_webhook_confirms_it(shop, app, db):
    mug = make_product("Mug", price=1250, stock=5)
    order, pay_path = check_out(shop, mug, 2)
    pay(shop, pay_path, GOOD_CARD)
    assert wait_until(lambda: fresh(db, Order, order.id).status == "paid")
    assert fresh(db, ProductVariant, mug.variants[0].id).stock == 3
    staff = app.test_client()
    token = log_in_new_user(staff)

    response = staff.post(f"/admin/orders/{order.id}/refund", headers=HX,
                          data={"csrf_token": token, "restock": "y"})  # all that is left

    assert response.status_code == 200, page(response)[:500]
    assert "€29.95 of order" in page(response) and "/refund" not in page(response)
    assert wait_until(lambda: fresh(db, Order, order.id).status == "refunded")
    refunded = fresh(db, Order, order.id)
    assert refunded.amount_refunded == 2995 and refunded.refunded_at
    [row] = refunded.refunds
    assert row.stripe_refund_id.startswith("re_") and row.status == "succeeded"
    assert fresh(db, ProductVariant, mug.variants[0].id).stock == 5
    [requested] = audit(db, order.id, "order.refund_requested")
    assert requested.actor == "staff@example.com" and requested.after["restock"] is True
    assert "Refunded in full (€29.95)." in page(staff.get(f"/admin/orders/{order.id}"))
    # Refunded: nothing is offered, and a second refund is refused.
    again = staff.post(f"/admin/orders/{order.id}/refund", data={"csrf_token": token})
    assert again.status_code == 409
    wait_for_deliveries(timeout=10)  # Stripe's webhooks change nothing
    assert fresh(db, ProductVariant, mug.variants[0].id).stock == 5
    assert len(fresh(db, Order, order.id).refunds) == 1
