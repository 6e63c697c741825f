"""Reviews and the wishlist's restock email in Chromium: a verified buyer writes a review
with the keyboard alone and staff approve it in the admin before shoppers see it (a buyer
whose order is not delivered yet may not); without script a shopper saves a product,
asks to be told when a sold-out size is back and gets the email through the outbox and
the worker; with script the heart, the restock button and the cart's quantity answer to
the keyboard."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.a11y import axe_violations, tab_to, type_into
from tests.browser.shopper import log_in
from tests.factories import make_product, make_user, register_customer
from tests.review_helpers import buyer
from webshop import inventory


@pytest.fixture
def tee(db):
    return make_product("Merino Tee", option_names=["Size"], variants=[
        {"options": {"Size": "M"}, "price": 4500, "stock": 5},
        {"options": {"Size": "L"}, "price": 4900, "stock": 0},
    ])


def test_a_verified_buyer_reviews_with_the_keyboard_and_staff_approve_it(
        live_server, axe_page, browser, db):
    page = axe_page
    teapot = make_product("Cast Iron Teapot", price=4500, stock=3)
    buyer("ada@example.com", teapot)  # her order of it was delivered
    buyer("bob@example.com", teapot, status="dispatched")
    make_user("staff@example.com", password="correct horse battery", role="staff")
    product_path = f"/products/{teapot.slug}"

    log_in(page, live_server, "bob@example.com", f"{product_path}/review")
    expect(page.get_by_text("Only customers whose order of this product was delivered")) \
        .to_be_visible()
    page.context.clear_cookies()

    log_in(page, live_server, "ada@example.com", product_path)
    page.get_by_role("link", name="Write a review").click()
    expect(page.get_by_role("heading", name="Review Cast Iron Teapot")).to_be_visible()
    assert axe_violations(page) == []
    tab_to(page, r"^input#rating-0 name=rating")  # 5 stars, not yet chosen
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")  # 4 stars
    expect(page.get_by_role("radio", name="4 stars")).to_be_checked()
    type_into(page, r"^input#author_name ", "Ada L.")
    type_into(page, r"^input#title ", "Pours well")
    type_into(page, r"^textarea#body ", "Heavy, keeps the tea hot.")
    tab_to(page, r"^button.* Send review")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Thank you: your review is shown once our staff have checked it.")) \
        .to_be_visible()
    expect(page.get_by_text("No reviews yet.")).to_be_visible()  # not before moderation

    staff_context = browser.new_context()
    staff = staff_context.new_page()
    log_in(staff, live_server, "staff@example.com", "/admin/reviews",
           password="correct horse battery")
    row = staff.get_by_role("row", name=re.compile("Cast Iron Teapot"))
    expect(row).to_contain_text("Pours well")
    row.get_by_role("button", name=re.compile("^Approve")).click()
    expect(staff.get_by_text("No waiting reviews.")).to_be_visible()
    staff_context.close()

    page.reload()
    expect(page.locator(".rating-summary")).to_contain_text("4.0 out of 5 (1 review)")
    expect(page.locator(".review")).to_contain_text("Pours well")


def test_without_script_a_shopper_saves_asks_for_a_restock_and_is_emailed(
        live_server, no_js_page, tee, db, smtp_sink, run_worker):
    page = no_js_page
    register_customer("ada@example.com", name="Ada")
    staff = make_user("staff@example.com", role="staff")
    large = tee.variants[1]
    log_in(page, live_server, "ada@example.com", f"/products/{tee.slug}")

    page.get_by_role("button", name="Save to wishlist").click()  # a plain form
    expect(page.get_by_text("Saved to your wishlist.")).to_be_visible()
    expect(page.locator(".product-info .heart-button")).to_have_attribute("aria-pressed", "true")

    page.locator("label.option", has_text="L").click()
    page.get_by_role("button", name="Show this choice").click()
    expect(page.locator("#variant-stock")).to_have_text("Sold out")
    page.get_by_role("button", name="Email me when it is back").click()
    expect(page.get_by_text("we will email you once when it is back in stock")).to_be_visible()
    page.goto(f"{live_server}/account/wishlist")
    expect(page.get_by_text("We email you when L is back in stock.")).to_be_visible()

    inventory.adjust_stock(large.id, "delivery", staff, delta=3)  # staff book a delivery
    run_worker()
    [mail] = smtp_sink.wait_for(1)
    assert (mail["To"], mail["Subject"]) == ("ada@example.com",
                                             "Merino Tee is back in stock at Webshop")
    link = re.search(r"/products/\S+variant_id=\d+", mail.get_body(("plain",)).get_content())
    page.goto(live_server + link.group(0))
    expect(page.get_by_role("radio", name="L", exact=True)).to_be_checked()
    expect(page.locator("#variant-stock")).to_have_text("Only 3 left")
    expect(page.get_by_role("button", name="Add to cart")).to_be_enabled()


def test_the_heart_the_restock_button_and_the_cart_quantity_answer_to_the_keyboard(
        live_server, page, tee):
    register_customer("ada@example.com", name="Ada")
    medium, large = tee.variants
    log_in(page, live_server, "ada@example.com", f"/products/{tee.slug}?variant_id={large.id}")

    tab_to(page, r"^button.*\s+Save to wishlist")
    page.keyboard.press("Enter")
    heart = page.locator(".product-info .heart-button")
    expect(heart).to_have_attribute("aria-pressed", "true")
    expect(heart).to_be_focused()  # htmx swapped the heart; the focus came back to it
    tab_to(page, r"^button.* Email me when it is back")
    page.keyboard.press("Space")
    message = page.get_by_role("status").filter(has_text="once when it is back in stock")
    expect(message).to_be_focused()  # where the pressed button was

    page.goto(f"{live_server}/products/{tee.slug}?variant_id={medium.id}")
    tab_to(page, r"^button.* Add to cart")
    page.keyboard.press("Enter")
    expect(page.locator("#cart-badge .badge-count")).to_have_text("1")
    page.goto(f"{live_server}/cart")
    tab_to(page, r"^input#qty-\d+ name=quantity")
    page.keyboard.press("Control+A")
    page.keyboard.type("3")
    page.keyboard.press("Enter")
    expect(page.locator("#cart-subtotal")).to_have_text("€135.00")
    expect(page.locator("#cart-badge .badge-count")).to_have_text("3")
