"""Accessibility in Chromium: every storefront page passes axe-core with no serious or
critical violation, and a shopper buys with the keyboard alone, seeing where the focus is."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.a11y import axe_violations, tab_to, type_into
from tests.factories import (
    PASSWORD, make_category, make_order, make_product, make_user, register_customer,
)
from tests.helpers import GOOD_CARD
from tests.review_helpers import add_reviews, buyer
from webshop.models import Page
from webshop.orders.access import access_token
from webshop.pricing import currencies


@pytest.fixture
def shop_with_pages(db):
    mugs = make_category("Mugs")
    make_category("Kitchen Linen")
    mug = make_product("Stoneware Mug", price=1500, stock=10, category=mugs, featured=True,
                       description="A heavy mug that keeps coffee warm.")
    make_product("Merino Tee", option_names=["Size"], variants=[
        {"options": {"Size": "M"}, "price": 4500, "stock": 5},
        {"options": {"Size": "L"}, "price": 4900, "stock": 0},
    ])
    db.session.add(Page(slug="returns", title="Returns", published=True, position=1,
                        body="## Within 30 days\n\n- Unused items\n- [Contact us](mailto:a@b.c)"))
    db.session.commit()
    return mug


@pytest.fixture
def axe_page(browser):
    """A page whose context lets axe-core's script tag past the Content-Security-Policy
    (the shop's own pages are checked against it in every other browser test)."""
    context = browser.new_context(bypass_csp=True)
    yield context.new_page()
    context.close()


def test_every_storefront_page_passes_axe(live_server, axe_page, shop_with_pages, db):
    page, mug = axe_page, shop_with_pages
    register_customer("ada@example.com", name="Ada Lovelace")
    order = make_order(email="guest@example.com", status="paid")
    order_url = f"/orders/{order.number}?token={access_token(order)}"
    currencies.add("GBP", "0.86", "EUR", make_user("rates@example.com", role="admin"))
    problems = {}

    def check(path, heading=None):
        if path is not None:
            page.goto(live_server + path)
        if heading:
            expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()
        found = axe_violations(page)
        if found:
            problems[page.url] = found

    check("/", "Good things for everyday life")
    check("/products", "All products")
    check("/categories/mugs", "Mugs")
    check("/products?q=mug", re.compile("Results for"))
    check(f"/products/{mug.slug}", "Stoneware Mug")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-badge .badge-count")).to_have_text("1")
    check(None)  # the product page with the "added" message
    check("/cart", "Your cart")
    check("/cart?currency=GBP", "Your cart")  # prices also in pounds, the switcher
    check("/checkout", "Checkout")
    check("/pages/returns", "Returns")
    check(order_url, re.compile(f"Order {order.number}"))
    check("/register", re.compile("account", re.I))
    check("/login", re.compile("Log in", re.I))
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Log in", re.I)).click()
    check("/account", re.compile("account", re.I))
    check("/account/orders")

    report = "\n".join(f"{url}\n  " + "\n  ".join(lines) for url, lines in problems.items())
    assert not problems, "axe-core found serious or critical violations:\n" + report


def test_a_shopper_buys_with_the_keyboard_alone(live_server, page, shop_with_pages):
    mug = shop_with_pages
    page.goto(f"{live_server}/products/{mug.slug}")

    # The first Tab reaches the skip link; following it lands in the main content.
    tab_to(page, r"Skip to content", limit=1)
    page.keyboard.press("Enter")
    assert page.evaluate("() => location.hash") == "#main"

    tab_to(page, r"^button.* Add to cart")
    page.keyboard.press("Enter")
    expect(page.locator("#cart-badge .badge-count")).to_have_text("1")
    expect(page.locator("#add-feedback")).to_contain_text("Added to your cart")

    tab_to(page, r"^a#cart-badge", key="Shift+Tab")  # back up to the header's cart link
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()

    tab_to(page, r"^a.* Check out")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Checkout")).to_be_visible()
    type_into(page, r"^input#email ", "ada@example.com")
    type_into(page, r"^input#name ", "Ada Shopper")
    type_into(page, r"^input#line1 ", "1 Main Street")
    type_into(page, r"^input#postal_code ", "10115")
    type_into(page, r"^input#city ", "Berlin")
    tab_to(page, r"^select#country ")
    page.keyboard.type("Germany")
    expect(page.locator("#country")).to_have_value("DE")
    tab_to(page, r"^input#.* name=shipping_method ")  # the first delivery method
    page.keyboard.press("Space")
    tab_to(page, r"^button.* Place order and pay")
    page.keyboard.press("Enter")

    expect(page.get_by_role("button", name=re.compile(r"^Pay"))).to_be_visible()
    type_into(page, r"name=card_number", GOOD_CARD)
    tab_to(page, r"^button.* Pay")
    page.keyboard.press("Space")

    expect(page.get_by_role("heading", name=re.compile(r"Order W"))).to_be_visible()
    expect(page.locator("#order-status-label")).to_have_text("Paid", timeout=15_000)


def test_the_other_storefront_pages_pass_axe(live_server, axe_page, shop_with_pages, db):
    """The pages the journey above does not pass through: a later page of reviews, the
    review form, account settings, a forgotten password, the payment page's cancel
    confirmation, a 404, and a page in German."""
    page, mug = axe_page, shop_with_pages
    add_reviews(mug, [5, 4, 5, 3, 4, 5, 2])
    buyer("ada@example.com", mug)
    pending = make_order(email="guest@example.com")
    problems = {}
    pages = [
        (f"/products/{mug.slug}/reviews?page=2", "Reviews of Stoneware Mug"),
        ("/password/forgot", None),
        (f"/checkout/cancelled/{pending.number}?token={access_token(pending)}", None),
        ("/products/no-such-product", None),
        ("/?lang=de", None),
        ("/login?next=/account", None),
    ]
    for path, heading in pages:
        page.goto(live_server + path)
        expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()
        problems[path] = axe_violations(page)
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Log in", re.I)).click()
    for path in ("/account/address", "/account/password", "/account/wishlist",
                 f"/products/{mug.slug}/review"):
        page.goto(live_server + path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        problems[path] = axe_violations(page)

    found = {path: lines for path, lines in problems.items() if lines}
    assert not found, "axe-core found serious or critical violations:\n" + "\n".join(
        f"{path}\n  " + "\n  ".join(lines) for path, lines in found.items())
