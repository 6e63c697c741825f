"""Settling orders from Stripe's own record: the shopper's return from the payment
page, the reconciliation of payments whose webhook never came, one Checkout Session
per order, keys bound to the shopper who made them, and currencies by Stripe's table."""
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from tests.factories import make_product
from tests.helpers import (
    CHECKOUT, GOOD_CARD, add_to_cart, check_out, checkout, csrf_token, fresh, pay, page,
    run_concurrently, stock_of,
)
from webshop import cart as carts
from webshop import orders
from webshop.models import Order, utcnow
from webshop.payments import gateway
from webshop.payments.sandbox import wait_for_deliveries

NOWHERE = "http://127.0.0.1:9/nowhere"


@pytest.fixture
def no_webhooks(shop, settings):
    """Stripe's webhooks cannot reach the shop (endpoint down, wrong secret...)."""
    settings(STRIPE_SANDBOX_WEBHOOK_URL=NOWHERE)
    yield
    wait_for_deliveries(timeout=5)


def landing_path(response):
    landing = urlsplit(response.headers["Location"])
    return f"{landing.path}?{landing.query}"


def test_back_from_the_payment_page_a_paid_order_shows_paid_at_once(shop, db, no_webhooks):
    order, pay_path = check_out(shop, make_product("Mug", stock=5))
    back = landing_path(pay(shop, pay_path, GOOD_CARD))
    assert "session_id=cs_test_" in back

    settled = shop.get(back)

    assert settled.status_code == 303 and "session_id" not in settled.headers["Location"]
    assert fresh(db, Order, order.id).status == "paid"
    assert fresh(db, Order, order.id).stripe_payment_intent_id.startswith("pi_")
    assert "Paid" in page(shop.get(landing_path(settled)))


def test_a_session_id_that_is_not_the_orders_changes_nothing(shop, db, no_webhooks):
    order, pay_path = check_out(shop, make_product("Mug", stock=5))
    other, other_pay = check_out(shop, make_product("Cup", stock=5))
    back = landing_path(pay(shop, other_pay, GOOD_CARD))  # pays the other order
    forged = back.replace(other.number, order.number).split("?")[0]
    token = orders.access_token(order)

    shop.get(f"{forged}?token={token}&session_id={other.stripe_checkout_session_id}")

    assert fresh(db, Order, order.id).status == "pending"


def test_a_pending_page_refreshes_itself_without_javascript(shop, db):
    order, _ = check_out(shop, make_product("Mug", stock=5))
    html = page(shop.get(f"/orders/{order.number}?token={orders.access_token(order)}"))
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in html
    assert 'hx-trigger="every 3s"' in html


def run_out(db, order):
    stored = fresh(db, Order, order.id)
    stored.reserved_until = utcnow() - timedelta(seconds=1)
    db.session.commit()


def test_reconciliation_marks_paid_an_order_whose_webhook_never_came(shop, app, db, no_webhooks):
    mug = make_product("Mug", stock=5)
    order, pay_path = check_out(shop, mug, 2)
    pay(shop, pay_path, GOOD_CARD)  # paid at Stripe; the shopper closed the tab
    run_out(db, order)

    result = app.test_cli_runner().invoke(args=["reconcile-payments"])

    assert result.exit_code == 0 and "Cancelled 0 orders" in result.output
    assert fresh(db, Order, order.id).status == "paid"
    assert stock_of(mug.variants[0].id) == 3  # the stock stays with the paid order


def test_reconciliation_expires_an_open_session_and_cancels_its_order(shop, app, db, no_webhooks):
    mug = make_product("Mug", stock=5)
    order, pay_path = check_out(shop, mug, 2)
    run_out(db, order)

    result = app.test_cli_runner().invoke(args=["reconcile-payments"])

    assert "Cancelled 1 order " in result.output
    assert fresh(db, Order, order.id).status == "cancelled" and stock_of(mug.variants[0].id) == 5
    session = gateway.client().v1.checkout.sessions.retrieve(order.stripe_checkout_session_id)
    assert session.status == "expired"
    assert shop.get(pay_path).status_code == 410  # no money can be taken now


def test_reconciliation_cancels_an_order_whose_session_expired_at_stripe(shop, db, no_webhooks):
    mug = make_product("Mug", stock=5)
    order, _ = check_out(shop, mug)
    gateway.client().v1.checkout.sessions.expire(order.stripe_checkout_session_id)
    run_out(db, order)

    assert orders.expire_reservations() == 1
    assert fresh(db, Order, order.id).status == "cancelled" and stock_of(mug.variants[0].id) == 5


def test_a_double_click_never_makes_two_payment_pages(shop, app, db):
    mug = make_product("Mug", stock=5)
    placed = orders.place_order(carts.add_item(mug.variants[0].id, 1, token="tok"),
                                "ada@example.com", orders.ShippingAddress(
                                    name="Ada", line1="1 Main St", city="Berlin",
                                    postal_code="10115", country="DE"), "standard", "k1")
    order_id = placed.id  # read here: the threads must not load this session's objects
    urls = run_concurrently(app, 4, lambda i: gateway.start_checkout(
        order_id, "http://shop.test/ok", "http://shop.test/cancel"))

    assert all(isinstance(url, str) for url in urls), urls
    assert len(set(urls)) == 1
    assert fresh(db, Order, order_id).stripe_checkout_session_id in urls[0]


def test_a_copied_checkout_key_never_shows_another_shoppers_order(shop, app, db, live_server):
    mug = make_product("Mug", stock=5)
    add_to_cart(shop, shop.token, mug.variants[0].id)
    first, sent = checkout(shop, shop.token)
    assert first.status_code == 303

    other = app.test_client()
    token = csrf_token(other, "/login")
    add_to_cart(other, token, mug.variants[0].id)
    form = page(other.get("/checkout"))
    assert re.search(r'name="idempotency_key"', form)
    copied = other.post("/checkout", data={**CHECKOUT, "csrf_token": token,
                                           "idempotency_key": sent["idempotency_key"]})

    assert copied.status_code == 303
    assert copied.headers["Location"] != first.headers["Location"]
    assert len(db.session.scalars(select(Order)).all()) == 2


@pytest.mark.parametrize("currency, price, shown", [
    ("EUR", 1250, "€12.50"), ("JPY", 1250, "¥1,250"), ("HUF", 125000, "HUF1,250"),  # CLDR: no decimals for forints
])
def test_stripe_is_sent_the_amounts_in_its_own_minor_units(shop, db, settings, currency, price,
                                                           shown):
    settings(SHOP_CURRENCY=currency)
    mug = make_product("Mug", price=price, stock=5)
    mug.variants[0].currency = currency
    db.session.commit()
    order, _ = check_out(shop, mug, 2)

    session = gateway.client().v1.checkout.sessions.retrieve(
        order.stripe_checkout_session_id, params={"expand": ["line_items"]})

    assert session.currency == currency.lower() and session.amount_total == order.total
    assert session.line_items.data[0].price.unit_amount == price
    assert shown in page(shop.get(f"/orders/{order.number}?token={orders.access_token(order)}"))
