"""The demo catalogue `flask seed-demo` builds, in a real browser: the pictures a shopper
sees on the home page, the first list page and a product's gallery really load, and a
product the demo customers reviewed shows its stars and average."""
import re
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from webshop.models import Product, ProductImage

# A picture that arrived and decoded (a broken or missing file has no natural width).
LOADED = "img => img.complete && img.naturalWidth > 0"


@pytest.fixture
def demo_shop(app, db):
    """The seeded demo shop. The image files are drawn once per test run (they stay in
    the run's upload folder); a later test only writes the rows again."""
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output


def expect_pictures_load(page, images):
    """Each picture is scrolled to (lazy ones load near the view) and has loaded."""
    count = images.count()
    assert count > 0
    for index in range(count):
        image = images.nth(index)
        image.evaluate("img => img.scrollIntoView({block: 'center'})")
        page.wait_for_function(LOADED, arg=image.element_handle(), timeout=10_000)
    return count


def test_home_and_first_list_page_show_pictures_that_load(live_server, page, demo_shop, app):
    page.goto(live_server + "/")
    expect(page.get_by_role("heading", level=1, name="Good things for everyday life")).to_be_visible()
    expect_pictures_load(page, page.locator(".hero-pictures img"))
    tiles = page.locator(".category-tiles li")
    expect(tiles).to_have_count(expect_pictures_load(page, page.locator(".category-tiles img")))

    page.get_by_role("link", name="Browse all products").click()
    cards = page.locator(".product-card")
    expect(cards).to_have_count(app.config["PRODUCTS_PER_PAGE"])  # a full first page
    pictured = page.locator(".product-card:has(img)")
    expect(pictured).to_have_count(expect_pictures_load(page, page.locator(".product-card img")))
    expect(pictured).to_have_count(cards.count())  # the gift card's too
    expect(page.locator(".product-card .image-placeholder")).to_have_count(0)


def test_a_reviewed_product_shows_its_gallery_stars_and_average(live_server, page, demo_shop, db):
    pictured = (select(ProductImage.product_id).group_by(ProductImage.product_id)
                .having(func.count() > 1))
    product = db.session.scalars(select(Product).where(
        Product.rating_count > 0, Product.id.in_(pictured)).order_by(Product.slug)).first()
    assert product is not None, "the demo has a reviewed product with several pictures"

    page.goto(f"{live_server}/products/{product.slug}")
    expect(page.get_by_role("heading", level=1, name=product.name)).to_be_visible()
    slides = page.locator("#product-gallery .gallery-slide")
    expect(slides).to_have_count(len(product.images))
    expect_pictures_load(page, page.locator("#product-gallery .gallery-thumb img"))
    for number in range(1, len(product.images) + 1):  # each thumbnail shows its picture
        page.locator("label.gallery-thumb", has_text=f"Show picture {number}").click()
        shown = slides.nth(number - 1)
        expect(shown).to_be_visible()
        page.wait_for_function(LOADED, arg=shown.element_handle(), timeout=10_000)
        expect(page.locator("#product-gallery .gallery-slide:visible")).to_have_count(1)

    average = (Decimal(product.rating_average) / 100).quantize(Decimal("0.1"), ROUND_HALF_EVEN)
    summary = page.locator(".rating-summary")
    expect(summary).to_contain_text("★")
    expect(summary).to_contain_text(
        re.compile(rf"{average} out of 5 \({product.rating_count} reviews?\)"))
    stars = page.locator(".review .review-rating").first
    expect(stars).to_have_text(re.compile(r"^[★☆]{5}"))
    expect(page.locator(".review .badge").first).to_have_text("Verified buyer")
