"""Staff run orders from the admin: the filtered list, one order with only the actions its
state allows, dispatch inline (htmx) with the email sent once by a real RQ worker, refunds
through the Stripe sandbox confirmed by its webhook, and the streamed CSV export."""
import csv
import io
import re
import time
import tracemalloc
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, insert, select

from tests.factories import make_order, make_product, make_user
from tests.helpers import csrf_token
from tests.test_payments import GOOD_CARD, check_out, fresh, pay, wait_until
from webshop.models import AuditLog, Order, OrderItem, OutboxMessage, ProductVariant
from webshop.order_reports import EXPORT_HEADER

PASSWORD = "correct horse battery"
HX = {"HX-Request": "true"}


def log_in(client, email="staff@example.com", role="staff"):
    """A staff (or admin) user logged in on this client; returns the CSRF token."""
    make_user(email, password=PASSWORD, role=role)
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"csrf_token": token, "email": email,
                                           "password": PASSWORD})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return token


@pytest.fixture
def staff(db, client):
    client.token = log_in(client)
    return client


def page(response):
    return response.get_data(as_text=True)


def paid_order(**kwargs):
    return make_order(status="paid", **kwargs)


def audit(db, order_id, action):
    db.session.rollback()
    return db.session.scalars(select(AuditLog).where(
        AuditLog.entity_type == "order", AuditLog.entity_id == order_id,
        AuditLog.action == action)).all()


def day(text):
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


# --- the list ---------------------------------------------------------------------------------

def test_the_list_filters_by_status_dates_and_number_or_email(staff, db):
    january = make_order(email="ann@example.com", status="paid", created_at=day("2025-01-15T10:00"))
    february = make_order(email="bob@example.com", status="pending", created_at=day("2025-02-03T23:30"))
    march = make_order(email="cy@example.com", status="paid", created_at=day("2025-03-01T00:00"))

    everything = page(staff.get("/admin/orders"))
    assert all(o.number in everything for o in (january, february, march))
    assert re.search(r"Paid <span class=\"count\">2</span>", everything)

    paid = page(staff.get("/admin/orders?status=paid"))
    assert january.number in paid and march.number in paid and february.number not in paid

    february_only = page(staff.get("/admin/orders?from=2025-02-01&to=2025-02-28"))
    assert february.number in february_only
    assert january.number not in february_only and march.number not in february_only
    # "to" includes the whole day; "from" starts at its midnight (UTC).
    assert march.number in page(staff.get("/admin/orders?from=2025-03-01&to=2025-03-01"))
    assert february.number in page(staff.get("/admin/orders?to=2025-02-03&from=2025-02-03"))

    by_email = page(staff.get("/admin/orders?q=BOB@Example.com"))
    assert february.number in by_email and january.number not in by_email
    by_number = page(staff.get(f"/admin/orders?q={march.number.lower()}"))
    assert march.number in by_number and january.number not in by_number

    combined = page(staff.get("/admin/orders?status=paid&from=2025-02-01&q=example.com"))
    assert march.number in combined and january.number not in combined
    assert february.number not in combined


def test_needs_attention_filter_and_counts_per_status_follow_the_other_filters(staff, db):
    flagged = make_order(status="paid")
    flagged.needs_attention, flagged.attention_reason = True, "Amount mismatch"
    db.session.commit()
    calm = make_order(status="paid")

    listed = page(staff.get("/admin/orders?attention=1"))
    assert flagged.number in listed and calm.number not in listed
    assert "Needs attention" in listed
    assert re.search(r"All <span class=\"count\">1</span>", listed)


@pytest.mark.parametrize("query, message", [
    ("from=2025-13-01", "must be a date"),
    ("to=yesterday", "must be a date"),
    ("from=2025-03-01&to=2025-02-01", "after"),
    ("status=shipped", "no order status"),
])
def test_bad_filters_get_a_clear_message_not_a_500(staff, db, query, message):
    response = staff.get(f"/admin/orders?{query}")
    assert response.status_code == 400
    assert message in page(response)
    assert staff.get(f"/admin/orders.csv?{query}").status_code == 400


def test_bad_page_numbers_are_refused(staff, db):
    assert staff.get("/admin/orders?page=abc").status_code == 400
    assert staff.get("/admin/orders?page=3").status_code == 404


def test_pages_keep_the_filter_in_their_links(staff, db):
    numbers = [make_order(status="paid", created_at=day("2025-01-01") + timedelta(hours=i)).number
               for i in range(55)]
    make_order(status="pending")

    first = page(staff.get("/admin/orders?status=paid"))
    assert 'href="/admin/orders?page=2&amp;status=paid"' in first
    second = page(staff.get("/admin/orders?status=paid&page=2"))
    # Newest first: page 2 has the five oldest.
    assert all(number in second for number in numbers[:5])
    assert not any(number in second for number in numbers[5:])


