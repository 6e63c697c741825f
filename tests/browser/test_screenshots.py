"""Home, list, product and cart at a desktop (1280 px) and a phone (390 px) width: no page
scrolls sideways, the phone's filters open from a drawer and its category bar scrolls,
and a PNG of each lands in screenshots/ (git-ignored) for people to look at."""
import pytest
from playwright.sync_api import expect

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
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    SCREENSHOTS.mkdir(exist_ok=True)

    def photograph(name):
        overflow = page.evaluate("() => document.documentElement.scrollWidth")
        assert overflow <= width, f"{name} at {width} px is {overflow} px wide"
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
