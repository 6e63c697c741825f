"""A shopper in a real browser (headless Chromium): home, search, product page."""
from playwright.sync_api import expect

from tests.factories import make_category, make_product


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
    page.get_by_role("searchbox", name="Search products").fill("mug")
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


def test_choosing_a_variant_updates_price_and_stock_in_place(live_server, page, db):
    product = make_product("Merino Tee", option_names=["Size"], variants=[
        {"options": {"Size": "M"}, "price": 4500, "stock": 8},
        {"options": {"Size": "L"}, "price": 4900, "stock": 0},
    ])
    page.goto(f"{live_server}/products/{product.slug}")
    expect(page.locator("#variant-price")).to_have_text("€45.00")

    page.get_by_label("Size").select_option(label="L · €49.00 · sold out")

    expect(page.locator("#variant-price")).to_have_text("€49.00")
    expect(page.locator("#variant-stock")).to_have_text("Sold out")
    expect(page.get_by_role("button", name="Sold out")).to_be_disabled()
    assert f"variant_id={product.variants[1].id}" in page.url
