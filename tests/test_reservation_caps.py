"""One client cannot hold the stock in unpaid reservations (OWASP OAT-021, denial of
inventory): at most MAX_QUANTITY_PER_LINE of an item per line, and at most
MAX_PENDING_ORDERS orders awaiting payment per shopper (account, email or address)."""
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import make_product, register_customer
from tests.helpers import (
    CHECKOUT, HX, add_to_cart, checkout, csrf_token, login, page, run_concurrently, stock_of,
)
from webshop import cart as carts
from webshop import orders
from webshop.models import Order, utcnow


@pytest.fixture
def mug(db):
    return make_product("Mug", stock=1000)


def shopper(app):
    client = app.test_client()
    client.token = csrf_token(client, "/login")
    return client


def buy(client, mug, quantity=1, **form):
    add_to_cart(client, client.token, mug.variants[0].id, quantity)
    response, _ = checkout(client, client.token, **form)
    return response


def order_count(db):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Order))


# --- per line ---------------------------------------------------------------------------------------

def test_a_line_holds_at_most_the_configured_quantity(app, db, mug, settings):
    settings(MAX_QUANTITY_PER_LINE=5)
    client = shopper(app)
    assert "at most 5" in page(add_to_cart(client, client.token, mug.variants[0].id, 6, headers=HX))
    assert add_to_cart(client, client.token, mug.variants[0].id, 4, headers=HX).status_code == 200
    too_many = add_to_cart(client, client.token, mug.variants[0].id, 2, headers=HX)
    assert too_many.status_code == 422 and "at most 5 of one item" in page(too_many)
    cart = page(client.get("/cart"))
    assert 'max="5"' in cart
    assert 'max="5"' in page(client.get(f"/products/{mug.slug}"))


def test_an_order_refuses_a_line_over_the_cap_and_reserves_nothing(app, db, mug, settings):
    client = shopper(app)
    add_to_cart(client, client.token, mug.variants[0].id, 8)
    settings(MAX_QUANTITY_PER_LINE=3)  # lowered while the cart waited
    response, _ = checkout(client, client.token)
    assert response.status_code == 422 and "at most 3 of one item" in page(response)
    assert order_count(db) == 0 and stock_of(mug.variants[0].id) == 1000


# --- per shopper ---------------------------------------------------------------------------------

def test_a_guest_may_hold_only_so_many_unpaid_orders(app, db, mug, settings):
    settings(MAX_PENDING_ORDERS=2)
    for _ in range(2):  # each in a browser of its own: a new cart, the same person
        assert buy(shopper(app), mug, 3).status_code == 303
    third = buy(shopper(app), mug, 3)
    assert third.status_code == 422
    assert "already have 2 orders waiting for payment" in page(third)
    assert order_count(db) == 2 and stock_of(mug.variants[0].id) == 1000 - 6


@pytest.mark.parametrize("same", ["email", "address"])
def test_another_email_or_address_alone_does_not_get_round_the_cap(app, db, mug, settings, same):
    settings(MAX_PENDING_ORDERS=1)
    assert buy(shopper(app), mug).status_code == 303
    other = {"address": {"email": "someone.else@example.com"},
             "email": {"line1": "99 Other Road", "postal_code": "80331", "city": "Munich"}}[same]
    refused = buy(shopper(app), mug, **other)
    assert refused.status_code == 422 and "waiting for payment" in page(refused)
    # The same address typed differently is the same address.
    if same == "address":
        shouting = buy(shopper(app), mug, email="third@example.com",
                       line1=CHECKOUT["line1"].upper())
        assert shouting.status_code == 422
    stranger = buy(shopper(app), mug, email="stranger@example.com", line1="5 Far Lane",
                   postal_code="20095", city="Hamburg")
    assert stranger.status_code == 303  # someone else entirely is not held up


def test_a_customer_is_capped_by_account_whatever_they_type(app, db, mug, settings):
    settings(MAX_PENDING_ORDERS=1)
    register_customer("cara@example.com")
    client = shopper(app)
    login(client, "cara@example.com")
    client.token = csrf_token(client, "/account")  # a login rotates it
    assert buy(client, mug, email="cara@example.com").status_code == 303
    refused = buy(client, mug, email="cara+2@example.com", line1="2 New Street")
    assert refused.status_code == 422 and "waiting for payment" in page(refused)


def test_paid_expired_and_processing_orders_do_not_count(app, db, mug, settings):
    settings(MAX_PENDING_ORDERS=1)
    assert buy(shopper(app), mug).status_code == 303
    order = db.session.scalar(select(Order))
    assert buy(shopper(app), mug).status_code == 422

    orders.mark_paid(order.id, "pi_test_1")
    assert buy(shopper(app), mug).status_code == 303  # the paid one is no longer held

    second = db.session.scalar(select(Order).where(Order.status == "pending"))
    second.reserved_until = utcnow() - timedelta(minutes=1)  # its reservation ran out
    db.session.commit()
    assert buy(shopper(app), mug).status_code == 303

    third = db.session.scalar(select(Order).where(Order.status == "pending",
                                                  Order.reserved_until > utcnow()))
    third.payment_processing_since = utcnow()  # a bank debit on its way
    db.session.commit()
    assert buy(shopper(app), mug).status_code == 303


def test_the_same_form_submitted_again_returns_its_order_even_at_the_cap(app, db, mug, settings):
    settings(MAX_PENDING_ORDERS=1)
    client = shopper(app)
    add_to_cart(client, client.token, mug.variants[0].id)
    first, data = checkout(client, client.token)
    assert first.status_code == 303
    again = client.post("/checkout", data=data)  # a double click: the same idempotency key
    assert again.status_code == 303 and order_count(db) == 1


def test_the_cap_holds_when_one_shopper_sends_many_forms_at_once(app, db, mug, settings):
    settings(MAX_PENDING_ORDERS=2)
    for i in range(8):  # eight browsers of one person, the same email and address
        carts.add_item(mug.variants[0].id, 1, token=f"tab-{i}")
    address = orders.ShippingAddress(name="Ada", line1="1 Main Street", city="Berlin",
                                     postal_code="10115", country="DE")

    def place(i):
        return orders.place_order(carts.find_cart(token=f"tab-{i}"), "ada@example.com", address,
                                  "standard", uuid.uuid4().hex).number

    results = run_concurrently(app, 8, place)
    placed = [r for r in results if isinstance(r, str)]
    refused = [r for r in results if isinstance(r, orders.OrderError)]
    assert len(placed) == 2 and len(refused) == 6, results
    assert all("waiting for payment" in str(error) for error in refused)
    assert stock_of(mug.variants[0].id) == 1000 - 2


def test_a_double_click_at_the_cap_still_gets_its_own_order(app, db, mug, settings):
    settings(MAX_PENDING_ORDERS=1)
    carts.add_item(mug.variants[0].id, 1, token="tab")
    address = orders.ShippingAddress(name="Ada", line1="1 Main Street", city="Berlin",
                                     postal_code="10115", country="DE")
    key = uuid.uuid4().hex

    def place(i):
        return orders.place_order(carts.find_cart(token="tab"), "ada@example.com", address,
                                  "standard", key).number

    results = run_concurrently(app, 4, place)
    assert len(set(results)) == 1 and isinstance(results[0], str), results
    assert order_count(db) == 1
