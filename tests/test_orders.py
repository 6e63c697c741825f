"""The orders domain: placing orders, the transition table, stock that is never oversold."""
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import make_product, make_user
from tests.helpers import run_concurrently, stock_of
from webshop import cart as carts
from webshop import orders
from webshop.models import AuditLog, Order, utcnow

ADDRESS = orders.ShippingAddress(name="Ada Shopper", line1="1 Main St", city="Berlin",
                                 postal_code="10115", country="DE")


def place(cart, key=None, user=None):
    return orders.place_order(cart, "ada@example.com", ADDRESS, "standard",
                              key or uuid.uuid4().hex, user=user)


def test_placing_an_order_copies_the_lines_and_reserves_stock(db):
    mug = make_product("Mug", price=1250, stock=5, option_names=["Colour"],
                       variants=[{"options": {"Colour": "Blue"}, "price": 1250, "stock": 5}])
    cart = carts.add_item(mug.variants[0].id, 2, token="t")

    order = place(cart)

    assert order.status == "pending" and order.number.startswith("W")
    assert (order.subtotal, order.shipping, order.total) == (2500, 495, 2995)
    item = order.items[0]
    assert (item.product_name, item.sku, item.unit_price, item.quantity, item.line_total,
            item.option_values) == ("Mug", mug.variants[0].sku, 1250, 2, 2500, {"Colour": "Blue"})
    assert stock_of(mug.variants[0].id) == 3
    assert carts.lines(cart) == []
    assert order.reserved_until > utcnow() + timedelta(minutes=29)
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.entity_id == order.id)) == "order.placed"


def test_the_same_idempotency_key_places_one_order(db):
    mug = make_product("Mug", stock=5)
    cart = carts.add_item(mug.variants[0].id, 1, token="t")

    first = place(cart, key="k" * 32)
    second = place(cart, key="k" * 32)  # the cart is empty by now: still the same order

    assert first.id == second.id
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1
    assert stock_of(mug.variants[0].id) == 4


def test_an_empty_cart_cannot_be_ordered(db):
    with pytest.raises(orders.EmptyCart):
        place(None)


def test_a_line_that_ran_out_fails_the_whole_order_and_reserves_nothing(db):
    mug = make_product("Mug", stock=5)
    tee = make_product("Tee", stock=5)
    cart = carts.add_item(mug.variants[0].id, 2, token="t")
    carts.add_item(tee.variants[0].id, 3, token="t")
    tee.variants[0].stock = 2  # someone else bought three in the meantime
    db.session.commit()

    with pytest.raises(orders.OutOfStock) as raised:
        place(cart)

    assert raised.value.names == ["Tee"]
    assert "Tee" in str(raised.value)
    assert (stock_of(mug.variants[0].id), stock_of(tee.variants[0].id)) == (5, 2)
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0
    assert len(carts.lines(cart)) == 2  # the cart is kept so the shopper can fix it


ALLOWED = {
    ("pending", "paid"), ("pending", "cancelled"), ("paid", "dispatched"), ("paid", "refunded"),
    ("dispatched", "delivered"), ("dispatched", "refunded"), ("delivered", "refunded"),
}


@pytest.mark.parametrize("start", sorted(orders.TRANSITIONS))
@pytest.mark.parametrize("target", sorted(orders.TIMESTAMPS))
def test_every_disallowed_transition_raises_and_changes_nothing(db, start, target):
    from tests.factories import make_order
    order = make_order(status=start)
    change = {
        "paid": lambda: orders.mark_paid(order.id, "pi_1"),
        "cancelled": lambda: orders.cancel(order.id),
        "dispatched": lambda: orders.dispatch(order.id, "DHL", "123"),
        "delivered": lambda: orders.mark_delivered(order.id),
        "refunded": lambda: orders.mark_refunded(order.id),
    }[target]

    if (start, target) in ALLOWED:
        assert change().status == target
        assert getattr(order, orders.TIMESTAMPS[target]) is not None
    else:
        with pytest.raises(orders.InvalidTransition):
            change()
        db.session.expire_all()
        assert db.session.get(Order, order.id).status == start
        assert db.session.scalar(select(func.count()).select_from(AuditLog)) == 0


