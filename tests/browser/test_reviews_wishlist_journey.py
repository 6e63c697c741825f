"""Reviews and the wishlist in a real browser: a visitor's heart leads to the login and
back, the heart then saves with htmx, "More reviews" loads the next ones in place, and
the product page and the wishlist pass axe."""
import pytest
from playwright.sync_api import expect

from tests.browser.a11y import axe_violations
from tests.factories import PASSWORD, make_product, register_customer
from tests.review_helpers import add_reviews


@pytest.fixture
def shopper_page(browser):
    """A browser that bypasses the CSP only so that axe can be injected."""
    context = browser.new_context(bypass_csp=True)
    yield context.new_page()
    context.close()


def test_a_visitor_logs_in_from_the_heart_saves_and_reads_more_reviews(
        live_server, shopper_page, db):
    page = shopper_page
    teapot = make_product("Cast Iron Teapot", price=4500, stock=3)
    add_reviews(teapot, [5, 4, 5, 3, 4, 5, 2])
    register_customer("ada@example.com", name="Ada")

    page.goto(f"{live_server}/products/{teapot.slug}")
    expect(page.locator(".rating-summary")).to_contain_text("4.0 out of 5 (7 reviews)")
    page.get_by_role("link", name="Save to wishlist").click()
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server}/products/{teapot.slug}")

    heart = page.locator(".product-info .heart-button")
    expect(heart).to_have_attribute("aria-pressed", "false")
    heart.click()
    expect(heart).to_have_attribute("aria-pressed", "true")
    expect(heart).to_contain_text("Saved to wishlist")
    expect(page.locator(".review")).to_have_count(5)
    page.get_by_role("link", name="More reviews").click()
    expect(page.locator(".review")).to_have_count(7)
    expect(page.get_by_role("link", name="More reviews")).to_have_count(0)
    assert axe_violations(page) == []

    page.goto(f"{live_server}/account/wishlist")
    expect(page.locator(".product-card", has_text="Cast Iron Teapot")).to_have_count(1)
    assert axe_violations(page) == []
    page.get_by_role("button", name="Remove Cast Iron Teapot").click()
    expect(page.get_by_text("Your wishlist is empty")).to_be_visible()
