"""Paying through Stripe Checkout, end to end: the real stripe library against the built-in
sandbox on the live server, the hosted page, and the signed webhooks coming back."""
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from tests.factories import make_product
from tests.helpers import DECLINED_CARD, GOOD_CARD, check_out, fresh, pay, wait_until
from tests.sandbox_helpers import receiver  # noqa: F401  (a fixture)
from webshop import orders
from webshop.models import AuditLog, Order, OutboxMessage, ProductVariant, utcnow
from webshop.payments import gateway
from webshop.payments.sandbox import sign_payload


def test_a_full_purchase_is_fulfilled_by_the_webhook(shop, db, smtp_sink, run_worker):
    mug = make_product("Mug", price=1250, stock=5)
    order, pay_path = check_out(shop, mug, 2)
    assert fresh(db, Order, order.id).stripe_checkout_session_id in pay_path

    paid = pay(shop, pay_path, GOOD_CARD)

    assert paid.status_code == 303
    assert re.search(rf"/orders/{order.number}\?token=", paid.headers["Location"])
    assert wait_until(lambda: fresh(db, Order, order.id).status == "paid")
    final = fresh(db, Order, order.id)
    assert final.stripe_payment_intent_id.startswith("pi_") and final.paid_at
    assert fresh(db, ProductVariant, mug.variants[0].id).stock == 3  # stays reserved
    assert db.session.scalar(select(OutboxMessage.args).where(
        OutboxMessage.job == "webshop.notifications.send_order_email")) == [
        "order_confirmation", order.id]

    run_worker()  # a real RQ worker takes the job from Redis and sends the mail

    assert len(smtp_sink.messages) == 1
    mail = smtp_sink.messages[0]
    assert mail["To"] == "ada@example.com" and order.number in mail["Subject"]
    body = mail.get_body(("plain",)).get_content()
    assert "Mug" in body and "€29.95" in body and f"/orders/{order.number}?token=" in body


def test_a_declined_card_leaves_the_order_waiting_for_another_try(shop, db):
    order, pay_path = check_out(shop, make_product("Mug", stock=5))

    declined = pay(shop, pay_path, DECLINED_CARD)

    assert declined.status_code == 402 and "Your card was declined." in declined.get_data(as_text=True)
    assert wait_until(lambda: db.session.scalar(select(AuditLog.note).where(
        AuditLog.action == "order.payment_failed", AuditLog.entity_id == order.id)) is not None)
    assert fresh(db, Order, order.id).status == "pending"
    assert pay(shop, pay_path, GOOD_CARD).status_code == 303  # a second card works
    assert wait_until(lambda: fresh(db, Order, order.id).status == "paid")


def test_an_expired_reservation_expires_the_session_and_releases_stock(shop, app, db, settings,
                                                                       receiver):
    """The sweep expires the session and cancels the order; the session's own
    checkout.session.expired event (held back here, then delivered) changes nothing."""
    settings(STRIPE_SANDBOX_WEBHOOK_URL=receiver.url)
    mug = make_product("Mug", stock=5)
    order, pay_path = check_out(shop, mug, 2)
    stored = fresh(db, Order, order.id)
    stored.reserved_until = utcnow() - timedelta(seconds=1)
    db.session.commit()

    assert orders.expire_reservations() == 1

    assert fresh(db, Order, order.id).status == "cancelled"
    assert fresh(db, ProductVariant, mug.variants[0].id).stock == 5
    session = gateway.client().v1.checkout.sessions.retrieve(stored.stripe_checkout_session_id)
    assert session.status == "expired"
    assert shop.get(pay_path).status_code == 410  # too late to pay
    assert receiver.wait_for(1) and receiver.events()[0]["type"] == "checkout.session.expired"
    body = receiver.deliveries[0][1]
    late = shop.post("/webhooks/stripe", data=body, content_type="application/json", headers={
        "Stripe-Signature": sign_payload(body, app.config["STRIPE_WEBHOOK_SECRET"])})
    assert late.status_code == 200 and late.get_json()["outcome"] == "already cancelled"
    assert fresh(db, ProductVariant, mug.variants[0].id).stock == 5  # released once


def test_cancel_on_the_payment_page_returns_to_the_cart_intact(shop, db):
    mug = make_product("Mug", stock=5)
    order, pay_path = check_out(shop, mug, 2)
    page = shop.get(pay_path).get_data(as_text=True)
    cancel = urlsplit(re.search(r'<a href="([^"]+)">Cancel', page).group(1).replace("&amp;", "&"))
    cancel = f"{cancel.path}?{cancel.query}"

    asked = shop.get(cancel).get_data(as_text=True)  # a GET changes nothing: it asks
    assert fresh(db, Order, order.id).status == "pending"
    confirm = re.search(r'<form action="([^"]+)" method="post"[^>]*>\s*<input type="hidden" '
                        r'name="csrf_token" value="([^"]+)">\s*<input type="hidden" name="token" '
                        r'value="([^"]*)">\s*<button type="submit" class="button secondary">Cancel',
                        asked)
    back = shop.post(confirm.group(1), data={"csrf_token": confirm.group(2),
                                             "token": confirm.group(3)})

    assert back.status_code == 303 and back.headers["Location"].endswith("/cart"), back.headers["Location"]
    cart = shop.get("/cart").get_data(as_text=True)
    assert "Payment cancelled" in cart and 'value="2"' in cart
    assert fresh(db, Order, order.id).status == "cancelled"
    assert fresh(db, ProductVariant, mug.variants[0].id).stock == 5
    assert shop.get(cancel).status_code == 303  # a second visit shows the order
    assert 'value="2"' in shop.get("/cart").get_data(as_text=True)


def test_a_refund_goes_through_stripe_and_the_webhook_confirms_it(shop, db):
    mug = make_product("Mug", stock=5)
    order, pay_path = check_out(shop, mug, 2)
    pay(shop, pay_path, GOOD_CARD)
    assert wait_until(lambda: fresh(db, Order, order.id).status == "paid")

    requested = orders.request_refund(order.id, restock=True)  # all of it, back in stock

    assert requested.stripe_refund_id.startswith("re_") and requested.amount == order.total
    assert wait_until(lambda: fresh(db, Order, order.id).status == "refunded")
    assert fresh(db, ProductVariant, mug.variants[0].id).stock == 5
    with pytest.raises(orders.ActionRefused):
        orders.request_refund(order.id)


def test_a_pending_order_cannot_be_refunded(shop, db):
    order, _ = check_out(shop, make_product("Mug", stock=5))
    with pytest.raises(orders.ActionRefused):
        orders.request_refund(order.id)