def test_active_search_answers_with_the_results_fragment(staff, db):
    order = make_order(email="zoe@example.com")
    response = staff.get("/admin/orders?q=zoe", headers={**HX, "HX-Target": "order-results"})
    body = page(response)
    assert response.status_code == 200 and order.number in body
    assert body.lstrip().startswith('<div id="order-results"') and "<html" not in body


# --- one order ---------------------------------------------------------------------------------

def test_the_detail_shows_lines_payment_address_and_history(staff, db):
    order = paid_order(total=2995)
    order.stripe_checkout_session_id, order.stripe_payment_intent_id = "cs_test_1", "pi_test_1"
    order.needs_attention, order.attention_reason = True, "Stripe reported 1 eur, the order is 2995 eur"
    db.session.commit()
    from webshop.models.audit import record
    record(db.session, "order.paid", "order", order.id, after={"status": "paid"})
    db.session.commit()

    body = page(staff.get(f"/admin/orders/{order.id}"))

    assert order.items[0].product_name in body and "€29.95" in body
    assert "cs_test_1" in body and "pi_test_1" in body
    assert "1 Example Street" in body and "Germany" in body
    assert 'class="attention"' in body and "Stripe reported 1 eur" in body
    assert 'id="order-history"' in body and "Paid" in body


def test_staff_clear_the_attention_flag_once_they_have_handled_it(staff, db):
    order = paid_order()
    order.needs_attention, order.attention_reason = True, "Payment arrived after cancellation"
    db.session.commit()

    response = staff.post(f"/admin/orders/{order.id}/resolve", data={"csrf_token": staff.token})

    assert response.status_code == 303
    assert 'class="attention"' not in page(staff.get(response.headers["Location"]))
    assert fresh(db, Order, order.id).needs_attention is False
    [entry] = audit(db, order.id, "order.attention_resolved")
    assert entry.before["attention_reason"] == "Payment arrived after cancellation"
    assert entry.actor == "staff@example.com"


def test_a_pending_order_offers_cancel_but_not_dispatch_or_refund(staff, db):
    body = page(staff.get(f"/admin/orders/{make_order(status='pending').id}"))
    assert "/cancel" in body
    assert "/dispatch" not in body and "/refund" not in body and "/deliver" not in body


def test_a_paid_order_offers_dispatch_and_a_refund_of_its_stripe_payment(staff, db):
    order = paid_order()
    body = page(staff.get(f"/admin/orders/{order.id}"))
    assert "/dispatch" in body and 'name="tracking_number"' in body
    assert "/cancel" not in body and "/deliver" not in body
    assert "/refund" not in body  # no Stripe payment on record to refund

    order.stripe_payment_intent_id = "pi_test_1"
    db.session.commit()
    assert "/refund" in page(staff.get(f"/admin/orders/{order.id}"))


def test_a_requested_refund_waits_for_stripe_and_blocks_other_actions(staff, db):
    order = paid_order()
    order.stripe_payment_intent_id, order.stripe_refund_id = "pi_test_1", "re_test_1"
    db.session.commit()

    body = page(staff.get(f"/admin/orders/{order.id}"))
    assert "Refund requested, waiting for Stripe" in body
    assert "/dispatch" not in body and "/refund" not in body

    refused = staff.post(f"/admin/orders/{order.id}/dispatch", data={
        "csrf_token": staff.token, "carrier": "DHL", "tracking_number": "123"})
    assert refused.status_code == 409 and "waiting for Stripe" in page(refused)
    assert fresh(db, Order, order.id).status == "paid"


def test_dispatch_inline_then_a_real_worker_sends_the_email_exactly_once(
        staff, db, smtp_sink, run_worker):
    order = paid_order()

    response = staff.post(f"/admin/orders/{order.id}/dispatch", headers=HX, data={
        "csrf_token": staff.token, "carrier": "DHL", "tracking_number": "JJD0099 1234"})

    body = page(response)
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="order-panel"') and "<html" not in body
    assert "Dispatched" in body and "JJD0099 1234" in body and "/dispatch" not in body
    assert 'hx-swap-oob="true"' in body  # the history follows, out of band
    stored = fresh(db, Order, order.id)
    assert (stored.status, stored.carrier, stored.tracking_number) == ("dispatched", "DHL", "JJD0099 1234")
    [entry] = audit(db, order.id, "order.dispatched")
    assert entry.actor == "staff@example.com" and entry.actor_id is not None
    assert entry.after["tracking_number"] == "JJD0099 1234"

    run_worker()
    [mail] = smtp_sink.wait_for(1)
    assert mail["To"] == order.email and "on its way" in mail["Subject"]
    assert "JJD0099 1234" in mail.get_body(("plain",)).get_content()

    again = staff.post(f"/admin/orders/{order.id}/dispatch", headers=HX, data={
        "csrf_token": staff.token, "carrier": "DHL", "tracking_number": "OTHER"})
    assert again.status_code == 409 and "cannot become dispatched" in page(again)
    run_worker()
    time.sleep(0.2)
    assert len(smtp_sink.messages) == 1
    assert fresh(db, Order, order.id).tracking_number == "JJD0099 1234"


