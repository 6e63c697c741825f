"""A customer with a delivered order asks, in the browser, to return one of its lines;
staff approve it, mark it received (back in stock) and refund part of the order through
the Stripe sandbox in their own browser; the customer's order page then says "Refunded"
with the partial amount."""
import re

from playwright.sync_api import expect

from tests.factories import PASSWORD, make_product, make_user, register_customer
from tests.helpers import GOOD_CARD, add_to_cart, check_out, csrf_token, fresh, login, pay
from tests.helpers import stock_of, wait_until
from webshop import orders
from webshop.models import Order
from webshop.payments.sandbox import wait_for_deliveries


def log_in(page, base, email):
    page.goto(base + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_a_customer_returns_a_line_and_staff_refund_part_of_the_order(
        live_server, page, browser, client, db):
    register_customer("ada@example.com", name="Ada Lovelace")
    make_user("staff@example.com", role="staff")
    mug = make_product("Stoneware Mug", price=1500, stock=4)
    plate = make_product("Side Plate", price=900, stock=4)
    # Bought and paid through the sandbox, then dispatched and delivered by staff.
    login(client, "ada@example.com")
    client.token = csrf_token(client, "/account")
    add_to_cart(client, client.token, plate.variants[0].id, 1)
    order, pay_path = check_out(client, mug, 2)
    pay(client, pay_path, GOOD_CARD)
    assert wait_until(lambda: fresh(db, Order, order.id).status == "paid")
    orders.dispatch(order.id, "DHL", "JJD0001")
    orders.mark_delivered(order.id)
    assert stock_of(mug.variants[0].id) == 2

    # The customer asks to return one of the two mugs.
    log_in(page, live_server, "ada@example.com")
    page.goto(f"{live_server}/orders/{order.number}")
    expect(page.locator("#order-status-label")).to_have_text("Delivered")
    page.get_by_label(re.compile(r"^Stoneware Mug")).fill("1")
    page.get_by_label("Reason").select_option("damaged")
    page.get_by_label(re.compile(r"^Comment")).fill("The glaze is cracked.")
    page.get_by_role("button", name="Ask for a return").click()
    expect(page.get_by_text("Your return request is sent")).to_be_visible()
    expect(page.locator(".return-status")).to_have_text("Requested")

    # Staff approve, receive (back in stock) and refund it in their own browser.
    staff = browser.new_page()
    try:
        log_in(staff, live_server, "staff@example.com")
        staff.get_by_role("navigation", name="Admin").get_by_role("link", name="Returns").click()
        staff.get_by_role("link", name=re.compile(r"^#\d+$")).click()
        expect(staff.get_by_text("The glaze is cracked.")).to_be_visible()
        staff.get_by_label(re.compile(r"^Note to the shopper")).fill("Send it back, please.")
        staff.get_by_role("button", name="Approve").click()
        expect(staff.get_by_role("heading", name=re.compile("Return #"))).to_contain_text("Approved")
        expect(staff.get_by_label(re.compile(r"^Put 1 × Stoneware Mug back in stock"))).to_be_checked()
        staff.get_by_role("button", name="Mark received").click()
        expect(staff.get_by_role("heading", name=re.compile("Return #"))).to_contain_text("Received")
        expect(staff.get_by_label("Amount")).to_have_value("15.00")  # the mug, not the shipping
        staff.get_by_role("button", name="Refund through Stripe").click()
        expect(staff.get_by_text(re.compile(r"refunded: €15\.00 through Stripe"))).to_be_visible()
        expect(staff.get_by_role("heading", name=re.compile("Return #"))).to_contain_text("Refunded")
    finally:
        staff.close()
    wait_for_deliveries(timeout=10)

    # The customer sees it refunded, partly.
    page.reload()
    expect(page.locator(".return-status")).to_have_text("Refunded")
    expect(page.locator(".refund-summary")).to_contain_text("€15.00")
    stored = fresh(db, Order, order.id)
    assert (stored.status, stored.amount_refunded) == ("delivered", 1500)
    assert stock_of(mug.variants[0].id) == 3
