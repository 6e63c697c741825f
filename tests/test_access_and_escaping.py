"""Whose is what, and what comes back escaped.

- another customer's order, cart lines, address and account are never shown (404, or
  only one's own); a guest's order opens only with its own signed link;
- script in product names and descriptions, addresses, search terms and what staff type
  comes back escaped on every page and in every email;
- the per-shopper slots of cached pages (CSRF token, cart count, flashes) cannot be
  forged by anything people type, and a cached page still carries each shopper's own.
"""
import re

import pytest
from sqlalchemy import select

from tests.factories import make_order, make_product, register_customer
from tests.helpers import CHECKOUT, add_to_cart, checkout, csrf_token, login, page
from webshop import notifications, orders
from webshop.models import CartItem, Order, Product
from webshop.web.templating import SLOT_PREFIX

SCRIPT = '<script>alert("x")</script>'
IMG = "<img src=x onerror=alert(1)>"
SLOT_FORGERIES = ["__CSRF_TOKEN__", "__CART_COUNT__", "<!--flashes-->", "<!--slot:csrf:0-->"]


# --- other people's things ----------------------------------------------------------------------

@pytest.fixture
def two_customers(db, client):
    """Ada (with an order, a saved address and a cart line) and Bob, logged in on `client`."""
    ada = register_customer("ada@example.com", name="Ada Lovelace")
    mug = make_product("Mug", stock=10)
    order = make_order(user=ada)
    other = client.application.test_client()
    login(other, "ada@example.com")
    token = csrf_token(other, "/account")
    other.post("/account/address", data={**CHECKOUT, "csrf_token": token, "line1": "7 Ada Row"})
    add_to_cart(other, token, mug.variants[0].id, 2)
    register_customer("bob@example.com", name="Bob Builder")
    login(client, "bob@example.com")
    ada_item = db.session.scalar(select(CartItem).order_by(CartItem.id.desc()))
    return {"order": order, "item": ada_item, "token": csrf_token(client, "/account/address")}


def test_another_customers_order_is_404_whatever_is_tried(client, two_customers):
    number = two_customers["order"].number
    token = two_customers["token"]
    assert client.get(f"/orders/{number}").status_code == 404
    assert client.get(f"/orders/{number}?token=guess").status_code == 404
    assert client.get(f"/checkout/cancelled/{number}").status_code == 404
    assert client.post(f"/orders/{number}/pay", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/checkout/cancelled/{number}", data={"csrf_token": token}).status_code == 404
    assert number not in page(client.get("/account")) + page(client.get("/account/orders"))


def test_another_customers_address_account_and_cart_stay_theirs(client, db, two_customers):
    mine = page(client.get("/account")) + page(client.get("/account/address"))
    assert "7 Ada Row" not in mine and "ada@example.com" not in mine and "Ada Lovelace" not in mine
    item, token = two_customers["item"], two_customers["token"]
    for url, data in ((f"/cart/items/{item.id}", {"quantity": "5"}),
                      (f"/cart/items/{item.id}/delete", {})):
        response = client.post(url, data={"csrf_token": token, **data},
                               headers={"HX-Request": "true"})
        assert response.status_code == 422 and "no longer in your cart" in page(response)
    db.session.expire_all()
    assert db.session.get(CartItem, item.id).quantity == 2


def test_a_guest_order_opens_only_with_its_own_link(client, db):
    mine, theirs = make_order(email="guest@example.com"), make_order(email="other@example.com")
    right, wrong = orders.access_token(mine), orders.access_token(theirs)
    token = csrf_token(client, "/login")
    for query in ("", "?token=", f"?token={wrong}", f"?token={right[:-3]}abc", "?token=%00"):
        assert client.get(f"/orders/{mine.number}{query}").status_code in (400, 404), query
        assert client.get(f"/checkout/cancelled/{mine.number}{query}").status_code in (400, 404)
    for data in ({}, {"token": wrong}):
        assert client.post(f"/orders/{mine.number}/pay",
                           data={"csrf_token": token, **data}).status_code == 404
        assert client.post(f"/checkout/cancelled/{mine.number}",
                           data={"csrf_token": token, **data}).status_code == 404
    assert client.get(f"/orders/{mine.number}?token={right}").status_code == 200
    assert db.session.get(Order, mine.id).status == "pending"


# --- escaping -----------------------------------------------------------------------------------

def assert_escaped(html, where):
    for payload in (SCRIPT, IMG):
        assert payload not in html, where
    # Escaped for HTML, or for JSON in the JSON-LD block (tojson: "<" and ">" as \u003c, \u003e).
    assert "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "").replace(
        "onerror=alert(1)\\u003e", ""), where


