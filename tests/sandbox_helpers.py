"""What the Stripe sandbox tests share: a webhook receiver of our own, the live sandbox
with fast retries, a stripe client pointed at it, and the shop's usual session; and the
sandbox in each way it runs (in-process, or a process of its own, as Stripe would be),
with a shopper paying over real HTTP."""
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest
import requests
import stripe
from sqlalchemy import func, select
from werkzeug.serving import make_server
from werkzeug.wrappers import Request

from tests.conftest import REDIS_TEST_URL, ROOT, free_port
from tests.helpers import CHECKOUT, add_to_cart, checkout, csrf_token, page, wait_until
from webshop.extensions import db as _db
from webshop.models import Order, StripeEvent
from webshop.payments.sandbox import wait_for_deliveries

GOOD_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0002"
SUCCESS_URL = "http://shop.test/orders/W-1001?session={CHECKOUT_SESSION_ID}"
CANCEL_URL = "http://shop.test/checkout/cancelled/W-1001"


class WebhookReceiver:
    """A tiny HTTP endpoint in a thread: records each delivery and answers with the
    statuses queued in `statuses` (then 200), after `delay` seconds."""

    def __init__(self):
        self.deliveries = []  # (headers, body)
        self.statuses = []
        self.delay = 0.0
        self._changed = threading.Condition()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}/hooks/stripe"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def _app(self, environ, start_response):
        request = Request(environ)
        body = request.get_data()
        time.sleep(self.delay)
        with self._changed:
            self.deliveries.append((dict(request.headers), body))
            status = self.statuses.pop(0) if self.statuses else 200
            self._changed.notify_all()
        start_response(f"{status} Answer", [("Content-Type", "text/plain")])
        return [b"received"]

    def wait_for(self, count, timeout=5.0):
        with self._changed:
            self._changed.wait_for(lambda: len(self.deliveries) >= count, timeout)
        return len(self.deliveries) >= count

    def events(self, event_type=None):
        events = [json.loads(body) for _, body in self.deliveries]
        return [e for e in events if event_type is None or e["type"] == event_type]

    def stop(self):
        self._server.shutdown()


@pytest.fixture
def receiver():
    receiver = WebhookReceiver()
    yield receiver
    receiver.stop()


SANDBOX_SETTINGS = ("BASE_URL", "STRIPE_SANDBOX_WEBHOOK_URL", "STRIPE_SANDBOX_RETRY_DELAYS")


@pytest.fixture
def sandbox(app, live_server, receiver):
    """The app's external URL is the live server; webhooks go to `receiver`, retried fast."""
    saved = {key: app.config[key] for key in SANDBOX_SETTINGS if key in app.config}
    app.config.update(BASE_URL=live_server, STRIPE_SANDBOX_WEBHOOK_URL=receiver.url,
                      STRIPE_SANDBOX_RETRY_DELAYS=(0.05, 0.05, 0.1, 0.1, 0.1))
    yield live_server
    assert wait_for_deliveries(10)
    for key in SANDBOX_SETTINGS:
        app.config.pop(key, None)
    app.config.update(saved)


@pytest.fixture
def stripe_client(sandbox):
    return stripe.StripeClient("sk_test_sandbox",
                               base_addresses={"api": sandbox + "/_sandbox/stripe"})


def session_params(**overrides):
    metadata = {"order_number": "W-1001"}
    params = {
        "mode": "payment",
        "line_items": [
            {"price_data": {"currency": "eur", "unit_amount": 1250,
                            "product_data": {"name": "Stoneware mug (Blue)"}}, "quantity": 2},
            {"price_data": {"currency": "eur", "unit_amount": 495,
                            "product_data": {"name": "Standard delivery"}}, "quantity": 1},
        ],
        "success_url": SUCCESS_URL,
        "cancel_url": CANCEL_URL,
        "customer_email": "ada@example.com",
        "client_reference_id": "W-1001",
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "expires_at": int(time.time()) + 3600,
    }
    params.update(overrides)
    return params


def pay_url(session):
    return "/_sandbox/stripe/pay/" + session.id


def pay(client, session, card, **fields):
    token = csrf_token(client, pay_url(session))
    return client.post(pay_url(session), data={"csrf_token": token, "card_number": card,
                                               "expiry": "12 / 34", "cvc": "123", **fields})


def verified(app, headers, body):
    """The delivery as the shop's endpoint will read it: signature checked by the library."""
    return stripe.Webhook.construct_event(body, headers["Stripe-Signature"],
                                          app.config["STRIPE_WEBHOOK_SECRET"])


# The sandbox in each way it runs ------------------------------------------------------------

