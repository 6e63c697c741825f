"""A shopper in a real browser (headless Chromium): home, search, product page."""
import re

from playwright.sync_api import expect

from tests.catalogue_helpers import pictures_by_colour
from tests.factories import make_category, make_product, make_user
from webshop.pricing import currencies


def test_shopper_searches_and_opens_a_product(live_server, page, db):
    mugs = make_category("Mugs")
    make_product("Ceramic Travel Mug", price=1800, category=mugs, featured=True)
    make_product("Enamel Camp Mug", price=1400, category=mugs)
    make_product("Linen Apron", price=3200)
    make_product("Merino Tee", option_names=["Size"], variants=[
        {"options": {"Size": "M"}, "price": 4500, "stock": 8},
        {"options": {"Size": "L"}, "price": 4900, "stock": 0},
    ])
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    page.goto(live_server + "/")
    expect(page.get_by_role("heading", name="Featured")).to_be_visible()
    page.get_by_role("combobox", name="Search products").fill("mug")
    page.get_by_role("button", name="Search").click()

    expect(page).to_have_url(live_server + "/products?q=mug")
    expect(page.locator(".product-card")).to_have_count(2)

    # Active search: typing narrows the results in place (htmx), and the URL follows.
    page.locator("#q").fill("ceramic")
    expect(page.locator(".product-card")).to_have_count(1)
    expect(page).to_have_url(live_server + "/products?q=ceramic&category=&sort=relevance")

    page.get_by_role("link", name="Ceramic Travel Mug").click()
    expect(page.get_by_role("heading", name="Ceramic Travel Mug")).to_be_visible()
    expect(page.locator("#variant-price")).to_have_text("€18.00")
    expect(page.get_by_role("button", name="Add to cart")).to_be_enabled()
    assert errors == []  # nothing blocked by the Content-Security-Policy


def test_shopper_chooses_size_and_colour_by_mouse_and_keyboard_and_adds_it(live_server, page, db):
    """One control per option; price, stock and picture follow each choice in place;
    the keyboard keeps its place across the swaps; the chosen variant goes to the cart."""
    product = make_product("Field Tee", option_names=["Size", "Colour"], variants=[
        {"options": {"Size": "S", "Colour": "Blue"}, "price": 2000, "stock": 5},
        {"options": {"Size": "S", "Colour": "Black"}, "price": 2000, "stock": 0},
        {"options": {"Size": "M", "Colour": "Blue"}, "price": 2600, "stock": 2},
        {"options": {"Size": "M", "Colour": "Black"}, "price": 2600, "stock": 30},
    ])
    pictures_by_colour(product)
    main_image = page.locator("#product-gallery .gallery-slide").first

    page.goto(f"{live_server}/products/{product.slug}")
    expect(page.locator("#variant-price")).to_have_text("€20.00")
    expect(page.get_by_role("radio", name="S", exact=True)).to_be_checked()

    page.locator("label.option", has_text="M").click()  # the mouse, on the size button
    expect(page.locator("#variant-price")).to_have_text("€26.00")
    expect(page.locator("#variant-stock")).to_have_text("Only 2 left")
    expect(page.locator("#product-purchase legend").first).to_contain_text("Size: M")
    assert "option-Size=M" in page.url and "option-Colour=Blue" in page.url

    page.get_by_role("radio", name="Blue", exact=True).focus()  # the keyboard, on the colour swatches
    page.keyboard.press("ArrowRight")
    expect(page.locator("#variant-stock")).to_have_text("In stock")
    expect(page.get_by_role("radio", name="Black", exact=True)).to_be_checked()
    expect(main_image).to_have_attribute("src", re.compile("tee-black"))
    expect(page.get_by_role("radio", name="Black", exact=True)).to_be_focused()  # focus survived the swap

    page.keyboard.press("Shift+Tab")  # back to the size group: S in Black is sold out
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#variant-stock")).to_have_text("Sold out")
    expect(page.get_by_role("button", name="Sold out")).to_be_disabled()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#variant-price")).to_have_text("€26.00")

    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#add-feedback")).to_contain_text("Added to your cart")
    page.goto(f"{live_server}/cart")
    expect(page.locator(".cart-product")).to_contain_text("M / Black")


def test_shopper_switches_the_currency_and_it_follows_to_the_cart(live_server, page, db):
    """The switcher beside the language's shows prices in pounds too (labelled as an
    approximation); the choice stays in the links, through adding to the cart."""
    mug = make_product("Stoneware Mug", price=1500)
    currencies.add("GBP", "0.86", "EUR", make_user("rates@example.com", role="admin"))

    page.goto(f"{live_server}/products/{mug.slug}")
    expect(page.locator("#variant-price")).to_have_text("€15.00")
    switcher = page.get_by_role("navigation", name="Currency")
    expect(switcher.get_by_role("link", name="EUR")).to_have_attribute("aria-current", "true")
    switcher.get_by_role("link", name="GBP").click()

    expect(page).to_have_url(re.compile(r"currency=GBP"))
    expect(page.locator("#variant-price")).to_have_text("€15.00 (approx. £12.90)")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#add-feedback")).to_contain_text("Added to your cart")
    page.locator("#cart-badge").click()
    expect(page).to_have_url(re.compile(r"/cart\?currency=GBP"))
    expect(page.locator("#cart-subtotal")).to_have_text("€15.00 (approx. £12.90)")
    expect(page.locator(".charge-note")).to_contain_text("You pay in EUR")