def test_script_in_catalogue_addresses_and_searches_comes_back_escaped(app, client, db, staff):
    created = staff.post("/admin/products/new", data={
        "csrf_token": staff.token, "name": f"Mug {SCRIPT}", "description": f"Lovely {IMG}",
        "option_names": "Colour", "variants-0-sku": "MUG-1", "variants-0-price": "12.50",
        "variants-0-stock": "5", "variants-0-options": IMG, "active": "y", "category_id": "0"})
    assert created.status_code == 303, re.findall(r"field-error[^>]*>([^<]*)", page(created))
    product = db.session.scalar(select(Product))
    staff.post("/admin/categories", data={"csrf_token": staff.token, "name": f"Cups {IMG}"})
    admin_pages = ["/admin/products", f"/admin/products/{product.id}/edit", "/admin/categories",
                   f"/admin/products?q={SCRIPT}", f"/admin/orders?q={SCRIPT}",
                   f"/admin/customers?q={IMG}", f"/admin/audit?actor={SCRIPT}"]

    shopper = app.test_client()
    token = csrf_token(shopper, "/login")  # first visitors' product pages carry no token
    add_to_cart(shopper, token, product.variants[0].id)
    placed, _ = checkout(shopper, token, name=f"Eve {SCRIPT}", line1=f"1 {IMG} Street",
                         city=SCRIPT, region=IMG, phone="+49 30 1234")
    assert placed.status_code == 303, page(placed)[:500]
    order = db.session.scalar(select(Order))
    shop_pages = ["/", "/products", f"/products/{product.slug}", f"/products?q={SCRIPT}",
                  f"/products?q={IMG}&sort={SCRIPT}", "/cart", f"/categories/{SCRIPT}",
                  f"/orders/{order.number}?token={orders.access_token(order)}"]
    for url in shop_pages:
        for headers in ({}, {"HX-Request": "true", "HX-Target": "results"}):
            assert_escaped(page(shopper.get(url, headers=headers)), url)
    admin_pages.append(f"/admin/orders/{order.id}")
    for url in admin_pages:
        html = page(staff.get(url))
        assert_escaped(html, url)
    assert "&lt;script&gt;" in page(staff.get(f"/admin/orders/{order.id}"))


def test_script_in_an_order_comes_back_escaped_in_every_email(app, db):
    order = make_order(email="eve@example.com")
    order.ship_name, order.ship_line1, order.ship_city = f"Eve {SCRIPT}", IMG, SCRIPT
    order.carrier, order.tracking_number = SCRIPT, IMG
    order.items[0].product_name = f"Mug {SCRIPT}"
    order.items[0].option_values = {"Colour": IMG}
    db.session.commit()
    for kind in notifications.ORDER_EMAILS:
        message = notifications._order_message(kind, order)
        html = message.get_body(("html",)).get_content()
        assert_escaped(html, kind)
        assert "&lt;script&gt;" in html, kind


# --- the per-shopper slots ------------------------------------------------------------------------

def slots_left(html):
    return SLOT_PREFIX in html


def test_slot_markers_typed_anywhere_are_shown_as_typed_and_never_filled(app, client, db, staff):
    forged = " ".join(SLOT_FORGERIES)
    product = make_product(f"Mug {forged}", description=f"About {forged}")
    token = csrf_token(client, f"/products/{product.slug}")
    pages = [f"/products/{product.slug}", "/products", f"/products?q=mug {forged}"]
    add_to_cart(client, token, product.variants[0].id)
    pages += ["/cart"]
    for url in pages:
        html = page(client.get(url))
        assert token not in html.replace(f'value="{token}"', "").replace(
            f'"X-CSRFToken": "{token}"', ""), url  # the token only where the page puts it
        assert "__CSRF_TOKEN__" in html and "&lt;!--flashes--&gt;" in html, url
        assert not slots_left(html), url
    response, _ = checkout(client, token, name=f"Eve {forged}", line1=f"1 {forged}")
    order = db.session.scalar(select(Order))
    html = page(staff.get(f"/admin/orders/{order.id}"))
    assert "Eve __CSRF_TOKEN__ __CART_COUNT__" in html and staff.token not in html.split(
        "Eve", 1)[1].split("</", 1)[0]


def test_a_cached_page_carries_each_shoppers_own_token_and_count(app, db, settings):
    settings(PAGE_CACHE=True)
    product = make_product("Mug", stock=10)
    url = f"/products/{product.slug}"
    first, second = app.test_client(), app.test_client()
    for browser in (first, second):  # each with a session (first visits share one page)
        browser.get("/login")
    token_first = csrf_token(first, url)
    add_to_cart(first, token_first, product.variants[0].id, 3)
    token_second = csrf_token(second, url)  # the same cached page
    html_first, html_second = page(first.get(url)), page(second.get(url))
    assert token_first != token_second
    assert token_first in html_first and token_second not in html_first
    assert token_second in html_second and token_first not in html_second
    assert re.search(r'class="badge-count">3<', html_first)
    assert re.search(r'class="badge-count">0<', html_second)
    assert not slots_left(html_first + html_second)


def test_markers_come_from_the_secret_key_and_are_not_text_anyone_types(app):
    from markupsafe import escape
    from webshop.web.templating import slot_key, slot_markers
    markers = slot_markers(app.extensions["webshop.slot_key"])
    for marker in markers.values():
        assert str(escape(str(marker))) != str(marker)  # autoescaped text never contains it
    assert slot_key("a") != slot_key("b") and len(slot_key("a")) >= 20