def test_dispatch_without_htmx_redirects_with_a_flash(staff, db):
    order = paid_order()
    response = staff.post(f"/admin/orders/{order.id}/dispatch", data={
        "csrf_token": staff.token, "carrier": "GLS", "tracking_number": "GLS-1"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/orders/{order.id}"
    assert "is marked dispatched" in page(staff.get(response.headers["Location"]))


def test_dispatch_needs_carrier_and_tracking_number(staff, db):
    order = paid_order()
    response = staff.post(f"/admin/orders/{order.id}/dispatch", headers=HX, data={
        "csrf_token": staff.token, "carrier": "DHL", "tracking_number": " "})
    assert response.status_code == 422 and "Enter the tracking number." in page(response)
    assert fresh(db, Order, order.id).status == "paid"


@pytest.mark.parametrize("status, action", [
    ("pending", "dispatch"), ("pending", "deliver"), ("pending", "refund"),
    ("paid", "cancel"), ("paid", "deliver"), ("cancelled", "refund"), ("refunded", "dispatch"),
    ("delivered", "cancel"),
])
def test_a_disallowed_transition_posted_anyway_is_refused_and_changes_nothing(
        staff, db, status, action):
    order = make_order(status=status)
    order.stripe_payment_intent_id = "pi_test_1"
    db.session.commit()
    data = {"csrf_token": staff.token, "carrier": "DHL", "tracking_number": "1", "restock": "y"}

    response = staff.post(f"/admin/orders/{order.id}/{action}", data=data)
    inline = staff.post(f"/admin/orders/{order.id}/{action}", data=data, headers=HX)

    assert response.status_code == 409 and inline.status_code == 409
    assert f"Order {order.number} is {status}" in page(response)
    assert 'id="order-panel"' in page(inline) and "<html" not in page(inline)
    assert fresh(db, Order, order.id).status == status
    assert db.session.scalar(select(func.count(AuditLog.id))) == 0
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_deliver_and_cancel_go_through_the_domain(staff, db):
    dispatched = make_order(status="dispatched")
    pending = make_order(status="pending")

    assert staff.post(f"/admin/orders/{dispatched.id}/deliver",
                      data={"csrf_token": staff.token}).status_code == 303
    cancelled = staff.post(f"/admin/orders/{pending.id}/cancel",
                           data={"csrf_token": staff.token}, headers=HX)

    assert cancelled.status_code == 200 and "Cancelled" in page(cancelled)
    assert fresh(db, Order, dispatched.id).status == "delivered"
    assert fresh(db, Order, pending.id).status == "cancelled"
    assert audit(db, pending.id, "order.cancelled")[0].actor == "staff@example.com"


def test_unknown_orders_are_404(staff, db):
    assert staff.get("/admin/orders/999").status_code == 404
    assert staff.post("/admin/orders/999/cancel", data={"csrf_token": staff.token}).status_code == 404


def test_actions_need_the_csrf_token(staff, db):
    order = make_order(status="pending")
    assert staff.post(f"/admin/orders/{order.id}/cancel", data={}).status_code == 400
    assert fresh(db, Order, order.id).status == "pending"


# --- refunds through Stripe (the sandbox on the live server) ----------------------------------

def test_refund_goes_through_stripe_and_the_webhook_confirms_it(live_server, app, client, db):
    shopper = client
    shopper.token = csrf_token(shopper, "/login")
    mug = make_product("Mug", price=1250, stock=5)
    order, pay_path = check_out(shopper, mug, 2)
    pay(shopper, pay_path, GOOD_CARD)
    assert wait_until(lambda: fresh(db, Order, order.id).status == "paid")
    assert fresh(db, ProductVariant, mug.variants[0].id).stock == 3
    staff = app.test_client()
    token = log_in(staff)

    response = staff.post(f"/admin/orders/{order.id}/refund", headers=HX,
                          data={"csrf_token": token, "restock": "y"})

    assert response.status_code == 200, page(response)[:500]
    assert "Refund" in page(response) and "/refund" not in page(response)
    assert wait_until(lambda: fresh(db, Order, order.id).status == "refunded")
    refunded = fresh(db, Order, order.id)
    assert refunded.stripe_refund_id.startswith("re_") and refunded.refunded_at
    assert fresh(db, ProductVariant, mug.variants[0].id).stock == 5
    [requested] = audit(db, order.id, "order.refund_requested")
    assert requested.actor == "staff@example.com" and requested.after["restock"] is True
    assert "Refund confirmed by Stripe." in page(staff.get(f"/admin/orders/{order.id}"))
    # Refunded: nothing is offered, and a second refund is refused.
    again = staff.post(f"/admin/orders/{order.id}/refund", data={"csrf_token": token})
    assert again.status_code == 409


# --- the CSV export ------------------------------------------------------------------------------

def bulk_orders(db, count, created=datetime(2025, 1, 1, tzinfo=timezone.utc)):
    """`count` paid orders with one line each, in two executemany INSERTs (not the ORM)."""
    rows = [{
        "number": f"B{i:08d}", "email": f"buyer{i}@example.com", "status": "paid",
        "ship_name": f"Buyer {i}", "ship_line1": "1 Main St", "ship_city": "Berlin",
        "ship_postal_code": "10115", "ship_country": "DE", "shipping_method": "standard",
        "subtotal": 2500, "shipping": 495, "tax": 499, "total": 2995, "currency": "EUR",
        "stripe_payment_intent_id": f"pi_{i:08d}", "created_at": created + timedelta(minutes=i),
        "paid_at": created + timedelta(minutes=i, seconds=30),
    } for i in range(count)]
    ids = db.session.scalars(insert(Order).returning(Order.id, sort_by_parameter_order=True),
                             rows).all()
    db.session.execute(insert(OrderItem), [{
        "order_id": order_id, "product_name": "Mug", "option_values": {}, "sku": "MUG",
        "unit_price": 1250, "quantity": 2, "line_total": 2500,
    } for order_id in ids])
    db.session.commit()
    return ids


def test_csv_export_of_10000_orders_streams_with_bounded_memory(staff, db):
    started = time.monotonic()
    bulk_orders(db, 10_000)
    make_order(status="pending", email="not-paid@example.com")
    inserted = time.monotonic()
    staff.get("/admin/orders.csv?q=buyer1@example.com").close()  # warm up: imports, SQL caches

    tracemalloc.start()
    try:
        response = staff.get("/admin/orders.csv?status=paid", buffered=False)
        assert response.is_streamed
        assert response.mimetype == "text/csv"
        size, lines, header, row_42, pending = 0, 0, None, None, b""
        for chunk in response.response:
            size += len(chunk)
            pending += chunk
            *complete, pending = pending.split(b"\r\n")
            for line in complete:
                lines += 1
                if header is None:
                    header = line
                elif line.startswith(b"B00000042,"):
                    row_42 = line
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        response.close()
    finished = time.monotonic()

    assert pending == b""
    assert lines == 10_001
    assert list(csv.reader(io.StringIO(header.decode("utf-8-sig"))))[0] == list(EXPORT_HEADER)
    assert list(csv.reader(io.StringIO(row_42.decode()))) == [[
        "B00000042", "2025-01-01T00:42:00Z", "paid", "buyer42@example.com", "Buyer 42", "DE",
        "EUR", "25.00", "4.95", "4.99", "29.95", "pi_00000042", "2025-01-01T00:42:30Z", "",
    ]]
    assert re.match(r'attachment; filename="orders-\d{4}-\d{2}-\d{2}\.csv"',
                    response.headers["Content-Disposition"])
    assert peak < size / 4 and peak < 20 * 1024 * 1024, (peak, size)
    print(f"\nCSV: {size} bytes, peak traced {peak} bytes; insert {inserted - started:.2f}s, "
          f"export {finished - inserted:.2f}s")


def test_csv_export_neutralises_formulas_in_names(staff, db):
    order = make_order(status="paid")
    order.ship_name = "=HYPERLINK(\"http://evil\")"
    db.session.commit()
    body = staff.get("/admin/orders.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in body


# --- query budgets ---------------------------------------------------------------------------------

def test_list_and_detail_answer_in_a_bounded_number_of_queries(staff, db, count_queries):
    few = [paid_order() for _ in range(2)]
    with count_queries() as list_few:
        assert staff.get("/admin/orders").status_code == 200
    with count_queries() as detail_few:
        assert staff.get(f"/admin/orders/{few[0].id}").status_code == 200

    many = [paid_order(quantity=3) for _ in range(40)]
    big = many[0]
    for n in range(15):
        db.session.add(OrderItem(order_id=big.id, product_name=f"Extra {n}", option_values={"Size": "M"},
                                 sku=f"X{n}", unit_price=100, quantity=1, line_total=100))
        db.session.add(AuditLog(action="order.note", entity_type="order", entity_id=big.id, note=str(n)))
    db.session.commit()
    with count_queries() as list_many:
        assert staff.get("/admin/orders").status_code == 200
    with count_queries() as detail_many:
        assert staff.get(f"/admin/orders/{big.id}").status_code == 200

    assert list_few.count == list_many.count <= 6, list_many.statements
    assert detail_few.count == detail_many.count <= 6, detail_many.statements
