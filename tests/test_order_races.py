"""Races over orders and stock, on both databases the shop runs on.

PostgreSQL queues concurrent changes to an order on its row lock (SELECT ... FOR
UPDATE). SQLite, the embedded default (`make run`), ignores FOR UPDATE: there the only
guard is the compare-and-set in orders.lifecycle.transition (`UPDATE ... WHERE id = :id
AND status = :expected`). Each test here runs on both (the `any_db` fixture), so two
callers can never both apply a transition, and stock is released exactly once, on
either database.

The issue's report (the embedded default): an expired reservation was cancelled twice,
by the expiry sweep and by the sandbox's checkout.session.expired event, and its stock
put back twice (a teapot went 2 -> 0 -> 4). It is reproduced here with the real
sandbox, whose expired event is handed to the shop in-process at once, run after run.
"""
import json
import uuid
from datetime import timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from tests.conftest import FreshContextClient
from tests.factories import make_product
from tests.helpers import add_to_cart, checkout, csrf_token, page, run_concurrently, stock_of
from webshop import cart as carts
from webshop import orders
from webshop.extensions import db as _db
from webshop.models import AuditLog, Order, OutboxMessage, SandboxObject, StripeEvent, utcnow
from webshop.orders import settlement
from webshop.payments import gateway
from webshop.payments.sandbox import sign_payload, wait_for_deliveries
from webshop.payments.sandbox.transport import call_app

ADDRESS = orders.ShippingAddress(name="Ada Shopper", line1="1 Main St", city="Berlin",
                                 postal_code="10115", country="DE")
BACK = "http://localhost/orders/back"


@pytest.fixture
def sqlite_db(sqlite_app, tmp_path):
    """The embedded default's database (`make run`: SQLite in a file), migrated, in an
    application context of its own; mail goes to files under tmp_path and the Stripe
    sandbox (served in-process, as there) retries its webhooks fast; as in the testing
    settings, one shopper may hold any number of unpaid orders. Yields `db`."""
    sqlite_app.config.update(MAIL_OUTBOX_DIR=str(tmp_path / "mail"), MAX_PENDING_ORDERS=0,
                             STRIPE_SANDBOX_RETRY_DELAYS=(0.05, 0.1, 0.2, 0.4))
    with sqlite_app.app_context():
        upgrade()
        yield _db
        _db.session.remove()


@pytest.fixture(params=["postgresql", "sqlite"])
def any_db(request, app):
    """Runs the test on each database: PostgreSQL (the `app` of the run, emptied by
    clean_state) and SQLite (the embedded default, a fresh file). Returns that app,
    with its application context pushed."""
    if request.param == "sqlite":
        request.getfixturevalue("sqlite_db")
        yield request.getfixturevalue("sqlite_app")
        return
    with app.app_context():
        yield app
        _db.session.remove()


def place(variant_id, quantity=1, token=None):
    cart = carts.add_item(variant_id, quantity, token=token or uuid.uuid4().hex)
    return orders.place_order(cart, "ada@example.com", ADDRESS, "standard", uuid.uuid4().hex)


def audited(action, order_id):
    return _db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == action, AuditLog.entity_id == order_id))


def emails_queued(kind, order_id):
    return sum(1 for args in _db.session.scalars(select(OutboxMessage.args).where(
        OutboxMessage.job == "webshop.notifications.send_order_email"))
        if args == [kind, order_id])


def status_of(order_id):
    _db.session.expire_all()
    return _db.session.get(Order, order_id).status


# --- on both databases ------------------------------------------------------------------------

