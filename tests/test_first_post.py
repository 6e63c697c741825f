"""CSRF for a shopper without a session (webshop.web.first_post): the shared product page
has no token, so the first add-to-cart is accepted only from our own origin, and creates
the session; every POST from a browser that has a session still needs its token."""
import re

import pytest
from sqlalchemy import func, select

from tests.factories import make_product
from tests.helpers import HX, csrf_token, page
from webshop.models import Cart

SAME_ORIGIN = {"Origin": "http://localhost"}  # the test client's own address


@pytest.fixture
def mug(db):
    return make_product("Mug", stock=10)


def add(browser, mug, headers, token=None, **extra):
    data = {"variant_id": mug.variants[0].id, "quantity": 2, "next": f"/products/{mug.slug}"}
    if token is not None:
        data["csrf_token"] = token
    return browser.post("/cart/items", data=data, headers=headers, **extra)


def carts(db):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Cart))


@pytest.mark.parametrize("headers", [
    SAME_ORIGIN,
    {"Sec-Fetch-Site": "same-origin"},                      # a browser that sends no Origin
    {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"},
], ids=["origin", "sec-fetch-site", "both"])
def test_a_first_add_to_cart_from_our_own_pages_makes_the_cart_and_the_session(app, db, mug, headers):
    browser = app.test_client()
    assert 'name="csrf_token" value=""' in page(browser.get(f"/products/{mug.slug}"))
    added = add(browser, mug, headers, token="")
    assert added.status_code == 303
    assert "session=" in added.headers["Set-Cookie"]
    cart = page(browser.get("/cart"))
    assert "Mug" in cart and re.search(r'class="badge-count">2<', cart)


def test_the_htmx_answer_gives_the_form_its_token_for_the_next_add(app, db, mug):
    browser = app.test_client()
    first = add(browser, mug, {**HX, **SAME_ORIGIN, "X-CSRFToken": ""}, token="")
    assert first.status_code == 200 and "Added to your cart." in page(first)
    token = re.search(r'id="purchase-csrf" name="csrf_token" value="([^"]+)" hx-swap-oob', page(first))
    # Now the browser has a session: its token is needed, from our origin or not.
    assert add(browser, mug, {**HX, **SAME_ORIGIN}, token="").status_code == 400
    again = add(browser, mug, HX, token=token.group(1))
    assert again.status_code == 200 and re.search(r'class="badge-count">4<', page(again))


@pytest.mark.parametrize("headers", [
    {},                                                     # neither Origin nor Sec-Fetch-Site
    {"Origin": "https://evil.example"},
    {"Origin": "null"},                                     # a sandboxed frame, a data: URL
    {"Origin": "http://localhost.evil.example"},
    {"Sec-Fetch-Site": "cross-site", "Origin": "http://localhost"},
    {"Sec-Fetch-Site": "same-site"},                        # a sibling subdomain
    {"Referer": "http://localhost/products"},               # a Referer alone is not enough
], ids=["none", "foreign", "null", "lookalike", "cross-site", "same-site", "referer"])
def test_a_first_add_to_cart_from_anywhere_else_is_refused(app, db, mug, headers):
    before = carts(db)
    for extra in ({}, HX):
        refused = add(app.test_client(), mug, {**headers, **extra}, token="")
        assert refused.status_code == 400, extra
    assert "the form was stale" in page(add(app.test_client(), mug, headers, token=""))
    assert carts(db) == before


def test_a_browser_with_a_session_needs_its_token_whatever_its_origin(app, db, mug):
    browser = app.test_client()
    token = csrf_token(browser, "/login")
    before = carts(db)
    for headers in (SAME_ORIGIN, {"Sec-Fetch-Site": "same-origin"}):
        assert add(browser, mug, headers).status_code == 400
        assert add(browser, mug, headers, token="garbage").status_code == 400
    assert carts(db) == before
    assert add(browser, mug, SAME_ORIGIN, token=token).status_code == 303


def test_only_the_add_to_cart_is_origin_checked(app, db):
    """Logging in, registering or checking out without a session still needs a token."""
    for path in ("/login", "/register", "/checkout", "/password/forgot"):
        response = app.test_client().post(path, data={"email": "a@example.com"},
                                          headers={"Sec-Fetch-Site": "same-origin", **SAME_ORIGIN})
        assert response.status_code == 400, path


def test_the_public_address_and_trusted_origins_count_as_ours(app, db, mug, settings):
    settings(BASE_URL="https://shop.example.com", CSRF_TRUSTED_ORIGINS=("https://www.example.com",))
    for origin in ("https://shop.example.com", "https://www.example.com"):
        assert add(app.test_client(), mug, {"Origin": origin}, token="").status_code == 303
    assert add(app.test_client(), mug, {"Origin": "http://shop.example.com"}, token="").status_code == 400
