"""Small helpers for tests that talk HTTP, as a shopper or as staff, and for reading what
the database holds after a request committed it in a session of its own."""
import re
import threading
import time

import pytest
from flask import current_app
from sqlalchemy import func, select

from tests.factories import PASSWORD, make_user
from webshop.extensions import db as _db
from webshop.models import Order, OutboxMessage, ProductVariant

HX = {"HX-Request": "true"}
CHECKOUT = {"email": "ada@example.com", "name": "Ada Shopper", "line1": "1 Main St",
            "city": "Berlin", "postal_code": "10115", "country": "DE",
            "shipping_method": "standard"}
GOOD_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0002"
FAILING_REFUND_CARD = "4000 0000 0000 5126"  # the sandbox fails its refunds a moment later

_CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


def csrf_token(client, url):
    """The CSRF token of the form on the page at `url` (the test app checks CSRF)."""
    response = client.get(url)
    match = _CSRF_INPUT.search(response.get_data(as_text=True))
    assert match, f"no csrf_token input on {url} (status {response.status_code})"
    return match.group(1)


def page(response):
    """What the browser would show: the response body as text."""
    return response.get_data(as_text=True)


# --- logging in -----------------------------------------------------------------------------

def login(client, email="shopper@example.com", password=PASSWORD, remember=False, next_url=None):
    """Fill in and send the login form on `client`; returns the response (303 when it worked)."""
    return _send_login(client, csrf_token(client, "/login"), email, password, remember, next_url)


def log_in_new_user(client, email="staff@example.com", role="staff"):
    """A new user with this role (staff, admin, customer), logged in on `client`;
    returns the session's CSRF token for the forms that follow (a login changes it)."""
    make_user(email, password=PASSWORD, role=role)
    token = csrf_token(client, "/login")
    response = _send_login(client, token, email, PASSWORD)
    assert response.status_code == 303, page(response)[:300]
    return csrf_token(client, "/account")


def _send_login(client, token, email, password, remember=False, next_url=None):
    data = {"csrf_token": token, "email": email, "password": password}
    if remember:
        data["remember"] = "y"
    return client.post("/login" + (f"?next={next_url}" if next_url else ""), data=data)


# --- shopping ------------------------------------------------------------------------------

def add_to_cart(client, token, variant_id, quantity=1, headers=None):
    return client.post("/cart/items", data={"csrf_token": token, "variant_id": variant_id,
                                            "quantity": quantity}, headers=headers or {})


def checkout(client, token, **overrides):
    """Send the checkout form (CHECKOUT, with overrides) for the cart on `client`;
    returns (the response, the form data sent)."""
    form = page(client.get("/checkout"))
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', form).group(1)
    data = {**CHECKOUT, "csrf_token": token, "idempotency_key": key, **overrides}
    return client.post("/checkout", data=data), data


def check_out(shop, product, quantity=1):
    """Add to the cart and place the order; returns (order, the payment page path)."""
    add_to_cart(shop, shop.token, product.variants[0].id, quantity)
    response, data = checkout(shop, shop.token)
    assert response.status_code == 303, page(response)[:500]
    location = response.headers["Location"]
    match = re.match(r"http://127\.0\.0\.1:\d+(/_sandbox/stripe/pay/cs_test_\w+)$", location)
    assert match, location
    session_id = match.group(1).rsplit("/", 1)[1]
    with current_app.app_context():
        order = _db.session.scalar(select(Order).where(
            Order.stripe_checkout_session_id == session_id))
    return order, match.group(1)


def pay(shop, pay_path, card):
    """Pay on the Stripe sandbox's payment page with this card number."""
    form = page(shop.get(pay_path))
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    return shop.post(pay_path, data={"csrf_token": token, "card_number": card,
                                     "expiry": "12 / 34", "cvc": "123"})


# --- what the database holds now -------------------------------------------------------------

def fresh(db, model, id_):
    """The row as the database holds it now, not as this session last saw it."""
    db.session.expire_all()
    return db.session.get(model, id_)


def stock_of(variant_id):
    """The variant's stock as the database holds it now."""
    return fresh(_db, ProductVariant, variant_id).stock


def wait_until(condition, timeout=10.0):
    """True as soon as `condition()` is (webhooks arrive on another thread), False at the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def handed_over():
    """True once every outbox message is on the queue: a webhook's thread commits the
    order and hands its emails to Redis a moment later, and a `worker.py --burst` started
    in between would find the queue empty."""
    waiting = _db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.enqueued_at.is_(None), OutboxMessage.completed_at.is_(None)))
    _db.session.rollback()
    return waiting == 0


def run_concurrently(app, count, work):
    """Run work(i) in `count` threads, each with its own app context and connection,
    released together at a barrier. Returns the list of results or exceptions."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def worker(i):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                results[i] = work(i)
            except Exception as exc:  # noqa: BLE001  the test inspects them
                _db.session.rollback()
                results[i] = exc
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.fixture(autouse=True)
def deliveries_done():
    """Imported by a test module: no sandbox webhook of one test lands in the next."""
    from webshop.payments.sandbox import wait_for_deliveries
    yield
    wait_for_deliveries(timeout=10)
