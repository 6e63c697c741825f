"""In Chromium: a logged-in shopper who leaves a cart gets one reminder, whose link puts
the cart back and whose unsubscribe link works in another browser without login or
script; a shopper who ordered gets none; an admin writes, publishes and edits a policy
page and every page's footer follows."""
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.a11y import axe_violations
from tests.browser.shopper import fill_checkout, log_in, pay_on_the_sandbox_page
from tests.factories import make_product, make_user, register_customer
from tests.reminder_helpers import age, link
from webshop import notifications, reminders
from webshop.models import Cart


def _their_cart(db, user):
    db.session.expire_all()
    return db.session.scalar(select(Cart.id).where(Cart.user_id == user.id))


def test_a_logged_in_shopper_who_leaves_a_cart_is_reminded_once(
        live_server, page, no_js_page, db, smtp_sink):
    mug = make_product("Stoneware Mug", price=1500, stock=10)
    ada = register_customer("ada@example.com", name="Ada")
    log_in(page, live_server, "ada@example.com", f"/products/{mug.slug}")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-badge .badge-count")).to_have_text("1")
    page.get_by_role("button", name="Log out").click()  # and she leaves

    cart_id = _their_cart(db, ada)
    age(cart_id, 25)
    assert reminders.sweep() == 1
    assert reminders.sweep() == 0  # one reminder, not one per sweep
    assert notifications.send_cart_reminder(cart_id, 1) == "sent"
    [message] = smtp_sink.wait_for(1)
    assert message["To"] == "ada@example.com"
    text = message.get_body(("plain",)).get_content()

    page.goto(live_server + link(text, "restore"))  # the link needs no login
    expect(page.get_by_role("heading", name="Back to your cart")).to_be_visible()
    page.get_by_role("button", name="Put them back in my cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    expect(page.locator(".cart-line", has_text="Stoneware Mug")).to_have_count(1)

    other = no_js_page  # another browser, no login, no script
    other.goto(live_server + link(text, "unsubscribe"))
    other.get_by_role("button", name="Unsubscribe").click()
    expect(other.get_by_role("status")).to_contain_text("no more cart reminders")
    assert reminders.unsubscribed("ada@example.com")


def test_a_shopper_who_ordered_is_not_reminded(live_server, page, db):
    mug = make_product("Stoneware Mug", price=1500, stock=10)
    bob = register_customer("bob@example.com", name="Bob")
    log_in(page, live_server, "bob@example.com", f"/products/{mug.slug}")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-badge .badge-count")).to_have_text("1")
    cart_id = _their_cart(db, bob)
    page.goto(f"{live_server}/checkout")
    fill_checkout(page)
    page.get_by_role("button", name="Place order and pay").click()
    pay_on_the_sandbox_page(page)
    expect(page.locator("#order-status-label")).to_have_text("Paid", timeout=15_000)

    age(cart_id, 25)
    assert reminders.sweep() == 0


def test_an_admin_writes_a_policy_page_and_the_footer_follows(live_server, axe_page, db):
    page = axe_page
    make_user("admin@example.com", role="admin")
    log_in(page, live_server, "admin@example.com", "/admin/pages")
    page.get_by_role("link", name="New page").click()
    page.get_by_label("Title").fill("Shipping")
    page.get_by_label("Address").fill("shipping")
    page.get_by_label("Text (Markdown)").fill("## Fast\n\nWe ship in **two days**.")
    page.get_by_role("button", name="Create page").click()
    expect(page.get_by_text("It is not published yet.")).to_be_visible()

    page.goto(live_server + "/")
    footer = page.get_by_role("navigation", name="Shop information")
    expect(footer).to_have_count(0)  # nothing published yet
    page.goto(live_server + "/admin/pages")
    page.get_by_role("button", name="Publish Shipping").click()

    page.goto(live_server + "/products")
    footer.get_by_role("link", name="Shipping").click()
    expect(page.get_by_role("heading", name="Fast", level=2)).to_be_visible()
    expect(page.locator("strong", has_text="two days")).to_be_visible()
    assert axe_violations(page) == []

    page.goto(live_server + "/admin/pages")
    page.locator(".pages-table").get_by_role("link", name="Shipping", exact=True).click()
    page.get_by_label("Title").fill("Shipping and delivery")
    page.get_by_label("Text (Markdown)").fill("We ship in **one day**.")
    page.get_by_role("button", name="Save page").click()
    expect(page.get_by_text("The page Shipping and delivery was saved.")).to_be_visible()
    page.goto(live_server + "/")
    footer.get_by_role("link", name="Shipping and delivery").click()
    expect(page.locator("strong", has_text="one day")).to_be_visible()
