"""Staff in a real browser: log in, find a paid order, dispatch it inline with a tracking
number (no page reload), and the shopper's order page says "Dispatched"."""
import re

from playwright.sync_api import expect

from tests.factories import make_order, make_user
from webshop import orders


def test_staff_dispatches_a_paid_order_inline(live_server, page, db):
    make_user("staff@example.com", password="correct horse battery", role="staff")
    waiting = make_order(email="ada@example.com", total=2995)
    orders.mark_paid(waiting.id, "pi_test")
    make_order(email="bob@example.com")  # a pending one, to be filtered out
    shopper_link = f"/orders/{waiting.number}?token={orders.access_token(waiting)}"

    page.goto(live_server + "/admin/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("Email").fill("staff@example.com")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Orders").click()
    page.get_by_role("link", name=re.compile(r"^Paid")).click()
    page.get_by_role("link", name=waiting.number).click()
    expect(page.get_by_role("heading", name=re.compile(waiting.number))).to_be_visible()
    page.evaluate("window.stillTheSamePage = true")

    page.get_by_label("Carrier").fill("DHL")
    page.get_by_label("Tracking number").fill("JJD0099887766")
    page.get_by_role("button", name="Mark dispatched").click()

    expect(page.locator("#order-panel")).to_contain_text("Dispatched")
    expect(page.get_by_role("button", name="Mark delivered")).to_be_visible()
    assert page.evaluate("window.stillTheSamePage") is True  # swapped in place

    page.goto(live_server + shopper_link)
    expect(page.locator("#order-status-label")).to_have_text("Dispatched")
    expect(page.get_by_text("JJD0099887766")).to_be_visible()
