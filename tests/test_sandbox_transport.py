"""The built-in sandbox never waits on its own server: the shop calls it in-process (a
stripe-library HTTP client handing each request to the app's WSGI callable), its
webhooks come back in-process too, and its payment page is wherever the shop is served,
with or without BASE_URL. Over the network (STRIPE_API_BASE), calls time out and are
retried as configured."""
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest
import stripe

from tests.factories import make_product
from tests.helpers import GOOD_CARD, csrf_token, fresh, pay, wait_until
from tests.sandbox_helpers import (
    AppProcess, check_out_over_http, new_browser, order_paying_at, pay_at, place_order,
)
from webshop.models import Order
from webshop.payments import gateway
from webshop.payments.sandbox import wait_for_deliveries


@pytest.fixture
def no_base_url(settings):
    """BASE_URL unset (as in development), the sandbox served by this app."""
    settings(BASE_URL=None, STRIPE_API_BASE=None, STRIPE_SANDBOX_WEBHOOK_URL=None)
    yield
    assert wait_for_deliveries(10)


def test_a_payment_needs_no_http_server_at_all(no_base_url, settings, client, db):
    """The shop is reached (by the test client) as 127.0.0.1:9, where nothing listens:
    creating the session, the payment page's address and the webhook that marks the order
    paid all work without a single HTTP connection."""
    settings(SERVER_NAME="127.0.0.1:9")
    client.token = csrf_token(client, "/login")
    order, url = place_order(client, make_product("Mug", stock=5))
    assert url.startswith("http://127.0.0.1:9/_sandbox/stripe/pay/cs_test_")

    assert pay(client, urlsplit(url).path, GOOD_CARD).status_code == 303

    assert wait_until(lambda: fresh(db, Order, order.id).status == "paid")


def test_a_shop_on_any_port_takes_a_payment_without_base_url(no_base_url, http_server, db):
    browser = new_browser()
    send_checkout = check_out_over_http(browser, http_server, make_product("Mug", stock=5))

    url = send_checkout().headers["Location"]

    assert url.startswith(f"{http_server}/_sandbox/stripe/pay/cs_test_")
    paid = pay_at(url, GOOD_CARD, browser)
    assert paid.status_code == 303 and paid.headers["Location"].startswith(http_server + "/orders/")
    order = order_paying_at(url)
    assert wait_until(lambda: fresh(db, Order, order.id).status == "paid")


@pytest.fixture
def single_worker_shop(app, database_url, tmp_path):
    """`gunicorn wsgi:app` with one synchronous worker: one request at a time, so a call
    back into its own server could never be answered. A regression would show as a
    failed checkout after STRIPE_TIMEOUT (short here), not as a hang."""
    shop = AppProcess(database_url, tmp_path, STRIPE_TIMEOUT="5",
                      STRIPE_MAX_NETWORK_RETRIES="0",
                      STRIPE_WEBHOOK_SECRET=app.config["STRIPE_WEBHOOK_SECRET"])
    yield shop
    shop.stop()


def test_a_single_worker_server_takes_two_checkouts_at_once_and_their_payments(
        single_worker_shop, db):
    shop_url = single_worker_shop.url
    browsers = [new_browser(), new_browser()]
    mug = make_product("Mug", stock=5)
    checkouts = [check_out_over_http(browser, shop_url, mug) for browser in browsers]
    start, answers = threading.Barrier(len(checkouts)), [None] * len(checkouts)

    def shopper(index):
        start.wait(timeout=30)
        answers[index] = checkouts[index]()

    threads = [threading.Thread(target=shopper, args=(i,)) for i in range(len(checkouts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)

    urls = [answer.headers.get("Location", "") for answer in answers]
    assert all(url.startswith(f"{shop_url}/_sandbox/stripe/pay/cs_test_") for url in urls), (
        urls, single_worker_shop.output()[-2000:])
    assert len(set(urls)) == 2
    for url, browser in zip(urls, browsers):
        assert pay_at(url, GOOD_CARD, browser).status_code == 303
    orders = [order_paying_at(url) for url in urls]
    assert wait_until(lambda: all(fresh(db, Order, o.id).status == "paid" for o in orders),
                      timeout=20), single_worker_shop.output()[-2000:]


def test_calls_over_the_network_time_out_and_are_retried_as_configured(app, settings):
    """A sandbox (or Stripe) that accepts the connection and never answers: each attempt
    gives up after STRIPE_TIMEOUT, and STRIPE_MAX_NETWORK_RETRIES more are made."""
    silent = socket.create_server(("127.0.0.1", 0))
    accepted = []

    def accept_and_say_nothing():
        while True:
            try:
                accepted.append(silent.accept()[0])
            except OSError:  # closed: the test is over
                return

    threading.Thread(target=accept_and_say_nothing, daemon=True).start()
    port = silent.getsockname()[1]
    settings(STRIPE_API_BASE=f"http://127.0.0.1:{port}", STRIPE_TIMEOUT=0.5,
             STRIPE_MAX_NETWORK_RETRIES=1)
    try:
        with app.app_context():
            started = time.monotonic()
            with pytest.raises(stripe.APIConnectionError):
                gateway.client().v1.checkout.sessions.retrieve("cs_test_silent")
            elapsed = time.monotonic() - started
        assert wait_until(lambda: len(accepted) == 2)
        assert 1.0 <= elapsed < 20  # two attempts of 0.5 s (and a pause), not 80 s each
    finally:
        silent.close()
        for conn in accepted:
            conn.close()
