"""What shoppers see of display currencies: with ?currency=GBP (or the choice their
session remembers) prices on lists, product pages, the cart and checkout read
"€15.00 (approx. £12.90)", checkout says they pay in euros, Stripe is asked for the
unchanged euro amount, and no cache ever hands one visitor's currency to another."""
import re

import pytest
from sqlalchemy import select

from tests.factories import make_category, make_product, make_user
from tests.helpers import HX, add_to_cart, checkout, csrf_token, page
from webshop.models import DisplayCurrency, Order
from webshop.payments import gateway
from webshop.pricing import currencies

APPROX = "(approx. £12.90)"


@pytest.fixture
def shop(db):
    """A €15.00 mug in Kitchen, and GBP offered at 0.86 (USD at 1.08 too)."""
    kitchen = make_category("Kitchen")
    mug = make_product("Stoneware Mug", price=1500, stock=10, category=kitchen)
    boss = make_user("rates@example.com", role="admin")
    currencies.add("GBP", "0.86", "EUR", boss)
    currencies.add("USD", "1.08", "EUR", boss)
    return kitchen, mug, boss


def urls(kitchen, mug):
    return ["/", "/products", f"/categories/{kitchen.slug}", f"/products/{mug.slug}"]


def test_the_chosen_currency_shows_beside_every_catalogue_price(app, shop):
    kitchen, mug, _ = shop
    for url in urls(kitchen, mug)[1:]:
        html = page(app.test_client().get(url + "?currency=GBP"))
        assert f"€15.00 <span class=\"approx\">{APPROX}</span>" in html, url
        # The switcher, beside the language's: this page in each currency, GBP current.
        assert re.search(r'href="[^"]*currency=GBP" title="British Pound" aria-current="true"',
                         html), url
        assert re.search(r'href="[^"]*currency=EUR" title="Euro"', html), url
    product = page(app.test_client().get(f"/products/{mug.slug}?currency=USD"))
    assert "(approx. $16.20)" in product and "approx. £" not in product
    plain = page(app.test_client().get(f"/products/{mug.slug}"))
    assert "€15.00" in plain and "approx." not in plain
    assert 'title="Euro" aria-current="true"' in plain


def test_links_on_a_chosen_currencys_page_keep_it_and_german_writes_it_its_way(app, shop):
    kitchen, mug, _ = shop
    html = page(app.test_client().get(f"/products/{mug.slug}?currency=GBP"))
    assert f'href="/categories/{kitchen.slug}?currency=GBP"' in html
    assert 'href="/cart?currency=GBP"' in html and 'action="/cart/items?currency=GBP"' in html
    assert 'href="/admin/' not in html  # nothing else changes
    german = page(app.test_client().get(f"/products/{mug.slug}?lang=de&currency=GBP"))
    assert "15,00\xa0€ <span class=\"approx\">(ca. 12,90\xa0£)</span>" in german
    assert f'href="/categories/{kitchen.slug}?lang=de&amp;currency=GBP"' in german
    assert 'aria-label="Währung"' in german


@pytest.mark.parametrize("asked", ["XYZ", "gbpx", "DEM", "", "€", "CHF"])
def test_a_currency_not_offered_is_ignored(app, shop, asked):
    _, mug, _ = shop
    response = app.test_client().get(f"/products/{mug.slug}", query_string={"currency": asked})
    assert response.status_code == 200
    html = page(response)
    assert "approx." not in html and 'href="/cart"' in html  # links carry no currency


def test_a_deactivated_currency_or_a_new_rate_shows_at_once(app, db, shop, settings):
    settings(PAGE_CACHE=True)
    _, mug, boss = shop
    url = f"/products/{mug.slug}?currency=GBP"
    assert APPROX in page(app.test_client().get(url))
    gbp = db.session.scalar(select(DisplayCurrency).where(DisplayCurrency.code == "GBP"))
    currencies.set_rate(gbp.id, "0.9", boss)
    assert "(approx. £13.50)" in page(app.test_client().get(url))
    currencies.set_active(gbp.id, False, boss)
    html = page(app.test_client().get(url))
    assert "approx." not in html and 'title="British Pound"' not in html


