"""Search that forgives, in Chromium: the header box suggests as the shopper types (htmx,
debounced: a word's letters arriving together ask once, not once a letter), the arrow keys
and Enter pick a suggestion, Escape closes them; a search that finds nothing offers
"Did you mean"; without script the same box is a plain search form and the suggestions
are a page of links; the pages on the way pass axe-core."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.a11y import axe_violations
from tests.factories import make_category, make_product


@pytest.fixture
def catalogue(db):
    mugs = make_category("Mugs")
    mug = make_product("Stoneware Mug", price=1500, category=mugs)
    make_product("Stoneware Bowl", price=1800)
    make_product("Merino Wool Throw Blanket", price=8900)
    return mug


def test_suggestions_follow_the_typing_and_the_keyboard_picks_one(live_server, axe_page,
                                                                   catalogue):
    page = axe_page
    asked = []
    page.on("request", lambda r: asked.append(r.url) if "/search/suggestions" in r.url else None)
    page.goto(live_server + "/")
    box = page.get_by_role("combobox", name="Search products")
    options = page.locator("#search-suggestions [role=option]")

    box.focus()
    # Nine letters, each an input event, all in one turn of the page's script: however
    # busy the machine, no gap between them reaches the 300 ms debounce, so one request.
    box.evaluate("""box => { for (let n = 1; n <= 9; n++) {
        box.value = "stoneware".slice(0, n);
        box.dispatchEvent(new Event("input", {bubbles: true})); } }""")
    expect(options.filter(has_text="Stoneware Mug")).to_have_count(1)
    expect(options.filter(has_text="Stoneware Bowl")).to_have_count(1)
    expect(box).to_have_attribute("aria-expanded", "true")
    assert len(asked) == 1 and asked[0].endswith("q=stoneware"), asked  # debounced
    assert axe_violations(page) == []  # the open listbox too

    # The arrow keys move the active option (aria-activedescendant); Enter follows it.
    wanted = [text.strip() for text in options.all_inner_texts()].index("Stoneware Mug")
    for _ in range(wanted + 1):
        page.keyboard.press("ArrowDown")
    expect(options.nth(wanted)).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", f"suggestion-{wanted + 1}")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Stoneware Mug", level=1)).to_be_visible()

    # Escape closes the list; Enter with no option chosen is a full search.
    box.focus()
    page.keyboard.type("bowl")
    expect(options.filter(has_text="Stoneware Bowl")).to_have_count(1)
    page.keyboard.press("Escape")
    expect(options).to_have_count(0)
    expect(box).to_have_attribute("aria-expanded", "false")
    box.fill("bowl")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/products\?q=bowl$"))
    expect(page.locator(".product-card")).to_have_count(1)


def test_a_search_that_finds_nothing_offers_did_you_mean(live_server, axe_page, catalogue):
    page = axe_page
    page.goto(live_server + "/")
    box = page.get_by_role("combobox", name="Search products")
    box.fill("merino blnket")
    box.press("Enter")

    expect(page.get_by_text("No products found")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("link", name="merino blanket").click()
    expect(page).to_have_url(re.compile(r"q=merino\+blanket"))
    expect(page.locator(".product-card")).to_have_count(1)
    expect(page.locator(".product-card")).to_contain_text("Merino Wool Throw Blanket")

    page.goto(live_server + "/search/suggestions?q=stonware")  # the page without script
    expect(page.get_by_role("heading", level=1)).to_contain_text("stonware")
    assert axe_violations(page) == []


def test_without_script_search_forgives_and_suggestions_are_a_page(live_server, no_js_page,
                                                                   catalogue):
    page = no_js_page
    page.goto(live_server + "/")
    box = page.get_by_role("combobox", name="Search products")
    box.fill("stonware mugg")  # two typos: trigram similarity still finds it
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/products\?q=stonware\+mugg"))
    expect(page.locator(".product-card").first).to_contain_text("Stoneware Mug")

    box.fill("merino blnket")
    box.press("Enter")
    page.get_by_role("link", name="merino blanket").click()
    expect(page.locator(".product-card")).to_contain_text("Merino Wool Throw Blanket")

    page.goto(live_server + "/search/suggestions?q=stonew")
    page.get_by_role("link", name="Stoneware Mug").click()
    expect(page.get_by_role("heading", name="Stoneware Mug", level=1)).to_be_visible()
