"""The product page and the cards in Chromium without script: one control per option, a
combination no variant has disabled, price, stock and picture following the choice
through "Show this choice", gallery thumbnails switching pictures (CSS only), "from"
prices on cards, the schema.org JSON-LD; and the home page's hero and category tiles."""
import json

import pytest
from playwright.sync_api import expect

from tests.catalogue_helpers import pictures_by_colour
from tests.factories import make_category, make_product
from tests.review_helpers import add_reviews


@pytest.fixture
def tee(db):
    """Sizes S and M in Blue and Black, but no M in Black; S in Black is sold out."""
    return pictures_by_colour(make_product("Field Tee", option_names=["Size", "Colour"], variants=[
        {"options": {"Size": "S", "Colour": "Blue"}, "price": 2000, "stock": 5},
        {"options": {"Size": "S", "Colour": "Black"}, "price": 2000, "stock": 0},
        {"options": {"Size": "M", "Colour": "Blue"}, "price": 2600, "stock": 2},
    ]))


def radio(page, name):
    return page.get_by_role("radio", name=name, exact=True)


def test_without_script_the_choice_shows_its_price_stock_and_picture(live_server, no_js_page,
                                                                      tee):
    page = no_js_page
    slides = page.locator("#product-gallery .gallery-slide")
    page.goto(f"{live_server}/products/{tee.slug}")
    expect(page.locator("#variant-price")).to_have_text("€20.00")
    expect(radio(page, "S")).to_be_checked()
    expect(radio(page, "Blue")).to_be_checked()
    expect(page.get_by_role("combobox")).to_have_count(1)  # the header's search only

    page.locator("label.option", has_text="M").click()
    page.get_by_role("button", name="Show this choice").click()
    expect(page.locator("#variant-price")).to_have_text("€26.00")
    expect(page.locator("#variant-stock")).to_have_text("Only 2 left")
    expect(page.get_by_role("radio", name="Black (not available)")).to_be_disabled()
    expect(page.locator("label.option-unavailable")).to_have_text("Black (not available)")

    page.locator("label.option", has_text="S").click()
    page.get_by_role("button", name="Show this choice").click()
    page.locator("label.option", has_text="Black").click()
    page.get_by_role("button", name="Show this choice").click()
    expect(page.locator("#variant-stock")).to_have_text("Sold out")
    expect(page.get_by_role("button", name="Sold out")).to_be_disabled()
    expect(slides.first).to_have_attribute("src", "/media/tee-black.webp")  # its own picture
    expect(slides.first).to_be_visible()
    expect(slides.nth(1)).to_be_hidden()

    # The thumbnails are labels of radios: CSS shows the checked one's picture.
    page.locator("label.gallery-thumb", has_text="Show picture 2").click()
    expect(slides.nth(1)).to_be_visible()
    expect(slides.nth(1)).to_have_attribute("src", "/media/tee-blue.webp")
    expect(slides.first).to_be_hidden()


def test_cards_say_from_and_the_page_carries_json_ld(live_server, no_js_page, tee):
    page = no_js_page
    make_product("Plain Mug", price=1500)
    add_reviews(tee, [5, 4])

    page.goto(f"{live_server}/products")
    expect(page.locator(".product-card", has_text="Field Tee").locator(".price")) \
        .to_have_text("from €20.00")
    expect(page.locator(".product-card", has_text="Plain Mug").locator(".price")) \
        .to_have_text("€15.00")

    page.locator(".product-card", has_text="Field Tee").get_by_role("link").first.click()
    data = json.loads(page.locator('script[type="application/ld+json"]').text_content())
    assert data["@type"] == "Product" and data["name"] == "Field Tee"
    assert data["offers"]["@type"] == "AggregateOffer"
    assert (data["offers"]["lowPrice"], data["offers"]["highPrice"]) == ("20.00", "26.00")
    assert data["aggregateRating"]["ratingValue"] == "4.5"
    assert data["aggregateRating"]["reviewCount"] == 2
    expect(page.locator(".rating-summary")).to_contain_text("4.5 out of 5 (2 reviews)")


def test_home_has_a_hero_with_pictures_and_category_tiles(live_server, no_js_page, db):
    page = no_js_page
    kitchen = make_category("Kitchen")
    make_product("Star Mug", category=kitchen, featured=True, image="products/mug.webp")

    page.goto(live_server + "/")
    hero = page.locator(".hero")
    expect(hero.get_by_role("heading", level=1)).to_be_visible()
    expect(hero.locator(".hero-pictures img")).to_have_attribute("src", "/media/products/mug.webp")
    tile = page.locator(".category-tiles li", has_text="Kitchen")
    expect(tile.locator("img")).to_have_attribute("src", "/media/products/mug.thumb.webp")
    tile.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Kitchen", level=1)).to_be_visible()
    expect(page.locator(".product-card")).to_contain_text("Star Mug")
