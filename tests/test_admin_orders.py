"""Staff find orders in the admin: the filtered list, one order's page, the streamed CSV
export, and their query budgets. What staff do to an order: test_admin_order_actions.py."""
import csv
import io
import re
import time
import tracemalloc
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert

from tests.factories import make_order
from tests.helpers import HX, page
from webshop.models import AuditLog, Order, OrderItem
from webshop.reports.export import EXPORT_HEADER


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
    order = make_order(status="paid", total=2995)
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
    # Warm up with the same export: imports and SQLAlchemy's compiled statements are
    # made once per process, not per export, and are not what this test measures.
    staff.get("/admin/orders.csv?status=paid").close()

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
        "0.00", "0.00", "", "",
    ]]
    assert re.match(r'attachment; filename="orders-\d{4}-\d{2}-\d{2}\.csv"',
                    response.headers["Content-Disposition"])
    # Streamed: a fraction of the file (a materialised export holds all of it, and more).
    assert peak < size / 3 and peak < 20 * 1024 * 1024, (peak, size)
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
    few = [make_order(status="paid") for _ in range(2)]
    with count_queries() as list_few:
        assert staff.get("/admin/orders").status_code == 200
    with count_queries() as detail_few:
        assert staff.get(f"/admin/orders/{few[0].id}").status_code == 200

    many = [make_order(status="paid", quantity=3) for _ in range(40)]
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
