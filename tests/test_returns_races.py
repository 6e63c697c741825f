"""Returns and invoice numbers under concurrency, on both databases the shop runs on
(PostgreSQL's row locks; SQLite's single writer, where FOR UPDATE does nothing): the last
returnable unit goes to one request, a return's step is taken once, and two orders paid
at once get consecutive invoice numbers."""
from datetime import timedelta

from sqlalchemy import func, select

from tests.helpers import run_concurrently
# Each test runs on PostgreSQL and on SQLite (the embedded default, a fresh file).
from tests.test_order_races import any_db, sqlite_db  # noqa: F401  (fixtures)
from webshop import orders, returns
from webshop.extensions import db as _db
from webshop.models import AuditLog, Invoice, Order, OrderItem, ReturnLine, utcnow


def shipped_order(number, quantity=1, status="delivered"):
    """A delivered order of one line (written directly: no stock, no payment)."""
    when = utcnow() - timedelta(days=1)
    order = Order(number=number, email=f"{number}@example.com", status=status,
                  ship_name="Ada", ship_line1="1 Main St", ship_city="Berlin",
                  ship_postal_code="10115", ship_country="DE", shipping_method="standard",
                  subtotal=1000 * quantity, shipping=0, tax=167 * quantity,
                  total=1000 * quantity, currency="EUR",
                  dispatched_at=when if status == "delivered" else None,
                  delivered_at=when if status == "delivered" else None)
    order.items.append(OrderItem(product_name="Mug", option_values={}, sku="MUG",
                                 unit_price=1000, quantity=quantity, line_total=1000 * quantity))
    _db.session.add(order)
    _db.session.commit()
    return order.id, order.items[0].id


def test_the_last_returnable_unit_goes_to_one_request(any_db):
    order_id, item_id = shipped_order("R1")

    results = run_concurrently(any_db, 2, lambda i: returns.request_return(
        order_id, {item_id: 1}, "damaged").id)

    assert sum(isinstance(r, int) for r in results) == 1, results
    assert sum(isinstance(r, returns.ReturnError) for r in results) == 1, results
    _db.session.rollback()
    assert _db.session.scalar(select(func.sum(ReturnLine.quantity))) == 1


def test_two_staff_approving_at_once_approve_once(any_db):
    order_id, item_id = shipped_order("R2")
    request_id = returns.request_return(order_id, {item_id: 1}, "damaged").id

    results = run_concurrently(any_db, 2, lambda i: returns.approve(request_id, None).status)

    assert results.count("approved") == 1, results
    assert sum(isinstance(r, returns.ReturnStateError) for r in results) == 1, results
    _db.session.rollback()
    assert _db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "return.approved")) == 1


def test_two_orders_paid_at_once_get_consecutive_numbers(any_db):
    ids = [shipped_order(f"P{i}", status="pending")[0] for i in range(2)]

    results = run_concurrently(any_db, 2, lambda i: orders.mark_paid(ids[i]).status)

    assert results == ["paid", "paid"], results
    _db.session.rollback()
    numbers = _db.session.scalars(select(Invoice.number).order_by(Invoice.number)).all()
    assert numbers == ["INV-000001", "INV-000002"]
