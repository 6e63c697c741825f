"""Cart, checkout and order pages over HTTP, with and without htmx."""
import re

import pytest
from sqlalchemy import func, select

from tests.factories import make_order, make_product, make_user
from tests.helpers import HX, add_to_cart, checkout, csrf_token, login, stock_of
from webshop import orders
from webshop.models import Order


@pytest.fixture
def token(client, db):
    make_product("Warm-up")  # any product page carries the session's token
    return csrf_token(client, "/login")


def cart_html(client):
    return client.get("/cart").get_data(as_text=True)


def badge(html):
    return re.search(r'class="badge-count">(\d+)<', html).group(1)


def test_add_without_htmx_redirects_to_the_cart(client, token):
    mug = make_product("Mug", price=1250)
    response = add_to_cart(client, token, mug.variants[0].id, 2)
    assert response.status_code == 303 and response.headers["Location"].endswith("/cart")
    html = cart_html(client)
    assert "Mug" in html and "€25.00" in html and badge(html) == "2"


def test_add_with_htmx_returns_a_note_and_the_badge_out_of_band(client, token):
    mug = make_product("Mug")
    response = add_to_cart(client, token, mug.variants[0].id, 3, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Added to your cart" in html
    assert 'id="cart-badge"' in html and 'hx-swap-oob="true"' in html and badge(html) == "3"
    assert "<html" not in html


@pytest.mark.parametrize("quantity, message", [("abc", "whole number"), ("0", "at least 1"),
                                               ("500", "at most 99"), ("6", "Only 5")])
def test_bad_quantities_get_a_message_not_a_500(client, token, quantity, message):
    mug = make_product("Mug", stock=5)
    response = add_to_cart(client, token, mug.variants[0].id, quantity, headers=HX)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    plain = add_to_cart(client, token, mug.variants[0].id, quantity)
    assert plain.status_code == 303
    assert message in cart_html(client)  # flashed on the next page


def test_unknown_variant_and_missing_csrf_are_4xx(client, token):
    assert add_to_cart(client, token, 987654, headers=HX).status_code == 422
    assert add_to_cart(client, token, "x", headers=HX).status_code == 422
    no_token = client.post("/cart/items", data={"variant_id": 1, "quantity": 1})
    assert no_token.status_code == 400


def test_change_and_remove_lines_with_htmx(client, token):
    mug = make_product("Mug", price=1000, stock=10)
    tee = make_product("Tee", price=2000, stock=10)
    add_to_cart(client, token, mug.variants[0].id)
    add_to_cart(client, token, tee.variants[0].id)
    item_ids = re.findall(r'action="/cart/items/(\d+)"', cart_html(client))

    changed = client.post(f"/cart/items/{item_ids[0]}", data={"csrf_token": token, "quantity": 4},
                          headers=HX).get_data(as_text=True)
    assert 'id="cart-contents"' in changed and "€60.00" in changed and badge(changed) == "5"

    removed = client.post(f"/cart/items/{item_ids[1]}/delete", data={"csrf_token": token},
                          headers=HX).get_data(as_text=True)
    assert "Tee" not in removed and badge(removed) == "4"

    emptied = client.post(f"/cart/items/{item_ids[0]}", data={"csrf_token": token, "quantity": 0})
    assert emptied.status_code == 303 and "Your cart is empty" in cart_html(client)


def test_empty_cart_removes_every_line(client, token):
    for name in ("Mug", "Tee"):
        add_to_cart(client, token, make_product(name).variants[0].id)
    html = client.post("/cart/empty", data={"csrf_token": token}, headers=HX).get_data(as_text=True)
    assert "Your cart is empty" in html and badge(html) == "0"


def test_another_shoppers_cart_lines_are_off_limits(app, client, token):
    mug = make_product("Mug")
    other = app.test_client()
    other_token = csrf_token(other, "/login")
    add_to_cart(other, other_token, mug.variants[0].id)
    other_cart = other.get("/cart").get_data(as_text=True)
    their_item = re.findall(r'action="/cart/items/(\d+)"', other_cart)[0]

    response = client.post(f"/cart/items/{their_item}", data={"csrf_token": token, "quantity": 9},
                           headers=HX)

    assert response.status_code == 422
    assert "Mug" in other.get("/cart").get_data(as_text=True)
    assert 'value="1"' in other.get("/cart").get_data(as_text=True)


def test_guest_checkout_places_a_pending_order_and_hands_over_to_payment(
        live_server, client, token, db):
    mug = make_product("Mug", price=1250, stock=5)
    add_to_cart(client, token, mug.variants[0].id, 2)

    response, _ = checkout(client, token)

    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"{live_server}/_sandbox/stripe/pay/cs_test_")
    order = db.session.scalar(select(Order))
    assert order.status == "pending" and order.stripe_checkout_session_id
    assert (order.subtotal, order.shipping, order.total) == (2500, 495, 2995)
    assert stock_of(mug.variants[0].id) == 3
    assert badge(client.get("/").get_data(as_text=True)) == "0"