def test_the_last_units_go_to_exactly_as_many_buyers(any_db):
    mug = make_product("Mug", stock=5)
    variant_id = mug.variants[0].id
    for i in range(20):
        carts.add_item(variant_id, 1, token=f"buyer-{i}")

    results = run_concurrently(any_db, 20, lambda i: orders.place_order(
        carts.find_cart(token=f"buyer-{i}"), "ada@example.com", ADDRESS, "standard",
        uuid.uuid4().hex).number)

    assert sum(isinstance(r, str) for r in results) == 5, results
    assert sum(isinstance(r, orders.OutOfStock) for r in results) == 15, results
    assert stock_of(variant_id) == 0
    assert _db.session.scalar(select(func.count()).select_from(Order)) == 5


@pytest.mark.parametrize("to_status", ["paid", "cancelled"])
def test_a_transition_many_callers_apply_at_once_happens_once(any_db, to_status):
    mug = make_product("Mug", stock=5)
    order = place(mug.variants[0].id, 2)
    order_id = order.id  # (the threads must not touch this session's objects)
    apply = {"paid": lambda i: orders.mark_paid(order_id, f"pi_{i}").status,
             "cancelled": lambda i: orders.cancel(order_id).status}[to_status]

    results = run_concurrently(any_db, 8, apply)

    assert results.count(to_status) == 1, results
    assert all(isinstance(r, orders.InvalidTransition) for r in results if r != to_status), results
    assert status_of(order.id) == to_status
    assert audited(f"order.{to_status}", order.id) == 1
    assert stock_of(mug.variants[0].id) == (3 if to_status == "paid" else 5)
    email = {"paid": "order_confirmation", "cancelled": "order_cancelled"}[to_status]
    assert emails_queued(email, order.id) == 1


def test_paying_and_cancelling_at_once_applies_exactly_one(any_db):
    mug = make_product("Mug", stock=5)
    order = place(mug.variants[0].id, 2)
    order_id = order.id

    results = run_concurrently(any_db, 8, lambda i: (
        orders.mark_paid(order_id, "pi_1") if i % 2 else orders.cancel(order_id)).status)

    winner = status_of(order.id)
    assert results.count(winner) == 1 and len([r for r in results if isinstance(r, str)]) == 1
    assert audited("order.paid", order.id) + audited("order.cancelled", order.id) == 1
    assert stock_of(mug.variants[0].id) == (3 if winner == "paid" else 5)


def test_the_expiry_sweep_run_by_several_processes_releases_stock_once(any_db):
    mug = make_product("Mug", stock=10)
    old = [place(mug.variants[0].id, 2) for _ in range(3)]
    fresh = place(mug.variants[0].id, 1)
    for order in old:
        _db.session.get(Order, order.id).reserved_until = utcnow() - timedelta(minutes=1)
    _db.session.commit()

    results = run_concurrently(any_db, 3, lambda i: orders.expire_reservations())

    assert sum(results) == 3, results
    assert stock_of(mug.variants[0].id) == 9
    assert [status_of(o.id) for o in old] == ["cancelled"] * 3
    assert status_of(fresh.id) == "pending"
    assert sum(audited("order.cancelled", o.id) for o in old) == 3


def test_an_expired_reservation_is_released_once_by_the_sweep_and_its_expired_event(any_db):
    """The issue's teapot, ten times over, with the real sandbox: the sweep expires the
    session, the session's checkout.session.expired event reaches the shop at once
    (in-process), and both try to cancel the order. One does; the stock comes back once."""
    for run in range(10):
        teapot = make_product(f"Teapot {run}", stock=2)
        variant_id = teapot.variants[0].id
        order = place(variant_id, 2)
        gateway.start_checkout(order.id, BACK, BACK)
        stored = _db.session.get(Order, order.id)
        session_id = stored.stripe_checkout_session_id
        stored.reserved_until = utcnow() - timedelta(seconds=1)
        _db.session.commit()
        assert stock_of(variant_id) == 0

        orders.expire_reservations()

        assert wait_for_deliveries(10)
        assert stock_of(variant_id) == 2, f"run {run}: stock put back twice"
        assert status_of(order.id) == "cancelled"
        assert audited("order.cancelled", order.id) == 1
        assert emails_queued("order_cancelled", order.id) == 1
        assert expired_events_taken(session_id) == 1, f"run {run}: the event never arrived"


