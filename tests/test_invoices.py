"""Invoices and credit notes: a gapless number issued in the paid transition (distinct and
consecutive when two orders are paid at once), the printable page with the seller, the
buyer, the lines and the VAT per rate, a credit note after a partial refund, who may open
them, the links to them, and the pages' query budgets."""
import re

import pytest
from sqlalchemy import select

from tests.factories import make_order, make_product, register_customer
from tests.helpers import GOOD_CARD, HX, check_out, fresh, log_in_new_user, login, page, pay
from tests.helpers import run_concurrently, wait_until
from webshop import invoices, orders
from webshop.models import Invoice, Order, Refund
from webshop.notifications import send_order_email
from webshop.payments.sandbox import wait_for_deliveries

SELLER = {"SELLER_NAME": "Kitchen Things GmbH", "SELLER_ADDRESS": "Hauptstr. 1; 10115 Berlin",
          "SELLER_VAT_ID": "DE123456789", "SELLER_EMAIL": "billing@example.com"}


def documents(db, kind="invoice"):
    db.session.rollback()
    return db.session.scalars(select(Invoice).where(Invoice.kind == kind)
                              .order_by(Invoice.sequence)).all()


def test_two_orders_paid_at_once_get_distinct_consecutive_numbers(app, db):
    first, second = make_order(email="a@example.com"), make_order(email="b@example.com")
    ids = [first.id, second.id]

    results = run_concurrently(app, 2, lambda i: orders.mark_paid(ids[i], f"pi_{i}").id)

    assert sorted(results) == sorted(ids), results
    issued = documents(db)
    assert [d.number for d in issued] == ["INV-000001", "INV-000002"]
    assert sorted(d.order_id for d in issued) == sorted(ids)
    # Paid again (a reversal after a failed refund) issues nothing new.
    order = db.session.get(Order, first.id)
    assert invoices.issue_invoice(order).number in ("INV-000001", "INV-000002")
    db.session.rollback()
    assert len(documents(db)) == 2


def test_a_rolled_back_payment_leaves_no_gap(db):
    order = make_order(email="a@example.com")
    locked = orders.locked(order.id)
    orders.transition(locked, "paid")
    db.session.rollback()  # the payment's transaction failed: its number goes with it
    orders.mark_paid(make_order(email="b@example.com").id)

    assert [d.number for d in documents(db)] == ["INV-000001"]


def test_the_invoice_shows_seller_buyer_lines_and_vat(client, db, settings):
    settings(**SELLER)
    order = make_order(email="ada@example.com", total=2995, quantity=2)  # 2 x 12.50 + 4.95
    orders.mark_paid(order.id, "pi_1")
    token = orders.access_token(order)

    response = client.get(f"/orders/{order.number}/invoice?token={token}")

    assert response.status_code == 200
    body = page(response)
    assert "Invoice" in body and "INV-000001" in body and order.number in body
    assert "Kitchen Things GmbH" in body and "Hauptstr. 1" in body and "DE123456789" in body
    assert "Alex Example" in body and "1 Example Street" in body and "10115 Berlin" in body
    assert "Test product" in body and "€12.50" in body and "€25.00" in body
    # The order's VAT (the factory's 5.00 at 20 %) by rate: net, VAT, gross.
    assert re.search(r'class="vat-rate"><td>20 %</td><td class="num">€24\.95</td>'
                     r'<td class="num">€5\.00</td><td class="num">€29\.95</td>', body)
    assert "<script" not in body
    assert re.search(r"/static/css/document[.\w]*\.css", body)  # its @media print rules


def test_without_seller_settings_the_invoice_says_so(client, db, settings):
    settings(SELLER_NAME="", SELLER_ADDRESS="")
    order = make_order(email="ada@example.com", status="paid")  # paid before invoices existed

    body = page(client.get(f"/orders/{order.number}/invoice?token={orders.access_token(order)}"))

    assert "Seller details not configured" in body
    assert [d.number for d in documents(db)] == ["INV-000001"]  # issued once, when first asked
    client.get(f"/orders/{order.number}/invoice?token={orders.access_token(order)}")
    assert len(documents(db)) == 1


def test_an_unpaid_order_has_no_invoice(client, db):
    order = make_order(email="ada@example.com")
    response = client.get(f"/orders/{order.number}/invoice?token={orders.access_token(order)}")
    assert response.status_code == 404 and "not paid yet" in page(response)
    assert documents(db) == []