def test_an_unreachable_payment_provider_keeps_the_order_and_offers_a_retry(
        settings, client, token, db):
    mug = make_product("Mug", price=1250, stock=5)
    add_to_cart(client, token, mug.variants[0].id, 2)
    with settings(STRIPE_API_BASE="http://127.0.0.1:9/_sandbox/stripe"):  # nobody there
        response, _ = checkout(client, token)

    order = db.session.scalar(select(Order))
    assert re.match(rf"/orders/{order.number}\?token=.+", response.headers["Location"])
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "could not reach the payment provider" in page
    assert "Pending" in page and "€29.95" in page and "Ada Shopper" in page
    assert 'hx-trigger="every 3s"' in page and "Return to payment" in page
    assert stock_of(mug.variants[0].id) == 3


def test_checkout_validation_messages_sit_next_to_the_fields(client, token, db):
    mug = make_product("Mug")
    add_to_cart(client, token, mug.variants[0].id)

    response, _ = checkout(client, token, email="not-an-email", postal_code="", country="XX")

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="email-error">Invalid email address', html)
    assert 'id="postal_code-error">This field is required' in html
    assert 'id="country-error">Not a valid choice' in html
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0


def test_double_submit_of_the_checkout_form_creates_one_order(client, token, db):
    mug = make_product("Mug", stock=5)
    add_to_cart(client, token, mug.variants[0].id)
    first, data = checkout(client, token)
    again = client.post("/checkout", data=data)

    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1


def test_checkout_names_the_product_that_ran_out(client, token, db):
    mug = make_product("Blue Mug", stock=5)
    add_to_cart(client, token, mug.variants[0].id, 3)
    mug.variants[0].stock = 1
    db.session.commit()

    response, _ = checkout(client, token)

    assert response.status_code == 422
    assert "not enough stock left for: Blue Mug" in response.get_data(as_text=True)
    assert stock_of(mug.variants[0].id) == 1


def test_checkout_with_an_empty_cart_goes_back_to_the_cart(client, token):
    response = client.get("/checkout")
    assert response.status_code == 303 and response.headers["Location"].endswith("/cart")


def test_shipping_choice_updates_the_summary_fragment(client, token):
    mug = make_product("Mug", price=1000)
    add_to_cart(client, token, mug.variants[0].id)
    html = client.get("/checkout?shipping_method=express",
                      headers={**HX, "HX-Target": "order-summary"}).get_data(as_text=True)
    assert html.lstrip().startswith('<aside id="order-summary"')
    assert "€12.95" in html and "€22.95" in html


def test_a_tampered_guest_link_is_404(client, db):
    order = make_order(email="guest@example.com")
    good = orders_link(order)
    assert client.get(good).status_code == 200
    assert client.get(good[:-2] + "xx").status_code == 404
    assert client.get(f"/orders/{order.number}").status_code == 404


def orders_link(order):
    from flask import current_app
    with current_app.test_request_context():
        return f"/orders/{order.number}?token={orders.access_token(order)}"


def test_a_customer_never_sees_another_customers_order(client, db):
    alice = make_user("alice@example.com")
    bob = make_user("bob@example.com")
    order = make_order(user=bob)
    login(client, "alice@example.com")

    assert client.get(f"/orders/{order.number}").status_code == 404
    mine = make_order(user=alice)
    assert client.get(f"/orders/{mine.number}").status_code == 200


def test_order_status_fragment_stops_polling_once_paid(client, db):
    order = make_order(email="guest@example.com")
    link = orders_link(order)
    pending = client.get(link, headers={**HX, "HX-Target": "order-status"}).get_data(as_text=True)
    assert pending.lstrip().startswith('<section id="order-status"') and "every 3s" in pending

    orders.mark_paid(order.id, "pi_123")

    paid = client.get(link, headers={**HX, "HX-Target": "order-status"}).get_data(as_text=True)
    assert "Paid" in paid and "every 3s" not in paid


@pytest.mark.parametrize("lines", [1, 12])
def test_cart_and_checkout_query_budgets_do_not_grow_with_lines(client, token, count_queries, lines):
    for i in range(lines):
        product = make_product(f"Thing {i}", image="products/x.webp")
        add_to_cart(client, token, product.variants[0].id)
    counts = {}
    client.get("/cart")  # warm: the VAT rates and shipping zones are read once per change
    for url in ["/cart", "/checkout"]:
        with count_queries() as q:
            assert client.get(url).status_code == 200
        counts[url] = q.count
    assert counts["/cart"] <= 3 and counts["/checkout"] <= 4, counts