def expired_events_taken(session_id):
    """How many checkout.session.expired events for the session the shop took in."""
    taken = set(_db.session.scalars(select(StripeEvent.id).where(
        StripeEvent.type == "checkout.session.expired")))
    return sum(1 for event in sandbox_events("checkout.session.expired", session_id)
               if event["id"] in taken)


def sandbox_events(event_type, session_id):
    _db.session.expire_all()
    return [row.data for row in _db.session.scalars(
        select(SandboxObject).where(SandboxObject.object == "event"))
        if row.data["type"] == event_type and row.data["data"]["object"]["id"] == session_id]


# --- the moment SQLite leaves open ------------------------------------------------------------
#
# On SQLite nothing holds the order between the moment cancel() or return_to_cart() reads
# it and the moment they change it; the expired event (handed over in-process as soon as
# the session is expired) can cancel it in between. These tests deliver the real event at
# exactly that moment, so the outcome does not depend on thread scheduling.

@pytest.fixture
def embedded(sqlite_app, sqlite_db):
    """The embedded default, its sandbox's own webhooks sent nowhere (refused at once),
    so each test delivers the expired event itself, at the moment it chooses. (The app
    is this test's own: its settings need no restoring.)"""
    sqlite_app.config.update(STRIPE_SANDBOX_WEBHOOK_URL="http://127.0.0.1:9/webhooks/stripe",
                             STRIPE_SANDBOX_RETRY_DELAYS=())
    sqlite_app.test_client_class = FreshContextClient
    yield sqlite_app
    assert wait_for_deliveries(10)


def deliver_expired_event(app, session_id):
    """Hand the session's checkout.session.expired event to the shop's endpoint (in a
    request and database session of its own), as the sandbox does; returns the status."""
    with app.app_context():  # the caller's session must not notice anything
        (event,) = sandbox_events("checkout.session.expired", session_id)
        _db.session.remove()
    payload = json.dumps(event).encode()
    _, status, _ = call_app(app, "POST", "http://localhost/webhooks/stripe", {
        "Content-Type": "application/json",
        "Stripe-Signature": sign_payload(payload, app.config["STRIPE_WEBHOOK_SECRET"]),
    }, payload)
    return status


def after_first_read(monkeypatch, competitor):
    """Run `competitor()` once, right after settlement's first read of an order."""
    read = settlement.locked
    answers = []

    def reading_then_competing(order_id):
        order = read(order_id)
        if not answers:
            answers.append(competitor())
        return order
    monkeypatch.setattr(settlement, "locked", reading_then_competing)
    return answers


def reservation_with_session(app, stock=2):
    teapot = make_product("Teapot", stock=stock)
    order = place(teapot.variants[0].id, stock)
    gateway.start_checkout(order.id, BACK, BACK)
    stored = _db.session.get(Order, order.id)
    stored.reserved_until = utcnow() - timedelta(seconds=1)
    session_id = stored.stripe_checkout_session_id
    _db.session.commit()
    return order.id, teapot.variants[0].id, session_id


def test_the_sweep_counts_an_order_its_expired_event_cancelled_in_between(embedded, monkeypatch):
    order_id, variant_id, session_id = reservation_with_session(embedded)
    webhook = after_first_read(monkeypatch, lambda: deliver_expired_event(embedded, session_id))

    cancelled = orders.expire_reservations()

    assert webhook == [200] and status_of(order_id) == "cancelled"
    assert stock_of(variant_id) == 2 and audited("order.cancelled", order_id) == 1
    assert cancelled == 1


def test_staff_cancelling_an_order_its_expired_event_cancelled_in_between_succeed(
        embedded, monkeypatch):
    order_id, variant_id, session_id = reservation_with_session(embedded)
    webhook = after_first_read(monkeypatch, lambda: deliver_expired_event(embedded, session_id))

    order = orders.cancel(order_id, reason="customer called")

    assert webhook == [200] and order.status == "cancelled"
    assert stock_of(variant_id) == 2 and audited("order.cancelled", order_id) == 1