_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class AppProcess:
    """This app under gunicorn (`wsgi:app`, one worker) in a process of its own, against
    the test database and Redis; BASE_URL is its own address. `url`, `output()`, `stop()`.
    `port` picks its port (e.g. one another process must know first); `gunicorn_args`
    come after the defaults, so they may override them (`--workers 2`)."""

    def __init__(self, database_url, workdir, gunicorn_args=(), port=None, **environment):
        port = port or free_port()
        self.url = f"http://127.0.0.1:{port}"
        env = {name: value for name, value in os.environ.items()
               if not name.startswith(("STRIPE_", "BASE_URL", "WEBSHOP_", "MAIL_"))}
        env.update(WEBSHOP_ENV="development", DATABASE_URL=database_url,
                   REDIS_URL=REDIS_TEST_URL, BASE_URL=self.url, PYTHONUNBUFFERED="1",
                   UPLOAD_DIR=str(workdir / "uploads"), MAIL_OUTBOX_DIR=str(workdir / "mail"),
                   **environment)
        self._log_path = workdir / "gunicorn.log"
        with open(self._log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--no-control-socket", "--workers", "1",
                 "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "5", *gunicorn_args,
                 "wsgi:app"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        if not wait_until(self._ready, timeout=60):
            self.stop()
            raise AssertionError(f"gunicorn did not come up at {self.url}:\n{self.output()}")

    def _ready(self):
        if self.process.poll() is not None:
            raise AssertionError(f"gunicorn exited:\n{self.output()}")
        try:
            with _direct.open(self.url + "/healthz", timeout=2) as response:
                return response.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def output(self):
        return self._log_path.read_text(errors="replace")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="session")
def sandbox_process(app, database_url, http_server, tmp_path_factory):
    """The Stripe sandbox served by a process of its own (this app under gunicorn, as a
    separate Stripe would be), delivering its webhooks over HTTP to the live server."""
    process = AppProcess(
        database_url, tmp_path_factory.mktemp("sandbox-process"),
        STRIPE_SANDBOX_WEBHOOK_URL=http_server + "/webhooks/stripe",
        STRIPE_WEBHOOK_SECRET=app.config["STRIPE_WEBHOOK_SECRET"],
    )
    yield process
    process.stop()


@pytest.fixture(params=["in-process", "separate-process"])
def payments_at(request, shop, settings):
    """The shop (`shop`, on the live server) with its Stripe sandbox run each way, as the
    URL its payment pages are served at:

    - in-process: served by this app and called without HTTP (`gunicorn wsgi:app` alone);
      its webhooks are handed to the app in-process;
    - separate-process: another process that the shop reaches over HTTP at
      STRIPE_API_BASE, delivering its webhooks over HTTP to the live server.
    """
    if request.param == "separate-process":
        sandbox = request.getfixturevalue("sandbox_process")
        settings(STRIPE_API_BASE=sandbox.url + "/_sandbox/stripe")
        yield sandbox.url
        return
    settings(STRIPE_API_BASE=None, STRIPE_SANDBOX_WEBHOOK_URL=None)
    yield request.getfixturevalue("live_server")
    assert wait_for_deliveries(10)


def place_order(shop, product, quantity=1):
    """Add to the cart and check out; returns (order, the payment page's full URL)."""
    add_to_cart(shop, shop.token, product.variants[0].id, quantity)
    response, _ = checkout(shop, shop.token)
    assert response.status_code == 303, page(response)[:500]
    url = response.headers["Location"]
    return order_paying_at(url), url


def order_paying_at(url):
    """The order whose payment page is at `url` (it stored the session's id)."""
    match = re.search(r"/_sandbox/stripe/pay/(cs_test_\w+)$", url)
    assert match, f"not a payment page: {url}"
    _db.session.expire_all()
    return _db.session.scalar(select(Order).where(
        Order.stripe_checkout_session_id == match.group(1)))


def check_out_over_http(browser, shop_url, product, quantity=1):
    """A shopper at `shop_url` (real HTTP) puts `product` in the cart and gets as far as
    the checkout form; returns a function that sends it (the answer is not followed)."""
    token = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"',
                      browser.get(shop_url + "/login", timeout=30).text).group(1)
    added = browser.post(shop_url + "/cart/items", timeout=30, allow_redirects=False, data={
        "csrf_token": token, "variant_id": product.variants[0].id, "quantity": quantity})
    assert added.status_code == 303, added.text[:500]
    form = browser.get(shop_url + "/checkout", timeout=30).text
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', form).group(1)
    data = {**CHECKOUT, "csrf_token": token, "idempotency_key": key}
    return lambda: browser.post(shop_url + "/checkout", data=data, timeout=60,
                                allow_redirects=False)


def new_browser():
    """A shopper's browser over real HTTP (requests, keeping cookies), straight to the
    server: no proxy from the environment."""
    browser = requests.Session()
    browser.trust_env = False
    return browser


def pay_at(url, card, browser=None):
    """Pay on the payment page at `url`, over HTTP, as a browser would (its cookie carries
    the form's CSRF token); the answer is not followed."""
    browser = browser or new_browser()
    form = browser.get(url, timeout=30)
    assert form.status_code == 200, form.text[:500]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.text).group(1)
    return browser.post(url, timeout=30, allow_redirects=False, data={
        "csrf_token": token, "card_number": card, "expiry": "12 / 34", "cvc": "123"})


def events_received(event_type):
    """How many events of this type the shop's webhook endpoint has taken in."""
    _db.session.expire_all()
    return _db.session.scalar(
        select(func.count()).select_from(StripeEvent).where(StripeEvent.type == event_type))
