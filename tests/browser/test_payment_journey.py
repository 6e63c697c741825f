"""Browse, add to cart, check out, pay on the Stripe sandbox's page with 4242, and watch
the order page flip to "Paid" by itself when the signed webhook arrives."""
import re

from playwright.sync_api import expect

from tests.browser.shopper import fill_checkout, pay_on_the_sandbox_page
from tests.factories import make_category, make_product


def test_a_shopper_buys_a_mug_end_to_end(live_server, page, db):
    kitchen = make_category("Kitchen")
    make_product("Stoneware Mug", price=1500, stock=4, category=kitchen, featured=True)

    page.goto(live_server + "/")
    page.get_by_role("link", name="Kitchen").first.click()
    page.get_by_role("link", name="Stoneware Mug").click()
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-badge .badge-count")).to_have_text("1")
    page.locator("#cart-badge").click()
    page.get_by_role("link", name="Check out").click()
    fill_checkout(page)
    page.get_by_role("button", name="Place order and pay").click()

    # The sandbox's hosted payment page (Stripe Checkout's stand-in).
    pay_on_the_sandbox_page(page)

    expect(page.get_by_role("heading", name=re.compile(r"Order W"))).to_be_visible()
    expect(page.locator("#order-status-label")).to_have_text("Paid", timeout=15_000)
    expect(page.get_by_text("Your payment is confirmed")).to_be_visible()


def test_cancel_on_the_payment_page_returns_to_an_intact_cart(live_server, page, db):
    product = make_product("Linen Apron", price=3200, stock=2)
    page.goto(f"{live_server}/products/{product.slug}")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-badge .badge-count")).to_have_text("1")
    page.goto(f"{live_server}/checkout")
    fill_checkout(page)
    page.get_by_role("button", name="Place order and pay").click()

    page.get_by_role("link", name=re.compile("cancel", re.I)).click()
    # The shop asks before it cancels: a link alone changes nothing.
    expect(page.get_by_role("heading", name="Payment not completed")).to_be_visible()
    page.get_by_role("button", name=re.compile("Cancel the order")).click()

    expect(page).to_have_url(f"{live_server}/cart")
    expect(page.get_by_text("Payment cancelled")).to_be_visible()
    expect(page.locator(".cart-line")).to_have_count(1)
    expect(page.locator("#cart-badge .badge-count")).to_have_text("1")