def test_transitions_are_recorded_in_the_audit_log(db):
    from tests.factories import make_order
    staff = make_user("staff@example.com", role="staff")
    order = make_order(status="paid")
    orders.dispatch(order.id, "DHL", "JJD0001", actor=staff)
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "order.dispatched"))
    assert (entry.actor, entry.before["status"], entry.after["tracking_number"]) == (
        "staff@example.com", "paid", "JJD0001")


def test_cancelling_releases_stock_once(db):
    mug = make_product("Mug", stock=5)
    order = place(carts.add_item(mug.variants[0].id, 2, token="t"))
    orders.cancel(order.id)
    with pytest.raises(orders.InvalidTransition):
        orders.cancel(order.id)
    assert stock_of(mug.variants[0].id) == 5


def test_refund_can_restock(db):
    mug = make_product("Mug", stock=5)
    order = place(carts.add_item(mug.variants[0].id, 2, token="t"))
    orders.mark_paid(order.id, "pi_1")
    orders.mark_refunded(order.id, restock=True)
    assert stock_of(mug.variants[0].id) == 5


def test_last_units_go_to_exactly_as_many_buyers_under_concurrency(app, db):
    mug = make_product("Mug", stock=5)
    variant_id = mug.variants[0].id
    for i in range(20):
        carts.add_item(variant_id, 1, token=f"buyer-{i}")

    def buy(i):
        return place(carts.find_cart(token=f"buyer-{i}")).number

    results = run_concurrently(app, 20, buy)

    placed = [r for r in results if isinstance(r, str)]
    sold_out = [r for r in results if isinstance(r, orders.OutOfStock)]
    print(f"\nconcurrency: 20 attempts, {len(placed)} orders placed, {len(sold_out)} sold out, "
          f"final stock {stock_of(variant_id)}")
    assert len(placed) == 5 and len(sold_out) == 15
    assert stock_of(variant_id) == 0
    assert db.session.scalar(select(func.count()).select_from(Order)) == 5


def test_a_failed_two_product_order_under_concurrency_keeps_nothing_reserved(app, db):
    plenty = make_product("Plenty", stock=100)
    scarce = make_product("Scarce", stock=3)
    for i in range(12):
        carts.add_item(plenty.variants[0].id, 2, token=f"b{i}")
        carts.add_item(scarce.variants[0].id, 1, token=f"b{i}")

    results = run_concurrently(app, 12, lambda i: place(carts.find_cart(token=f"b{i}")).number)

    placed = [r for r in results if isinstance(r, str)]
    assert len(placed) == 3
    assert all(isinstance(r, orders.OutOfStock) for r in results if not isinstance(r, str))
    assert stock_of(scarce.variants[0].id) == 0
    assert stock_of(plenty.variants[0].id) == 100 - 2 * 3


def test_double_submit_at_the_same_moment_makes_one_order(app, db):
    mug = make_product("Mug", stock=5)
    carts.add_item(mug.variants[0].id, 1, token="t")
    key = uuid.uuid4().hex

    results = run_concurrently(app, 4, lambda i: place(carts.find_cart(token="t"), key=key).number
                               if carts.find_cart(token="t") else None)

    numbers = {r for r in results if isinstance(r, str)}
    assert len(numbers) == 1, results
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1
    assert stock_of(mug.variants[0].id) == 4


def test_expiry_cancels_old_reservations_and_releases_stock_exactly_once(app, db):
    mug = make_product("Mug", stock=10)
    old = [place(carts.add_item(mug.variants[0].id, 2, token=f"o{i}")) for i in range(3)]
    fresh = place(carts.add_item(mug.variants[0].id, 1, token="fresh"))
    for order in old:
        order.reserved_until = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert stock_of(mug.variants[0].id) == 3

    results = run_concurrently(app, 2, lambda i: orders.expire_reservations())

    assert sorted(results) == [0, 3] or sum(results) == 3, results
    assert stock_of(mug.variants[0].id) == 9
    db.session.expire_all()
    assert [db.session.get(Order, o.id).status for o in old] == ["cancelled"] * 3
    assert db.session.get(Order, fresh.id).status == "pending"
    assert orders.expire_reservations() == 0


def test_expire_reservations_command(app, db):
    mug = make_product("Mug", stock=10)
    order = place(carts.add_item(mug.variants[0].id, 2, token="x"))
    order.reserved_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["expire-reservations"])
    assert result.exit_code == 0, result.output
    assert "Cancelled 1 " in result.output
    assert stock_of(mug.variants[0].id) == 10