def test_cancel_on_the_payment_page_refills_the_cart_even_if_the_expired_event_came_first(
        embedded, monkeypatch):
    """The issue's "1 of 3 cancels on the payment page": the shopper confirms the
    cancel, expiring the session cancels the order at once, and the shopper must still
    find the cart as they left it."""
    teapot = make_product("Teapot", stock=2)
    variant_id = teapot.variants[0].id
    shopper = embedded.test_client()
    token = csrf_token(shopper, "/login")
    add_to_cart(shopper, token, variant_id, 2)
    placed, _ = checkout(shopper, token)
    assert placed.status_code == 303 and "/_sandbox/stripe/pay/" in placed.headers["Location"]
    session_id = placed.headers["Location"].rsplit("/", 1)[1]
    order = _db.session.scalar(select(Order).where(Order.stripe_checkout_session_id == session_id))
    number, access = order.number, orders.access_token(order)
    _db.session.rollback()
    confirm = page(shopper.get(f"/checkout/cancelled/{number}?token={access}"))
    assert "Cancel" in confirm
    webhook = after_first_read(monkeypatch, lambda: deliver_expired_event(embedded, session_id))

    back = shopper.post(f"/checkout/cancelled/{number}",
                        data={"csrf_token": token, "token": access})

    assert webhook == [200] and status_of(order.id) == "cancelled"
    assert stock_of(variant_id) == 2 and audited("order.cancelled", order.id) == 1
    assert back.status_code == 303 and back.headers["Location"].endswith("/cart"), (
        back.headers["Location"])
    assert 'value="2"' in page(shopper.get("/cart"))


# --- the payment page taking money while the shop closes it ---------------------------------

def test_cancelling_an_order_paid_between_reading_and_expiring_its_session_marks_it_paid(
        any_db, monkeypatch):
    """Found by the soak test: the sweep (or staff) read an open session, the shopper
    paid that instant, and expiring it then failed ("This one is complete"). The order
    must be recorded as paid (PaidMeanwhile), not left for the next run with a
    "could not reach the payment provider" error, which is also what staff were shown."""
    teapot = make_product("Teapot", stock=2)
    order = place(teapot.variants[0].id, 2)
    gateway.start_checkout(order.id, BACK, BACK)
    order_id = order.id
    real_client = gateway.client
    paid = []

    def client_whose_session_is_paid_once_read():
        client = real_client()
        sessions = client.v1.checkout.sessions
        read = sessions.retrieve

        def retrieve(sid, *args, **kwargs):
            session = read(sid, *args, **kwargs)
            if session.status == "open" and not paid:
                paid.append(pay_in_the_sandbox(any_db, sid))  # the shopper pays just now
            return session
        sessions.retrieve = retrieve
        return client
    monkeypatch.setattr(gateway, "client", client_whose_session_is_paid_once_read)

    with pytest.raises(orders.PaidMeanwhile):
        orders.cancel(order_id, reason="customer called")

    assert wait_for_deliveries(10)
    assert status_of(order_id) == "paid" and stock_of(teapot.variants[0].id) == 0
    assert audited("order.cancelled", order_id) == 0


def pay_in_the_sandbox(app, session_id):
    """A shopper pays the session on the sandbox's page (a browser of its own)."""
    with app.app_context():
        browser = app.test_client()
        path = f"/_sandbox/stripe/pay/{session_id}"
        token = csrf_token(browser, path)
        paid = browser.post(path, data={"csrf_token": token, "card_number": "4242 4242 4242 4242",
                                        "expiry": "12 / 34", "cvc": "123"})
        assert paid.status_code == 303, page(paid)[:300]
        _db.session.remove()
