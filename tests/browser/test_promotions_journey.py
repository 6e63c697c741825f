"""A shopper in a real browser uses a discount code and a gift card: entered in the cart
(htmx swaps the cart in place), shown at checkout, and only the rest paid at Stripe."""
import re

from playwright.sync_api import expect

from tests.browser.shopper import fill_checkout, pay_on_the_sandbox_page
from tests.factories import make_product
from tests.promotion_helpers import make_card, make_code
from webshop.promotions import grouped


def test_a_code_and_a_gift_card_in_the_cart_then_the_rest_paid_at_stripe(live_server, page, db):
    mug = make_product("Stoneware Mug", price=4000, stock=10)
    make_code("SAVE10", value=10)
    card = make_card(1000)
    page.goto(f"{live_server}/products/{mug.slug}")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-badge .badge-count")).to_have_text("1")
    page.locator("#cart-badge").click()
    page.evaluate("window.stillTheSamePage = true")

    page.get_by_label("Code", exact=True).fill("save10")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#cart-discount")).to_have_text("−€4.00")
    expect(page.locator("#cart-contents")).to_contain_text("Code SAVE10 applied.")
    page.get_by_label("Code", exact=True).fill("nonsense")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#cart-contents")).to_contain_text("We do not know the code “nonsense”")
    page.get_by_label("Code", exact=True).fill(grouped(card.code).lower())
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#cart-gift-card")).to_have_text("−€10.00")
    assert page.evaluate("window.stillTheSamePage") is True  # all in place, no page load

    page.get_by_role("link", name="Check out").click()
    fill_checkout(page)
    page.get_by_label(re.compile("Standard delivery")).check()
    expect(page.locator("#summary-discount")).to_have_text("−€4.00")
    expect(page.locator("#summary-total")).to_have_text("€40.95")
    expect(page.locator("#summary-amount-due")).to_have_text("€30.95")
    page.get_by_role("button", name="Place order and pay").click()
    expect(page.get_by_text("€30.95").first).to_be_visible()  # what the payment page asks
    pay_on_the_sandbox_page(page)
    expect(page.get_by_role("heading", name=re.compile(r"Order W"))).to_be_visible()
    expect(page.locator("#order-status-label")).to_have_text("Paid", timeout=15_000)
    expect(page.locator(".order-details")).to_contain_text("Discount (SAVE10)")
    expect(page.locator(".order-details")).to_contain_text("Paid by card")