def test_anonymous_pages_in_each_currency_are_separate_shared_answers(app, shop, settings):
    settings(PAGE_CACHE=True)
    kitchen, mug, _ = shop
    for url in urls(kitchen, mug)[1:]:
        for first, second in (("?currency=GBP", ""), ("", "?currency=GBP")):
            a, b = (app.test_client().get(url + q) for q in (first, second))
            for response, query in ((a, first), (b, second)):
                assert (APPROX in page(response)) == bool(query), (url, query)
                assert response.headers["Cache-Control"].startswith("public"), (url, query)
                assert "Set-Cookie" not in response.headers, (url, query)
            assert a.headers["ETag"] != b.headers["ETag"], url
    # The htmx results fragment is cached per currency too.
    hx = {**HX, "HX-Target": "results"}
    assert APPROX in page(app.test_client().get("/products?currency=GBP", headers=hx))
    assert "approx." not in page(app.test_client().get("/products", headers=hx))


def test_a_shopper_with_a_session_keeps_the_choice_until_changing_it(app, shop, settings):
    settings(PAGE_CACHE=True)
    kitchen, mug, _ = shop
    browser = app.test_client()
    token = csrf_token(browser, "/login")  # a session
    browser.get("/products?currency=GBP")
    for url in urls(kitchen, mug):
        response = browser.get(url)  # no parameter: the session remembers
        assert APPROX in page(response) or url == "/", url  # the home lists no products here
        assert response.headers["Cache-Control"] == "private, no-store", url
        assert "currency=GBP" not in page(response).replace('currency=GBP" title', ""), url
    add_to_cart(browser, token, mug.variants[0].id, quantity=2)
    cart = page(browser.get("/cart"))
    assert cart.count(APPROX) == 1 and cart.count("(approx. £25.80)") == 2  # unit; line, subtotal
    assert "You pay in EUR. Amounts in GBP are approximate" in cart
    browser.get("/products?currency=EUR")  # the shop's own currency: no second one
    assert "approx." not in page(browser.get(f"/products/{mug.slug}"))
    # A visitor without a session is never given a cookie for choosing.
    stranger = app.test_client()
    assert "Set-Cookie" not in stranger.get("/products?currency=GBP").headers
    assert "approx." not in page(stranger.get("/products"))


def test_a_first_visitor_who_adds_to_the_cart_keeps_the_currency(app, shop):
    _, mug, _ = shop
    browser = app.test_client()
    product = page(browser.get(f"/products/{mug.slug}?currency=GBP"))
    action = re.search(r'<form class="add-to-cart" action="([^"]+)"', product).group(1)
    response = browser.post(action, data={"variant_id": mug.variants[0].id, "quantity": 1},
                            headers={"Origin": "http://localhost"})
    assert response.status_code == 303 and "currency=GBP" in response.headers["Location"]
    assert APPROX in page(browser.get("/cart"))  # remembered now that there is a session


def test_stripe_is_charged_the_unchanged_amount_in_the_shop_currency(app, db, shop):
    _, mug, _ = shop
    browser = app.test_client()
    token = csrf_token(browser, "/login")
    browser.get("/products?currency=GBP")
    add_to_cart(browser, token, mug.variants[0].id, quantity=3)
    form = page(browser.get("/checkout"))
    assert "(approx. £38.70)" in form and "You pay in EUR." in form
    assert 'id="charge-note"' in form
    response, _ = checkout(browser, token)
    assert response.status_code == 303, page(response)[:500]
    order = db.session.scalar(select(Order))
    assert order.currency == "EUR" and order.total == 3 * 1500 + order.shipping
    session = gateway.client().v1.checkout.sessions.retrieve(order.stripe_checkout_session_id)
    assert (session.amount_total, session.currency) == (order.total, "eur")
    assert session.amount_total == order.amount_due


def test_pages_in_a_chosen_currency_cost_no_more_queries(app, shop, count_queries, settings):
    settings(PAGE_CACHE=True)
    kitchen, mug, _ = shop
    anonymous, with_session = app.test_client(), app.test_client()
    token = csrf_token(with_session, "/login")
    add_to_cart(with_session, token, mug.variants[0].id)
    for browser, pages in ((anonymous, urls(kitchen, mug)), (with_session, ["/cart", "/checkout"])):
        for url in pages:
            url += "?currency=GBP"
            browser.get(url)  # warm
            with count_queries() as q:
                assert browser.get(url).status_code == 200
            assert q.count <= 5, (url, q.statements)


def test_a_database_outage_page_needs_no_currency_from_the_database(app, shop, monkeypatch):
    from sqlalchemy.exc import OperationalError

    def unreachable():
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(currencies, "active", unreachable)
    response = app.test_client().get("/products?currency=GBP")
    assert response.status_code == 503 and "Retry-After" in response.headers
    assert '<html lang="en">' in page(response)  # the whole outage page, not the fallback
