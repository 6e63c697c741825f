"""What an order costs the database on its way to the payment page (the path that
scripts/orderpath.py measures): adding to the cart is one transaction, and placing the
order three (the order with its stock, the Checkout Session at the payment provider,
the session's id stored before the redirect). None is open while the provider is
called, and the order is not read again between placing it and paying for it.

The requests run as in production: each in an application context of its own (the
test pushes none around them), so each request's session ends with the request.
"""
import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from tests.factories import make_product
from tests.helpers import HX, add_to_cart, checkout, csrf_token, page
from webshop.extensions import db as _db
from webshop.models import Order
from webshop.payments.sandbox.transport import InProcessClient


@pytest.fixture
def engine(app):
    with app.app_context():
        return _db.engine


@pytest.fixture
def counted(engine):
    """`with counted() as c:` counts the transactions begun and committed, and the SQL
    statements by their first word, while the block runs."""
    @contextmanager
    def counting():
        counts = {"begin": 0, "commit": 0, "statements": []}

        def begin(conn):
            counts["begin"] += 1

        def commit(conn):
            counts["commit"] += 1

        def statement(conn, cursor, sql, *args):
            counts["statements"].append(sql.lstrip().split(None, 1)[0].upper())

        listeners = [("begin", begin), ("commit", commit), ("before_cursor_execute", statement)]
        for name, listener in listeners:
            event.listen(engine, name, listener)
        try:
            yield counts
        finally:
            for name, listener in listeners:
                event.remove(engine, name, listener)
    return counting


@pytest.fixture
def mug(app):
    with app.app_context():
        product = make_product("Mug", price=1250, stock=10)
        return product.slug, product.variants[0].id


def test_adding_to_the_cart_is_one_transaction_and_the_badge_counts_every_item(
        client, mug, counted):
    token = csrf_token(client, "/login")
    add_to_cart(client, token, mug[1], 2, headers=HX)
    with counted() as c:
        response = add_to_cart(client, token, mug[1], 3, headers=HX)
    assert response.status_code == 200
    assert re.search(r'class="badge-count">5<', page(response))
    assert (c["begin"], c["commit"]) == (1, 1)
    assert "SELECT" in c["statements"] and c["statements"].count("UPDATE") == 2  # line, cart


def test_placing_an_order_is_three_transactions_none_open_while_stripe_is_called(
        app, client, mug, counted, monkeypatch):
    token = csrf_token(client, "/login")
    add_to_cart(client, token, mug[1], 2)
    seen = []
    call = InProcessClient.request

    def watched(self, method, url, *args, **kwargs):
        # The shop's own session, at the moment it asks Stripe: nothing open, nothing held.
        seen.append((method, url.rsplit("/v1/", 1)[-1], _db.session().in_transaction(),
                     _db.engine.pool.checkedout()))
        return call(self, method, url, *args, **kwargs)

    monkeypatch.setattr(InProcessClient, "request", watched)
    with counted() as c:
        response, data = checkout(client, token)
    assert response.status_code == 303, page(response)[:300]
    assert seen == [("post", "checkout/sessions", False, 0)]
    # GET /checkout reads (1); POST /checkout: the order, the session, the id stored (3).
    assert (c["begin"], c["commit"]) == (4, 3)
    with app.app_context():
        order = _db.session.scalar(select(Order))
        assert order.status == "pending" and order.stripe_checkout_session_id
        assert response.headers["Location"].endswith(order.stripe_checkout_session_id)
        assert [(i.quantity, i.unit_price) for i in order.items] == [(2, 1250)]


def test_a_double_submit_sends_the_shopper_to_the_same_payment_page(client, mug, app):
    token = csrf_token(client, "/login")
    add_to_cart(client, token, mug[1], 1)
    first, data = checkout(client, token)
    again = client.post("/checkout", data=data)
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    with app.app_context():
        assert len(_db.session.scalars(select(Order)).all()) == 1


@pytest.mark.parametrize("lang", ["en", "de"])
def test_the_checkout_country_list_is_the_markup_wtforms_writes(app, lang):
    # Its options are rendered once and reused (web.forms.CountrySelect): whatever is
    # chosen, in either language, the list reads exactly as WTForms' own Select writes it.
    from wtforms.widgets import Select

    from webshop.shop.forms import CheckoutForm
    with app.test_request_context(f"/checkout?lang={lang}"):
        for chosen in (None, "DE", "AT", "<x>", "DE"):
            form = CheckoutForm()
            form.country.data = chosen
            assert str(form.country(autocomplete="country")) == str(
                Select()(form.country, autocomplete="country"))
