"""Shoppers in a real browser: fill a cart, change it, check out as a guest.

Once with htmx doing the work in place, once with JavaScript switched off.
"""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.shopper import fill_checkout, pay_on_the_sandbox_page
from tests.factories import make_product
from tests.helpers import fresh, wait_until
from webshop.models import Order


@pytest.fixture
def products(db):
    mug = make_product("Stoneware Mug", price=1500, stock=10)
    tee = make_product("Merino Tee", option_names=["Size"], variants=[
        {"options": {"Size": "M"}, "price": 4500, "stock": 5},
        {"options": {"Size": "L"}, "price": 4900, "stock": 5},
    ])
    return mug, tee


def test_cart_and_guest_checkout_with_htmx(live_server, page, products):
    mug, tee = products
    # A new visitor: the product page is the one shared by all of them (no token in it).
    first = page.goto(f"{live_server}/products/{mug.slug}")
    assert first.headers["cache-control"].startswith("public") and "set-cookie" not in first.headers
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#add-feedback")).to_contain_text("Added to your cart")
    expect(page.locator("#cart-badge .badge-count")).to_have_text("1")
    page.get_by_role("button", name="Add to cart").click()  # now with the session's token
    expect(page.locator("#cart-badge .badge-count")).to_have_text("2")

    page.goto(f"{live_server}/products/{tee.slug}")
    page.locator("label.option", has_text="L").click()  # the size buttons (radios)
    expect(page.locator("#variant-price")).to_have_text("€49.00")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-badge .badge-count")).to_have_text("3")

    page.locator("#cart-badge").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    page.evaluate("window.stillTheSamePage = true")

    page.get_by_label("Quantity of Stoneware Mug").fill("3")
    page.get_by_label("Quantity of Stoneware Mug").dispatch_event("change")
    expect(page.locator("#cart-subtotal")).to_have_text("€94.00")
    expect(page.locator("#cart-badge .badge-count")).to_have_text("4")

    page.get_by_role("button", name="Remove Merino Tee").click()
    expect(page.locator(".cart-line")).to_have_count(1)
    expect(page.locator("#cart-subtotal")).to_have_text("€45.00")
    expect(page.locator("#cart-badge .badge-count")).to_have_text("3")
    assert page.evaluate("window.stillTheSamePage") is True  # no page load so far

    page.get_by_role("link", name="Check out").click()
    fill_checkout(page)
    page.get_by_label(re.compile("Express delivery")).check()
    expect(page.locator("#summary-total")).to_have_text("€57.95")
    page.get_by_role("button", name="Place order and pay").click()
    pay_on_the_sandbox_page(page)

    expect(page.get_by_role("heading", name=re.compile(r"Order W"))).to_be_visible()
    expect(page.locator("#order-status-label")).to_have_text("Paid", timeout=15_000)
    expect(page.locator("#cart-badge .badge-count")).to_have_text("0")


@pytest.fixture
def no_js_page(browser):
    context = browser.new_context(java_script_enabled=False)
    yield context.new_page()
    context.close()


def test_the_same_cart_flow_without_javascript(live_server, no_js_page, products, db):
    page = no_js_page
    mug, tee = products
    page.goto(f"{live_server}/products/{mug.slug}")
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    expect(page).to_have_url(f"{live_server}/cart")
    expect(page.locator(".flash-success")).to_have_text("Added to your cart.")

    page.goto(f"{live_server}/products/{tee.slug}")
    page.locator("label.option", has_text="L").click()  # no script: nothing reloads...
    page.locator("label.option", has_text="M").click()  # ...and the checked size is added
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-badge .badge-count")).to_have_text("3")

    page.get_by_label("Quantity of Stoneware Mug").fill("1")
    page.locator(".cart-line", has_text="Stoneware Mug").get_by_role("button", name="Update").click()
    expect(page.locator("#cart-subtotal")).to_have_text("€60.00")
    page.get_by_role("button", name="Remove Merino Tee").click()
    expect(page.locator(".cart-line")).to_have_count(1)
    expect(page.locator("#cart-badge .badge-count")).to_have_text("1")

    page.get_by_role("link", name="Check out").click()
    fill_checkout(page)
    page.get_by_role("button", name="Place order and pay").click()
    pay_on_the_sandbox_page(page)
    expect(page.locator("#order-status-label")).to_have_text(re.compile("Pending|Paid"))
    expect(page.get_by_text("Stoneware Mug")).to_be_visible()
    # Without JavaScript nothing polls: the shopper reloads once the webhook was heard.
    order = db.session.scalars(select(Order)).one()
    assert wait_until(lambda: fresh(db, Order, order.id).status == "paid")
    page.reload()
    expect(page.locator("#order-status-label")).to_have_text("Paid")