def test_a_partial_refund_gets_a_credit_note_referencing_the_invoice(shop, db,
                                                                    settings):
    settings(**SELLER)
    mug = make_product("Mug", price=1250, stock=5)
    order, pay_path = check_out(shop, mug, 2)
    pay(shop, pay_path, GOOD_CARD)
    assert wait_until(lambda: fresh(db, Order, order.id).status == "paid")
    staff_client = shop.application.test_client()
    staff_client.token = log_in_new_user(staff_client, "clerk@example.com")
    [item] = fresh(db, Order, order.id).items

    refunded = staff_client.post(f"/admin/orders/{order.id}/refund", headers=HX, data={
        "csrf_token": staff_client.token, f"line-{item.id}": "1"})

    assert refunded.status_code == 200, page(refunded)[:300]
    wait_for_deliveries(timeout=10)
    [note] = documents(db, "credit_note")
    [invoice] = documents(db)
    assert (note.number, note.total, note.invoice_id) == ("CN-000001", 1250, invoice.id)
    rate = invoice.details["lines"][0]["rate_bp"]  # the line's VAT rate on the invoice
    assert rate > 0 and note.details["breakdown"][0]["rate_bp"] == rate
    assert note.tax == round(1250 * rate / (10000 + rate)) and note.net == 1250 - note.tax
    token = orders.access_token(order)
    body = page(shop.get(f"/orders/{order.number}/credit-notes/{note.refund_id}?token={token}"))
    assert "Credit note" in body and "CN-000001" in body and invoice.number in body
    assert "€12.50" in body and "Mug" in body and "Kitchen Things GmbH" in body
    order_page = page(shop.get(f"/orders/{order.number}?token={token}"))
    assert f"/orders/{order.number}/invoice?token=" in order_page
    assert f"/orders/{order.number}/credit-notes/{note.refund_id}?token=" in order_page
    assert "CN-000001" in order_page and "Reversed by" not in order_page
    assert shop.get(f"/orders/{order.number}/credit-notes/{note.refund_id}/reversal"
                    f"?token={token}").status_code == 404  # the credit note stands
    admin_page = page(staff_client.get(f"/admin/orders/{order.id}"))
    assert f"/orders/{order.number}/invoice" in admin_page
    assert f"/orders/{order.number}/credit-notes/{note.refund_id}" in admin_page
    assert "CN-000001" in page(staff_client.get(f"/orders/{order.number}/credit-notes/"
                                                f"{note.refund_id}"))
    assert staff_client.get(f"/orders/{order.number}/invoice").status_code == 200  # staff


def test_the_confirmation_email_links_the_invoice(db, smtp_sink):
    order = make_order(email="ada@example.com", status="paid")
    assert send_order_email("order_confirmation", order.id) == "sent"
    [message] = smtp_sink.wait_for(1)
    for kind in ("plain", "html"):
        assert f"/orders/{order.number}/invoice?token=" in message.get_body((kind,)).get_content()


# --- access and budgets ----------------------------------------------------------------------

def test_another_customers_invoice_and_a_guest_without_the_link_get_404(app, client, db):
    owner = register_customer("owner@example.com")
    theirs = make_order(owner, status="paid")
    guest = make_order(email="guest@example.com", status="paid")
    register_customer("other@example.com")
    login(client, "other@example.com")

    assert client.get(f"/orders/{theirs.number}/invoice").status_code == 404
    assert client.get(f"/orders/{guest.number}/invoice").status_code == 404
    assert client.get(f"/orders/{guest.number}/invoice?token=forged").status_code == 404
    assert client.get(f"/orders/{guest.number}/credit-notes/1").status_code == 404
    owner_client = app.test_client()
    login(owner_client, "owner@example.com")
    assert owner_client.get(f"/orders/{theirs.number}/invoice").status_code == 200
    assert owner_client.get(f"/orders/{theirs.number}/credit-notes/1").status_code == 404


@pytest.mark.parametrize("path", ["invoice", "credit-notes/1"])
def test_the_document_pages_stay_within_their_query_budget(client, db, count_queries, path):
    order = make_order(email="ada@example.com", quantity=3)
    orders.mark_paid(order.id, "pi_1")
    refund = Refund(order_id=order.id, amount=500, currency="EUR", status="succeeded", lines={})
    db.session.add(refund)
    db.session.flush()
    invoices.issue_credit_note(refund)  # as a counted refund's event does
    db.session.commit()
    url = f"/orders/{order.number}/{path}?token={orders.access_token(order)}"
    client.get(url)  # warm

    with count_queries() as q:
        response = client.get(url)

    assert response.status_code == 200
    assert q.count <= 5, q.statements
