"""Shoppers in German, in a real browser: one with an English browser who picks Deutsch
in the switcher (with JavaScript and without) and buys in German before switching back,
and one whose browser asks for German and gets it without choosing."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.a11y import axe_violations
from tests.browser.shopper import fill_checkout, pay_on_the_sandbox_page
from tests.factories import make_category, make_product
from tests.helpers import fresh, wait_until
from webshop.models import Order

IN_GERMAN = re.compile(r"[?&]lang=de\b")


@pytest.fixture
def mug(db):
    return make_product("Stoneware Mug", price=1290, stock=10, featured=True,
                        category=make_category("Mugs"))


@pytest.fixture(params=["script", "no script"])
def english_browser(request, browser):
    """A page in a browser set to British English, and whether it runs JavaScript."""
    scripted = request.param == "script"
    context = browser.new_context(locale="en-GB", java_script_enabled=scripted)
    yield context.new_page(), scripted
    context.close()


def expect_german(page, heading):
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()
    expect(page).to_have_url(IN_GERMAN)  # the choice stays in the links followed


def test_a_shopper_switches_to_german_buys_in_german_and_switches_back(
        live_server, english_browser, mug, db):
    page, scripted = english_browser
    page.goto(live_server + "/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".product-card .price")).to_have_text("€12.90")

    page.get_by_role("navigation", name="Language").get_by_role("link", name="Deutsch").click()
    expect_german(page, "Gute Dinge für den Alltag")
    expect(page.locator(".product-card .price")).to_have_text("12,90 €")
    switcher = page.get_by_role("navigation", name="Sprache")
    expect(switcher.get_by_role("link", name="Deutsch")).to_have_attribute("aria-current", "true")

    page.get_by_role("link", name="Alle Produkte ansehen").click()
    expect_german(page, "Alle Produkte")
    expect(page.locator(".product-card .price")).to_have_text("12,90 €")

    page.get_by_role("link", name="Stoneware Mug").click()
    expect_german(page, "Stoneware Mug")
    expect(page.locator("#variant-price")).to_have_text("12,90 €")
    expect(page.locator("#variant-stock")).to_have_text("Auf Lager")
    page.get_by_label("Menge").fill("2")
    page.get_by_role("button", name="In den Warenkorb").click()
    if scripted:  # htmx answers in place, in German; then the header's badge to the cart
        expect(page.locator("#add-feedback")).to_contain_text("In den Warenkorb gelegt.")
        page.locator("#cart-badge").click()
    else:  # the plain form lands on the cart
        expect(page.locator(".flash-success")).to_have_text("In den Warenkorb gelegt.")

    expect_german(page, "Ihr Warenkorb")
    expect(page.locator("#cart-subtotal")).to_have_text("25,80 €")
    page.get_by_role("link", name="Zur Kasse").click()
    expect(page).to_have_url(IN_GERMAN)
    fill_checkout(page, "de")
    expect(page.locator("#summary-total")).to_have_text(re.compile(r"^\d+,\d\d\s€$"))
    page.get_by_role("button", name="Zahlungspflichtig bestellen").click()
    pay_on_the_sandbox_page(page)  # Stripe's page: in the sandbox's own language

    order = db.session.query(Order).one()
    expect_german(page, f"Bestellung {order.number}")
    assert order.locale == "de"  # its emails are written in German too
    if not scripted:  # nothing polls: the shopper reloads once the webhook was heard
        assert wait_until(lambda: fresh(db, Order, order.id).status == "paid")
        page.reload()
    expect(page.locator("#order-status-label")).to_have_text("Bezahlt")

    page.get_by_role("navigation", name="Sprache").get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1, name=f"Order {order.number}")).to_be_visible()
    expect(page.locator("#order-status-label")).to_have_text("Paid")
    page.locator("a.brand").click()  # English stays chosen on the way back to the shop
    expect(page).to_have_url(re.compile(r"[?&]lang=en\b"))
    expect(page.locator(".product-card .price")).to_have_text("€12.90")


def test_a_browser_asking_for_german_gets_it_without_choosing(live_server, browser, mug):
    """Accept-Language: de. The page passes axe-core in German too (the CSP is bypassed
    only so that axe can be injected, as in test_accessibility)."""
    context = browser.new_context(locale="de-DE", bypass_csp=True)
    page = context.new_page()
    try:
        page.goto(live_server + "/")
        expect(page.locator("html")).to_have_attribute("lang", "de")
        expect(page.get_by_role("heading", level=1, name="Gute Dinge für den Alltag")).to_be_visible()
        switcher = page.get_by_role("navigation", name="Sprache")
        expect(switcher.get_by_role("link", name="Deutsch")).to_have_attribute("aria-current", "true")

        page.get_by_role("link", name="Stoneware Mug").click()
        expect(page).to_have_url(f"{live_server}/products/{mug.slug}")  # nothing to carry
        expect(page.locator("html")).to_have_attribute("lang", "de")
        expect(page.locator("#variant-price")).to_have_text("12,90 €")
        assert axe_violations(page) == []

        page.get_by_role("button", name="In den Warenkorb").click()
        expect(page.locator("#add-feedback")).to_contain_text("In den Warenkorb gelegt.")
        page.locator("#cart-badge").click()
        expect(page.get_by_role("heading", level=1, name="Ihr Warenkorb")).to_be_visible()
        expect(page.locator("#cart-subtotal")).to_have_text("12,90 €")
    finally:
        context.close()
