"""Facets in Chromium: ticking a box narrows the list in place (htmx) and the URL
follows; the counts follow the other choices; chips take a choice back; without script
the same form sends them with "Apply"; the narrowed page passes axe-core."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.a11y import axe_violations
from tests.factories import make_product


@pytest.fixture
def clothes(db):
    make_product("Field Tee", option_names=["Size"], variants=[
        {"options": {"Size": "S"}, "price": 1500, "stock": 5},
        {"options": {"Size": "M"}, "price": 2500, "stock": 0}])
    make_product("Wool Hoodie", option_names=["Size"], variants=[
        {"options": {"Size": "M"}, "price": 6000, "stock": 2}])
    make_product("Stoneware Mug", price=1200, stock=10)
    make_product("Paper Lamp", price=12000, stock=0)


def box(page, name):
    return page.get_by_role("checkbox", name=re.compile(rf"^{re.escape(name)} \(\d+\)$"))


def test_shopper_narrows_the_list_with_facets_and_takes_them_back(live_server, page, clothes):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(live_server + "/products")
    expect(page.locator(".product-card")).to_have_count(4)
    expect(box(page, "In stock only")).to_have_accessible_name("In stock only (3)")

    box(page, "M").check()  # htmx: the results and the counts, in place
    expect(page.locator(".product-card")).to_have_count(2)
    expect(page).to_have_url(re.compile(r"/products\?.*opt=Size%3AM"))
    expect(box(page, "In stock only")).to_have_accessible_name("In stock only (1)")
    expect(box(page, "M")).to_be_focused()  # the panel was swapped; the focus stayed
    expect(page.get_by_role("link", name="Remove filter: Size: M")).to_be_visible()

    page.keyboard.press("Shift+Tab")  # the keyboard: back to S, then ...
    expect(box(page, "S")).to_be_focused()
    box(page, "In stock only").focus()
    page.keyboard.press("Space")
    expect(page.locator(".product-card")).to_have_count(1)
    expect(page.locator(".product-card")).to_contain_text("Wool Hoodie")
    expect(page).to_have_url(re.compile(r"in_stock=1"))

    page.get_by_role("link", name="Remove filter: Size: M").click()
    expect(page.locator(".product-card")).to_have_count(3)  # in stock: all but the lamp
    expect(box(page, "M")).not_to_be_checked()
    expect(box(page, "In stock only")).to_be_checked()

    page.get_by_role("link", name="Clear all").click()
    expect(page.locator(".product-card")).to_have_count(4)
    expect(page).to_have_url(re.compile(r"/products(\?(sort=[a-z_]*)?)?$"))
    expect(box(page, "In stock only")).not_to_be_checked()
    assert errors == []  # nothing blocked by the Content-Security-Policy


def test_facets_work_without_script(live_server, browser, clothes):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/products")

    box(page, "M").check()
    page.get_by_role("button", name="Apply").click()

    expect(page).to_have_url(re.compile(r"opt=Size%3AM"))
    expect(page.locator(".product-card")).to_have_count(2)
    expect(box(page, "M")).to_be_checked()
    page.get_by_role("link", name="Remove filter: Size: M").click()
    expect(page.locator(".product-card")).to_have_count(4)
    context.close()


def test_facets_sit_in_the_phone_drawer_and_the_narrowed_page_passes_axe(live_server, browser,
                                                                          clothes):
    context = browser.new_context(bypass_csp=True, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(live_server + "/products?opt=Size:M&in_stock=1&price=50-100")
    expect(page.locator(".product-card")).to_have_count(1)
    expect(box(page, "M")).to_be_hidden()  # folded into the drawer
    page.get_by_text("Filter and sort").click()
    expect(box(page, "M")).to_be_visible()
    assert axe_violations(page) == []

    page.set_viewport_size({"width": 1280, "height": 900})
    expect(box(page, "M")).to_be_visible()
    assert axe_violations(page) == []
    context.close()
