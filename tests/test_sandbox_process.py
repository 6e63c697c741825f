"""Paying end to end with the Stripe sandbox run each way it is deployed: served by the
shop and called in-process, and as a process of its own that the shop reaches over HTTP
(STRIPE_API_BASE), as real Stripe would be. The same tests run in both (`payments_at`);
the shopper pays over real HTTP at whatever address the session gives, and the order
changes only when the signed webhook comes back."""
from datetime import timedelta

from tests.factories import make_product
from tests.helpers import DECLINED_CARD, GOOD_CARD, fresh, wait_until
from tests.sandbox_helpers import (  # noqa: F401 (fixtures by name)
    events_received, new_browser, pay_at, payments_at, place_order, sandbox_process,
)
from webshop import orders
from webshop.models import Order, ProductVariant, utcnow
from webshop.payments import gateway


def test_paying_with_4242_makes_the_order_paid_by_the_webhook(payments_at, shop, db):
    mug = make_product("Mug", price=1250, stock=5)
    order, url = place_order(shop, mug, 2)
    assert url.startswith(f"{payments_at}/_sandbox/stripe/pay/cs_test_")

    paid = pay_at(url, GOOD_CARD)

    assert paid.status_code == 303
    assert f"/orders/{order.number}?token=" in paid.headers["Location"]
    assert wait_until(lambda: fresh(db, Order, order.id).status == "paid")
    assert fresh(db, Order, order.id).stripe_payment_intent_id.startswith("pi_")
    assert fresh(db, ProductVariant, mug.variants[0].id).stock == 3


def test_a_declined_card_leaves_the_order_waiting_for_another_card(payments_at, shop, db):
    order, url = place_order(shop, make_product("Mug", stock=5))

    declined = pay_at(url, DECLINED_CARD)

    assert declined.status_code == 402 and "Your card was declined." in declined.text
    assert wait_until(lambda: events_received("payment_intent.payment_failed") == 1)
    assert fresh(db, Order, order.id).status == "pending"
    assert pay_at(url, GOOD_CARD).status_code == 303
    assert wait_until(lambda: fresh(db, Order, order.id).status == "paid")


def test_an_expired_session_releases_the_stock(payments_at, shop, db):
    mug = make_product("Mug", stock=5)
    order, url = place_order(shop, mug, 2)
    stored = fresh(db, Order, order.id)
    stored.reserved_until = utcnow() - timedelta(seconds=1)
    db.session.commit()

    orders.expire_reservations()  # the sweep, or the expired event it causes: either cancels

    assert wait_until(lambda: fresh(db, Order, order.id).status == "cancelled")
    assert fresh(db, ProductVariant, mug.variants[0].id).stock == 5
    session_id = stored.stripe_checkout_session_id
    assert gateway.client().v1.checkout.sessions.retrieve(session_id).status == "expired"
    assert wait_until(lambda: events_received("checkout.session.expired") == 1)
    assert new_browser().get(url, timeout=30).status_code == 410  # too late to pay
    assert fresh(db, ProductVariant, mug.variants[0].id).stock == 5  # released once


def test_a_refund_goes_through_the_sandbox_and_its_webhook(payments_at, shop, db):
    mug = make_product("Mug", stock=5)
    order, url = place_order(shop, mug, 2)
    assert pay_at(url, GOOD_CARD).status_code == 303
    assert wait_until(lambda: fresh(db, Order, order.id).status == "paid")

    refund = orders.request_refund(order.id, restock=True)

    assert refund.stripe_refund_id.startswith("re_")
    assert wait_until(lambda: fresh(db, Order, order.id).status == "refunded")
    assert wait_until(lambda: events_received("charge.refunded") == 1)
    assert fresh(db, ProductVariant, mug.variants[0].id).stock == 5
