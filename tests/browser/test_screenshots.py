"""Home, list, product and cart at a desktop (1280 px) and a phone (390 px) width: no page
scrolls sideways, each passes axe-core at that width, the phone's filters open from a
drawer (with and without JavaScript) and its category bar scrolls, and a PNG of each
lands in screenshots/ (git-ignored; `make screenshots`) for people to look at."""
import pytest
from playwright.sync_api import expect

from tests.browser.a11y import axe_violations
from tests.conftest import ROOT
from tests.factories import make_category, make_product
from webshop.models import Page

SCREENSHOTS = ROOT / "screenshots"
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}
NAMES = ["Coffee & Tea", "Kitchen", "Apparel", "Home and Living", "Stationery", "Outdoor"]


@pytest.fixture
def catalogue(db):
    categories = [make_category(name, position=i) for i, name in enumerate(NAMES)]
    mug = make_product("Stoneware Mug With a Rather Long Name", price=1500, stock=10,
                       category=categories[1], featured=True,
                       description="A heavy stoneware mug that keeps coffee warm for longer.")
    for i, name in enumerate(["Linen Apron", "Merino Tee", "Enamel Camp Mug", "Notebook"]):
        make_product(name, price=1200 + 700 * i, category=categories[i % 6], featured=True)
    for position, (slug, title) in enumerate([("shipping", "Shipping"), ("returns", "Returns"),
                                               ("privacy", "Privacy"), ("imprint", "Imprint")]):
        db.session.add(Page(slug=slug, title=title, body="Text.", published=True,
                            position=position))
    db.session.commit()
    return mug


@pytest.mark.parametrize("size", list(WIDTHS))
def test_pages_fit_the_screen_and_are_photographed(live_server, browser, catalogue, size):
    width, height = WIDTHS[size]
    # The CSP is bypassed only so that axe can be injected (see test_accessibility).
    context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
    page = context.new_page()
    SCREENSHOTS.mkdir(exist_ok=True)

    def photograph(name):
        overflow = page.evaluate("() => document.documentElement.scrollWidth")
        assert overflow <= width, f"{name} at {width} px is {overflow} px wide"
        assert axe_violations(page) == [], f"{name} at {width} px"
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)

    try:
        page.goto(live_server + "/")
        photograph("home")

        page.goto(live_server + "/products")
        filters = page.get_by_label("Sort by")
        if size == "phone":
            expect(filters).to_be_hidden()  # folded into the drawer
            bar = page.get_by_role("navigation", name="Categories").get_by_role("list")
            assert bar.evaluate("(e) => e.scrollWidth > e.clientWidth"), "the bar should scroll"
            assert bar.evaluate("(e) => getComputedStyle(e).flexWrap") == "nowrap"
            page.get_by_text("Filter and sort").click()
        expect(filters).to_be_visible()
        photograph("list")

        page.goto(f"{live_server}/products/{catalogue.slug}")
        photograph("product")
        page.get_by_role("button", name="Add to cart").click()
        expect(page.locator("#cart-badge .badge-count")).to_have_text("1")

        page.goto(live_server + "/cart")
        expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
        photograph("cart")
    finally:
        context.close()


def test_the_phone_filter_drawer_opens_with_the_keyboard_and_without_javascript(
        live_server, browser, catalogue):
    context = browser.new_context(viewport={"width": 390, "height": 844},
                                  java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server + "/products")
        expect(page.get_by_label("Sort by")).to_be_hidden()
        page.locator(".filters-drawer > summary").focus()
        page.keyboard.press("Enter")
        page.get_by_label("Sort by").select_option(label="Price: low to high")
        page.get_by_role("button", name="Apply").click()
        expect(page).to_have_url(live_server + "/products?q=&category=&sort=price_asc")
        expect(page.locator(".product-card").first).to_contain_text("Linen Apron")
    finally:
        context.close()
