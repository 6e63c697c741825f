"""A guest who leaves a cart, in a real browser: the reminder box at checkout (htmx), the
email's restore link opened in another browser, then its unsubscribe link; the two
pages pass axe."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.a11y import axe_violations
from tests.factories import make_product
from tests.reminder_helpers import age, link
from webshop import notifications, reminders
from webshop.models import Cart


@pytest.fixture
def fresh_browser(browser):
    """Another browser (no cookies), where the shopper opens the email; it bypasses the
    CSP only so that axe can be injected."""
    context = browser.new_context(bypass_csp=True)
    yield context.new_page()
    context.close()


def test_a_guest_ticks_the_reminder_box_and_comes_back_through_the_email(
        live_server, page, fresh_browser, db, smtp_sink):
    mug = make_product("Stoneware Mug", price=1500, stock=10)
    page.goto(f"{live_server}/products/{mug.slug}")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-badge .badge-count")).to_have_text("1")
    page.goto(f"{live_server}/checkout")
    box = page.get_by_label("Email me a reminder if I don't finish")
    expect(box).not_to_be_checked()
    page.get_by_label("Email", exact=True).fill("ada@example.com")
    box.check()
    expect(page.locator("#reminder-consent")).to_have_text(
        "We will email you a reminder if you don't finish.")
    # The shopper leaves. A day later the worker's sweep finds the cart.
    cart_id = db.session.scalar(select(Cart.id).where(Cart.remind_email == "ada@example.com"))
    age(cart_id, 25)
    assert reminders.sweep() == 1
    assert notifications.send_cart_reminder(cart_id, 1) == "sent"
    [message] = smtp_sink.wait_for(1)
    text = message.get_body(("plain",)).get_content()

    other = fresh_browser
    other.goto(live_server + link(text, "restore"))
    expect(other.get_by_role("heading", name="Back to your cart")).to_be_visible()
    assert axe_violations(other) == []
    other.get_by_role("button", name="Put them back in my cart").click()
    expect(other.get_by_role("heading", name="Your cart")).to_be_visible()
    expect(other.locator(".cart-line", has_text="Stoneware Mug")).to_have_count(1)
    expect(other.locator("#cart-badge .badge-count")).to_have_text("1")

    other.goto(live_server + link(text, "unsubscribe"))
    assert axe_violations(other) == []
    other.get_by_role("button", name="Unsubscribe").click()
    expect(other.get_by_role("status")).to_contain_text("no more cart reminders")
    assert reminders.unsubscribed("ada@example.com")
